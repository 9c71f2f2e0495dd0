/// One request as nginx passed it: CGI params and the request body.
///
/// A plain value, built from libfcgi's param array by the server and by tests directly,
/// so that routing and parsing can be tested without sockets.
public struct FastCGIRequest: Sendable {
    /// Params in arrival order, values as raw bytes: header values may be any bytes.
    public let rawParams: [(name: String, value: [UInt8])]
    /// The request body, at most the server's configured maximum.
    public let body: [UInt8]
    /// True when the client sent more body than the server accepts; `body` is then empty.
    public let bodyTooLarge: Bool

    /// - Parameters:
    ///   - params: CGI params as name/value pairs.
    ///   - body: the request body.
    ///   - bodyTooLarge: whether the body exceeded the configured limit.
    public init(params: [(name: String, value: [UInt8])], body: [UInt8] = [], bodyTooLarge: Bool = false) {
        self.rawParams = params
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    /// Convenience for tests: params from a dictionary of strings.
    public init(params: [String: String], body: [UInt8] = []) {
        self.init(params: params.map { (name: $0.key, value: Array($0.value.utf8)) }, body: body)
    }

    /// A param decoded as UTF-8, or nil when absent or not valid UTF-8. The first one wins.
    ///
    /// A linear search: a request has a couple of dozen params and a handler looks up a
    /// few, which is cheaper than hashing them all into a dictionary.
    public subscript(_ name: String) -> String? {
        guard let param = rawParams.first(where: { $0.name == name }) else { return nil }
        return String(validating: param.value, as: UTF8.self)
    }

    /// Whether the param is present, whatever its bytes.
    public func has(_ name: String) -> Bool { rawParams.contains { $0.name == name } }

    /// The names of HTTP header params (`HTTP_*`) whose values are not valid UTF-8.
    public var headersWithInvalidUTF8: [String] {
        rawParams.filter { $0.name.hasPrefix("HTTP_") && !Self.isValidUTF8($0.value) }.map(\.name)
    }

    /// Whether every header value is valid UTF-8, leaving out the named ones.
    public func headersAreValidUTF8(except excluded: String) -> Bool {
        rawParams.allSatisfy { !$0.name.hasPrefix("HTTP_") || $0.name == excluded || Self.isValidUTF8($0.value) }
    }

    private static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        // Plain ASCII, the usual case, needs no decoding.
        bytes.allSatisfy { $0 < 0x80 } || String(validating: bytes, as: UTF8.self) != nil
    }

    /// `REQUEST_METHOD`, uppercased; empty when missing.
    public var method: String { self["REQUEST_METHOD"]?.uppercased() ?? "" }

    /// The path part of `DOCUMENT_URI` (nginx's normalized URI) or of `REQUEST_URI`.
    public var path: String {
        if let uri = self["DOCUMENT_URI"], !uri.isEmpty { return uri }
        let uri = self["REQUEST_URI"] ?? "/"
        return String(uri.prefix { $0 != "?" })
    }

    /// The query string, without the leading `?`.
    public var query: String { self["QUERY_STRING"] ?? "" }
}
