import FastCGI
import Testing

@Suite struct FastCGIRequestTests {
    @Test func paramsDecodeAsUTF8AndFirstOneWins() {
        let request = FastCGIRequest(params: [
            (name: "REQUEST_METHOD", value: Array("post".utf8)),
            (name: "DOCUMENT_URI", value: Array("/api/press".utf8)),
            (name: "QUERY_STRING", value: Array("a=1".utf8)),
            (name: "HTTP_X_A", value: Array("first".utf8)),
            (name: "HTTP_X_A", value: Array("second".utf8)),
            (name: "HTTP_BAD", value: [0x66, 0xFF]),
        ])
        #expect(request.method == "POST")
        #expect(request.path == "/api/press")
        #expect(request.query == "a=1")
        #expect(request["HTTP_X_A"] == "first")
        #expect(request["HTTP_BAD"] == nil, "invalid UTF-8 reads as absent")
        #expect(request.has("HTTP_BAD"))
        #expect(request["MISSING"] == nil)
        #expect(request.headersWithInvalidUTF8 == ["HTTP_BAD"])
        #expect(!request.headersAreValidUTF8(except: "HTTP_COOKIE"))
        #expect(request.headersAreValidUTF8(except: "HTTP_BAD"))
    }

    @Test func pathFallsBackToRequestURIWithoutQuery() {
        let request = FastCGIRequest(params: ["REQUEST_URI": "/subjects/x/versions?verbose=true"])
        #expect(request.path == "/subjects/x/versions")
        #expect(FastCGIRequest(params: [:]).path == "/")
        #expect(FastCGIRequest(params: [:]).method == "")
    }
}

@Suite struct FastCGIResponseTests {
    @Test func serializesStatusHeadersAndBody() {
        let response = FastCGIResponse(
            status: 503,
            contentType: "text/html",
            body: "<p>busy</p>",
            headers: [("Retry-After", "5")]
        )
        let text = String(decoding: response.serialized, as: UTF8.self)
        #expect(
            text
                == "Status: 503 Service Unavailable\r\nContent-Type: text/html\r\nRetry-After: 5\r\n"
                + "Content-Length: 11\r\n\r\n<p>busy</p>"
        )
        #expect(response.header("retry-after") == "5")
    }

    @Test func headerValuesCannotSplitTheHeaderBlock() {
        let response = FastCGIResponse(status: 200, headers: [("Location", "/\r\nSet-Cookie: evil=1\n")])
        let text = String(decoding: response.serialized, as: UTF8.self)
        #expect(text == "Status: 200 OK\r\nLocation: /Set-Cookie: evil=1\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func aContentLengthGivenIsNotRepeated() {
        let response = FastCGIResponse(status: 200, headers: [("content-length", "3")], body: [1, 2, 3])
        let text = String(decoding: response.serialized, as: UTF8.self)
        #expect(text.components(separatedBy: "ength:").count == 2, "\(text)")
    }
}

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("unix:/run/b.sock", ListenAddress.unix(path: "/run/b.sock")),
        ("/run/b.sock", .unix(path: "/run/b.sock")),
        ("127.0.0.1:9000", .tcp(host: "127.0.0.1", port: 9000)),
        ("[::1]:9000", .tcp(host: "::1", port: 9000)),
        ("0.0.0.0:1", .tcp(host: "0.0.0.0", port: 1)),
    ])
    func parses(_ text: String, _ expected: ListenAddress) throws {
        #expect(try ListenAddress(parsing: text) == expected)
    }

    @Test(arguments: ["", "unix:", "localhost", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:70000", ":9000", "host:port"])
    func refuses(_ text: String) {
        #expect(throws: FastCGIError.self) { try ListenAddress(parsing: text) }
    }
}
