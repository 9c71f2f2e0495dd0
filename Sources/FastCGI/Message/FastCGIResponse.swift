/// A response in CGI form: a `Status:` line, headers, a blank line, the body.
public struct FastCGIResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// Header names and values in order; values must not contain CR or LF.
    public var headers: [(String, String)]
    /// The response body.
    public var body: [UInt8]

    /// - Parameters:
    ///   - status: HTTP status code.
    ///   - headers: header pairs.
    ///   - body: body bytes.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a UTF-8 text body and the given content type.
    public init(status: Int, contentType: String, body: String, headers: [(String, String)] = []) {
        self.init(status: status, headers: [("Content-Type", contentType)] + headers, body: Array(body.utf8))
    }

    public static func == (lhs: FastCGIResponse, rhs: FastCGIResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body && lhs.headers.elementsEqual(rhs.headers, by: { $0 == $1 })
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The bytes written to the FastCGI stdout stream.
    ///
    /// Header values are stripped of CR and LF so a value built from request data can
    /// never split the header block.
    public var serialized: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + headers.count * 96 + body.count)
        serializeHead(into: &out)
        out.append(contentsOf: body)
        return out
    }

    /// Appends the status line, the headers and the blank line to `out`, byte by byte:
    /// this runs for every response, and the server reuses one buffer per thread for it
    /// and hands the body to libfcgi without copying it.
    func serializeHead(into out: inout [UInt8]) {
        out.append(contentsOf: "Status: ".utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: Self.reason(status).utf8)
        out.append(contentsOf: [13, 10])
        for (name, value) in headers {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            for byte in value.utf8 where byte != 13 && byte != 10 { out.append(byte) }
            out.append(contentsOf: [13, 10])
        }
        // With a length nginx passes the body on as it is; without one it must re-frame
        // it as chunks for every HTTP/1.1 client.
        if !hasContentLength {
            out.append(contentsOf: "Content-Length: ".utf8)
            out.append(contentsOf: String(body.count).utf8)
            out.append(contentsOf: [13, 10])
        }
        out.append(contentsOf: [13, 10])
    }

    private var hasContentLength: Bool {
        headers.contains { $0.0.utf8.count == 14 && $0.0.lowercased() == "content-length" }
    }

    /// The standard reason phrase for the codes this project uses.
    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 303: "See Other"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Payload Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Entity"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
