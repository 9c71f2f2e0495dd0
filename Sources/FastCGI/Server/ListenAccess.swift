import POSIXSupport

#if canImport(Glibc)
import Glibc
#endif

/// Who may connect to a FastCGI listener.
///
/// Only the web server may: libfcgi trusts its peer completely, and one malformed params
/// record (a length it cannot allocate) aborts the whole worker process with every request
/// in flight. So a UNIX socket is created mode 0660 (owner and one group, nginx's), and a
/// TCP listener accepts only the IPv4 addresses in `FCGI_WEB_SERVER_ADDRS`, which the
/// server checks on every accept (as libfcgi's own accept would).
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `<PREFIX>_LISTEN_MODE` | octal mode of a UNIX socket; no bits for others | `0660` |
/// | `<PREFIX>_LISTEN_GROUP` | group (name or number) of a UNIX socket, e.g. nginx's `www-data` | the process's group |
/// | `FCGI_WEB_SERVER_ADDRS` | comma-separated IPv4 addresses allowed to connect over TCP | `127.0.0.1` for a loopback listen; required otherwise |
public struct ListenAccess: Sendable, Equatable {
    /// The environment variable libfcgi reads the allowed TCP peers from.
    public static let webServerAddressesVariable = "FCGI_WEB_SERVER_ADDRS"

    /// Permission bits of a UNIX socket.
    public var unixMode: UInt32
    /// Group of a UNIX socket, or nil for the process's own.
    public var unixGroup: UInt32?
    /// The IPv4 addresses allowed to connect over TCP, as configured (nil: not configured).
    public var webServerAddresses: [String]?

    /// - Parameters:
    ///   - unixMode: socket file mode (default 0660); must give others nothing.
    ///   - unixGroup: socket file group (default: the process's).
    ///   - webServerAddresses: allowed TCP peers (default: derived from the listen address).
    public init(unixMode: UInt32 = 0o660, unixGroup: UInt32? = nil, webServerAddresses: [String]? = nil) {
        self.unixMode = unixMode
        self.unixGroup = unixGroup
        self.webServerAddresses = webServerAddresses
    }

    /// Reads `<prefix>_LISTEN_MODE`, `<prefix>_LISTEN_GROUP` and `FCGI_WEB_SERVER_ADDRS`.
    /// - Parameters:
    ///   - environment: the variables.
    ///   - prefix: the executable's prefix, e.g. `BUTTON` or `REGISTRY`.
    /// - Throws: `FastCGIError.invalidAccess` naming the variable at fault.
    public init(environment: [String: String], prefix: String) throws(FastCGIError) {
        self.init()
        let modeKey = "\(prefix)_LISTEN_MODE"
        if let text = environment[modeKey], !text.isEmpty {
            guard let mode = UInt32(text, radix: 8), mode <= 0o777 else {
                throw FastCGIError(.invalidAccess, "\(modeKey) must be an octal file mode such as 0660, not '\(text)'")
            }
            guard mode & 0o007 == 0 else {
                throw FastCGIError(
                    .invalidAccess,
                    "\(modeKey) \(text) lets every local user connect; use 0660 with \(prefix)_LISTEN_GROUP"
                )
            }
            unixMode = mode
        }
        let groupKey = "\(prefix)_LISTEN_GROUP"
        if let text = environment[groupKey], !text.isEmpty {
            guard let group = Self.groupID(text) else {
                throw FastCGIError(.invalidAccess, "\(groupKey): no group '\(text)' on this host")
            }
            unixGroup = group
        }
        if let text = environment[Self.webServerAddressesVariable], !text.isEmpty {
            webServerAddresses = text.split(separator: ",").map { $0.trimmingSpaces }
        }
    }

    /// The value `FCGI_WEB_SERVER_ADDRS` must have for a listener on `address`.
    ///
    /// - Returns: nil for a UNIX socket (its file mode decides); for TCP the configured list,
    ///   or `127.0.0.1` when the listener is on a loopback address (nginx on the same host
    ///   connects from there).
    /// - Throws: `FastCGIError.invalidAccess` for an IPv6 listener (libfcgi checks IPv4 peers
    ///   only), an entry that is not an IPv4 address, or a non-loopback TCP listener with no list.
    public func webServerAddresses(for address: ListenAddress) throws(FastCGIError) -> String? {
        guard case .tcp(let host, _) = address else { return nil }
        guard !host.contains(":") else {
            throw FastCGIError(
                .invalidAccess,
                "cannot listen on \(address): libfcgi restricts IPv4 peers only (\(Self.webServerAddressesVariable)); "
                    + "listen on an IPv4 address or a unix socket"
            )
        }
        if let configured = webServerAddresses, !configured.isEmpty {
            for entry in configured where !Self.isIPv4(entry) {
                throw FastCGIError(
                    .invalidAccess,
                    "\(Self.webServerAddressesVariable) must list IPv4 addresses separated by commas; '\(entry)' is not one"
                )
            }
            return configured.joined(separator: ",")
        }
        if host.hasPrefix("127.") { return "127.0.0.1" }
        throw FastCGIError(
            .invalidAccess,
            "the FastCGI listener \(address) is reachable from other hosts: set \(Self.webServerAddressesVariable) "
                + "to the IPv4 addresses of the nginx hosts (comma-separated); no other peer may connect"
        )
    }

    /// The UNIX socket settings for `Socket.listenUnix`.
    var socketAccess: Socket.Access { Socket.Access(mode: mode_t(unixMode), group: unixGroup.map { gid_t($0) }) }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    /// A group by number or name.
    static func groupID(_ text: String) -> UInt32? {
        if let number = UInt32(text) { return number }
        var group = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let status = buffer.withUnsafeMutableBufferPointer {
            getgrnam_r(text, &group, $0.baseAddress, $0.count, &result)
        }
        guard status == 0, result != nil else { return nil }
        return group.gr_gid
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
