#if canImport(Glibc)
public import Glibc
#endif

/// The socket calls the servers and clients of this package share: UNIX and TCP stream
/// sockets, opened close-on-exec, every failure a `SystemError`.
public enum Socket {
    /// `sun_path` holds 108 bytes on Linux, including the terminating NUL.
    public static var maximumPathLength: Int { MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1 }

    /// Who may connect to a UNIX socket: its file mode and group.
    ///
    /// Connecting needs write permission on the socket file, so the mode decides who can
    /// reach the server at all. The default, 0660 with the process's own group, lets only
    /// the owner and that group in.
    public struct Access: Sendable, Equatable {
        /// The permission bits, e.g. `0o660`.
        public var mode: mode_t
        /// The group the socket file is given, or nil to keep the creating process's group.
        public var group: gid_t?

        /// - Parameters:
        ///   - mode: permission bits (default 0660).
        ///   - group: owning group (default: the process's).
        public init(mode: mode_t = 0o660, group: gid_t? = nil) {
            self.mode = mode
            self.group = group
        }
    }

    /// A `sockaddr_un` for `path`.
    /// - Throws: `SystemError` (`ENAMETOOLONG`) for an empty path or one that does not fit.
    public static func unixAddress(_ path: String) throws(SystemError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumPathLength else {
            throw SystemError(
                "socket path \"\(path)\" is \(bytes.count) bytes; it must be 1...\(maximumPathLength)",
                errno: ENAMETOOLONG
            )
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }

    /// A new stream socket of `family`, close-on-exec (a worker gets its socket explicitly).
    /// - Throws: `SystemError`.
    public static func make(family: Int32, label: String) throws(SystemError) -> Int32 {
        try retryingSystemCall("cannot create a socket for \(label)") {
            socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    /// Binds a UNIX socket at `path`, gives it `access`, and listens.
    ///
    /// The file's mode and group are set before `listen`: until then nobody can connect, so
    /// there is no moment when the socket is open to more users than `access` allows. A
    /// socket file left behind by a crashed run is replaced; any other file is not.
    /// - Throws: `SystemError` naming the path.
    public static func listenUnix(path: String, backlog: Int32, access: Access) throws(SystemError) -> Int32 {
        var address = try unixAddress(path)
        if kind(of: path) == .socket { unlink(path) }
        let fd = try make(family: AF_UNIX, label: path)
        var bound = false
        do throws(SystemError) {
            try retryingSystemCall("cannot bind \(path)") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }
            bound = true
            if let group = access.group {
                try retryingSystemCall("cannot give \(path) to group \(group)") { chown(path, uid_t.max, group) }
            }
            try retryingSystemCall("cannot set the mode of \(path)") { chmod(path, access.mode) }
            try retryingSystemCall("cannot listen on \(path)") { listen(fd, backlog) }
            return fd
        } catch {
            close(fd)
            // Only the file our bind created: a failed bind means the path is someone else's.
            if bound { unlink(path) }
            throw error
        }
    }

    /// Binds a TCP socket to a numeric `host` and `port` and listens.
    /// - Throws: `SystemError` naming the address; `EINVAL` when `host` is not a numeric address.
    public static func listenTCP(host: String, port: UInt16, backlog: Int32) throws(SystemError) -> Int32 {
        let label = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw SystemError("'\(host)' is not a numeric IP address", errno: EINVAL)
        }
        defer { freeaddrinfo(result) }
        let fd = try make(family: info.pointee.ai_family, label: label)
        do throws(SystemError) {
            var one: Int32 = 1
            try retryingSystemCall("cannot set SO_REUSEADDR on \(label)") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            try retryingSystemCall("cannot bind \(label)") { bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) }
            try retryingSystemCall("cannot listen on \(label)") { listen(fd, backlog) }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// Connects to a listening UNIX socket; `timeout` bounds each send and receive.
    /// - Throws: `SystemError` naming the path.
    public static func connectUnix(path: String, timeout: Duration) throws(SystemError) -> Int32 {
        var address = try unixAddress(path)
        let fd = try make(family: AF_UNIX, label: path)
        do throws(SystemError) {
            // A connect interrupted by a signal goes on in the background; retrying it would
            // fail with EALREADY, so an interruption is reported as it is.
            let connected = try systemCall("cannot connect to \(path)", interruptible: true) {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }
            guard connected != nil else { throw SystemError("cannot connect to \(path)", errno: EINTR) }
            try setTimeouts(fd, timeout)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// Bounds every blocking send and receive on `fd`.
    /// - Throws: `SystemError`.
    public static func setTimeouts(_ fd: Int32, _ timeout: Duration) throws(SystemError) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval()
        value.tv_sec = .init(max(0, seconds))
        value.tv_usec = .init(attoseconds / 1_000_000_000_000)
        let size = socklen_t(MemoryLayout<timeval>.size)
        try retryingSystemCall("cannot set a receive timeout") { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, size) }
        try retryingSystemCall("cannot set a send timeout") { setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, size) }
    }

    /// Writes all of `bytes`, retrying short writes; never raises SIGPIPE.
    /// - Throws: `SystemError`.
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var sent = 0
        while sent < bytes.count {
            let count = try retryingSystemCall("send") {
                bytes.withUnsafeBytes { buffer in
                    send(fd, buffer.baseAddress.map { $0 + sent }, buffer.count - sent, Int32(MSG_NOSIGNAL))
                }
            }
            sent += count
        }
    }

    /// Reads what is available, up to `buffer.count` bytes; 0 means the peer closed.
    /// - Throws: `SystemError`, including `EAGAIN` when a receive timeout expired.
    public static func receive(_ fd: Int32, into buffer: inout [UInt8]) throws(SystemError) -> Int {
        try retryingSystemCall("receive") {
            buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        }
    }

    /// The address family of a socket (`AF_UNIX`, `AF_INET`, `AF_INET6`).
    /// - Throws: `SystemError`, e.g. `ENOTSOCK`.
    public static func family(of fd: Int32) throws(SystemError) -> Int32 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try retryingSystemCall("getsockname") {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        }
        return Int32(storage.ss_family)
    }

    /// What is at a path: nothing, a socket, or something else.
    public static func kind(of path: String) -> PathKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        return (info.st_mode & S_IFMT) == S_IFSOCK ? .socket : .other
    }

    /// What `kind(of:)` found.
    public enum PathKind: Sendable {
        case missing
        case socket
        case other
    }
}
