/// Where the FastCGI server listens: a unix socket path or a TCP host and port.
///
/// Written as `unix:/path/to.sock`, `/path/to.sock`, `127.0.0.1:9000` or `[::1]:9000`.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: UInt16)

    /// Parses the textual form.
    /// - Throws: `FastCGIError.invalidAddress` with a message saying what was expected.
    public init(parsing text: String) throws {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { throw FastCGIError(.invalidAddress, "empty unix socket path in '\(text)'") }
            self = .unix(path: path)
            return
        }
        if text.hasPrefix("/") || text.hasPrefix(".") {
            self = .unix(path: text)
            return
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw FastCGIError(.invalidAddress, "'\(text)' is neither unix:/path nor host:port")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = UInt16(text[text.index(after: colon)...]), port > 0 else {
            throw FastCGIError(.invalidAddress, "'\(text)' needs a host and a port between 1 and 65535")
        }
        self = .tcp(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}
