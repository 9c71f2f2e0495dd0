#if canImport(Glibc)
import Glibc
#endif

/// Opens the listening socket the workers share.
///
/// We open it ourselves rather than with `FCGX_OpenSocket`, which binds ":port" to every
/// interface and leaves unix socket permissions to the umask.
enum ListenSocket {
    /// Binds and listens.
    /// - Parameters:
    ///   - address: where to listen.
    ///   - backlog: the listen backlog.
    ///   - unixMode: file mode for a unix socket, so that nginx's worker user can connect.
    /// - Returns: the listening file descriptor.
    /// - Throws: `FastCGIError.listenFailed` naming the address and the system error.
    static func open(_ address: ListenAddress, backlog: Int32, unixMode: mode_t = 0o666) throws -> Int32 {
        switch address {
        case .unix(let path):
            return try openUnix(path: path, backlog: backlog, mode: unixMode)
        case .tcp(let host, let port):
            return try openTCP(host: host, port: port, backlog: backlog)
        }
    }

    private static func failure(_ what: String, _ address: String) -> FastCGIError {
        FastCGIError(.listenFailed, "\(what) \(address): \(String(cString: strerror(errno)))")
    }

    private static func openUnix(path: String, backlog: Int32, mode: mode_t) throws -> Int32 {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard path.utf8.count < capacity else {
            throw FastCGIError(.listenFailed, "unix socket path is longer than \(capacity - 1) bytes: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (offset, byte) in path.utf8.enumerated() { raw[offset] = byte }
        }
        // A socket file left by a crashed run would make bind fail; only remove sockets.
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw failure("cannot create socket for", path) }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let error = failure("cannot bind", path)
            close(fd)
            throw error
        }
        chmod(path, mode)
        guard listen(fd, backlog) == 0 else {
            let error = failure("cannot listen on", path)
            close(fd)
            throw error
        }
        return fd
    }

    private static func openTCP(host: String, port: UInt16, backlog: Int32) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw FastCGIError(.invalidAddress, "'\(host)' is not a numeric IP address")
        }
        defer { freeaddrinfo(result) }
        let label = "\(host):\(port)"
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw failure("cannot create socket for", label) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let error = failure("cannot bind", label)
            close(fd)
            throw error
        }
        guard listen(fd, backlog) == 0 else {
            let error = failure("cannot listen on", label)
            close(fd)
            throw error
        }
        return fd
    }
}
