import POSIXSupport

/// Opens the listening socket the workers share.
///
/// We open it ourselves rather than with `FCGX_OpenSocket`, which binds ":port" to every
/// interface and leaves unix socket permissions to the umask.
enum ListenSocket {
    /// Binds and listens.
    /// - Parameters:
    ///   - address: where to listen.
    ///   - backlog: the listen backlog.
    ///   - access: who may connect to a unix socket (mode and group).
    /// - Returns: the listening file descriptor.
    /// - Throws: `FastCGIError.listenFailed` naming the address and the system error.
    static func open(_ address: ListenAddress, backlog: Int32, access: ListenAccess) throws(FastCGIError) -> Int32 {
        do {
            switch address {
            case .unix(let path):
                return try Socket.listenUnix(path: path, backlog: backlog, access: access.socketAccess)
            case .tcp(let host, let port):
                return try Socket.listenTCP(host: host, port: port, backlog: backlog)
            }
        } catch {
            throw FastCGIError(.listenFailed, "\(error)")
        }
    }
}
