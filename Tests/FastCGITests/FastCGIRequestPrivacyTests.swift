import FastCGI
import Testing

/// A request holds the client's address and cookie; printing it by mistake must not leak
/// them (issue 6, defect 7).
@Suite struct FastCGIRequestPrivacyTests {
    static let address = "203.0.113.77"
    static let cookie = "button_session=v1.secret-session-token"

    static func request() -> FastCGIRequest {
        FastCGIRequest(params: [
            (name: "REQUEST_METHOD", value: Array("POST".utf8)),
            (name: "DOCUMENT_URI", value: Array("/api/press".utf8)),
            (name: "REMOTE_ADDR", value: Array(address.utf8)),
            (name: "HTTP_COOKIE", value: Array(cookie.utf8)),
        ])
    }

    @Test func printingARequestShowsNeitherAddressNorCookie() {
        let request = Self.request()
        // Positive control: the values are in the request.
        #expect(request["REMOTE_ADDR"] == Self.address)
        #expect(request["HTTP_COOKIE"] == Self.cookie)

        var dumped = ""
        dump(request, to: &dumped)
        let renderings = [
            "\(request)", String(describing: request), String(reflecting: request), dumped,
            "\(Mirror(reflecting: request).children.map { "\($0.label ?? ""): \($0.value)" })",
        ]
        // A default description prints the stored bytes as numbers: look for those too.
        let addressBytes = Array(Self.address.utf8).map(String.init).joined(separator: ", ")
        let cookieBytes = Array("secret".utf8).map(String.init).joined(separator: ", ")
        for text in renderings {
            #expect(!text.contains(addressBytes), "address bytes leaked: \(text.prefix(200))")
            #expect(!text.contains(cookieBytes), "cookie bytes leaked: \(text.prefix(200))")
            #expect(!text.contains(Self.address), "address leaked: \(text)")
            #expect(!text.contains("secret-session-token"), "cookie leaked: \(text)")
            #expect(!text.contains("113.77"))
        }
        // Still useful for debugging.
        #expect("\(request)".contains("POST /api/press"))
    }
}

@Suite struct FastCGIRequestBytesTests {
    @Test func byteAccessorsReadValuesWithoutStrings() {
        let request = FastCGIRequest(params: [
            (name: "HTTPS", value: Array("on".utf8)),
            (name: "HTTP_HX_REQUEST", value: Array("true".utf8)),
            (name: "REMOTE_ADDR", value: Array("192.0.2.1".utf8)),
            (name: "EMPTY", value: []),
            (name: "HTTPS", value: Array("off".utf8)),
        ])
        #expect(request.param("HTTPS", equals: "on"), "the first one wins")
        #expect(!request.param("HTTPS", equals: "o"))
        #expect(!request.param("HTTPS", equals: "onn"))
        #expect(request.param("HTTP_HX_REQUEST", equals: "true"))
        #expect(!request.param("MISSING", equals: ""))
        #expect(request.param("EMPTY", equals: ""))
        #expect(request.paramBytes("REMOTE_ADDR").map(Array.init) == Array("192.0.2.1".utf8))
        #expect(request.paramBytes("REMOTE") == nil, "a prefix of a name is not the name")
        #expect(request.withParam("REMOTE_ADDR") { $0.count } == 9)
        #expect(request.withParam("NOPE") { $0.count } == nil)
        #expect(request.paramCount == 5)
        #expect(request.rawParams.map(\.name) == ["HTTPS", "HTTP_HX_REQUEST", "REMOTE_ADDR", "EMPTY", "HTTPS"])
        #expect(request.rawParams[2].value == Array("192.0.2.1".utf8))
    }

    @Test func valuesMayContainEqualsSigns() {
        let request = FastCGIRequest(params: ["QUERY_STRING": "a=1&b=2"])
        #expect(request.query == "a=1&b=2")
    }

    @Test func repeatedExcludedHeaderIsExcludedEverywhere() {
        let request = FastCGIRequest(params: [
            (name: "HTTP_COOKIE", value: Array("ok".utf8)),
            (name: "HTTP_COOKIE", value: [0xFF]),
            (name: "HTTP_X", value: Array("fine".utf8)),
        ])
        #expect(request.headersAreValidUTF8(except: "HTTP_COOKIE"))
        #expect(!request.headersAreValidUTF8(except: "HTTP_X"))
        #expect(request.headersWithInvalidUTF8 == ["HTTP_COOKIE"])
    }

    /// Not a pass/fail benchmark: prints the cost of the lookups the press path makes, so a
    /// change to the representation can be compared (see the report in issue 6).
    @Test func lookupCost() {
        var params: [(name: String, value: [UInt8])] = []
        for name in [
            "QUERY_STRING", "REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH", "SCRIPT_NAME", "REQUEST_URI",
            "DOCUMENT_URI", "DOCUMENT_ROOT", "SERVER_PROTOCOL", "REQUEST_SCHEME", "GATEWAY_INTERFACE",
            "SERVER_SOFTWARE", "REMOTE_ADDR", "REMOTE_PORT", "SERVER_ADDR", "SERVER_PORT", "SERVER_NAME",
            "REDIRECT_STATUS", "HTTP_HOST", "HTTP_USER_AGENT", "HTTP_ACCEPT", "HTTP_COOKIE", "HTTP_HX_REQUEST",
        ] {
            params.append((name: name, value: Array("value-of-\(name.lowercased())".utf8)))
        }
        let request = FastCGIRequest(params: params)
        let rounds = 100_000
        var hits = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<rounds {
                if request.param("HTTP_HX_REQUEST", equals: "true") { hits += 1 }
                if request.has("HTTPS") { hits += 1 }
                hits += request.paramBytes("REMOTE_ADDR")?.count ?? 0
            }
        }
        let perLookup = elapsed / (rounds * 3)
        print("FastCGIRequest: \(rounds * 3) byte lookups in \(elapsed), \(perLookup) each (hits \(hits))")
        #expect(hits > 0)
    }
}
