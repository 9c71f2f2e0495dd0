#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Small wrappers over the BSD socket calls for UNIX stream sockets. Every failing call goes
/// through `SocketError.last` so errno is turned into text in one place.
enum UnixSocket {
    /// `sun_path` holds 108 bytes on Linux (104 on macOS) including the terminating NUL.
    static var maximumPathLength: Int {
        MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
    }

    static func address(_ path: String) throws(SocketError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumPathLength else {
            throw SocketError(
                "socket path \"\(path)\" is \(bytes.count) bytes; it must be 1...\(maximumPathLength)"
            )
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        return address
    }

    static func makeSocket() throws(SocketError) -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SocketError.last("socket()") }
        return fd
    }

    /// Connects to a listening socket; `timeout` bounds each send and receive.
    static func connect(path: String, timeout: Duration) throws(SocketError) -> Int32 {
        var address = try address(path)
        let fd = try makeSocket()
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                #if canImport(Glibc)
                Glibc.connect(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size))
                #else
                Darwin.connect(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size))
                #endif
            }
        }
        guard result == 0 else {
            let error = SocketError.last("cannot connect to \(path)")
            close(fd)
            throw error
        }
        setTimeout(fd, timeout)
        return fd
    }

    /// Binds and listens. The path must not exist.
    static func listen(path: String) throws(SocketError) -> Int32 {
        var address = try address(path)
        let fd = try makeSocket()
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let error = SocketError.last("cannot bind the control socket at \(path)")
            close(fd)
            throw error
        }
        #if canImport(Glibc)
        let listening = Glibc.listen(fd, 64)
        #else
        let listening = Darwin.listen(fd, 64)
        #endif
        guard listening == 0 else {
            let error = SocketError.last("cannot listen on \(path)")
            close(fd)
            unlink(path)
            throw error
        }
        return fd
    }

    static func setTimeout(_ fd: Int32, _ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval()
        value.tv_sec = .init(max(0, seconds))
        value.tv_usec = .init(attoseconds / 1_000_000_000_000)
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, size)
    }

    /// Writes all of `text`, retrying short writes.
    static func sendAll(_ fd: Int32, _ text: String) throws(SocketError) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { buffer in
                #if canImport(Glibc)
                send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
                #else
                send(fd, buffer.baseAddress, buffer.count, 0)
                #endif
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw SocketError.last("send")
            }
            sent += count
        }
    }

    /// What is at `path`: nothing, a socket, or something else.
    static func kind(of path: String) -> PathKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        return (info.st_mode & S_IFMT) == S_IFSOCK ? .socket : .other
    }

    enum PathKind {
        case missing
        case socket
        case other
    }
}

/// Reads `\n`-terminated lines from a socket.
struct LineReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let maximumLineLength: Int

    init(fd: Int32, maximumLineLength: Int = 4096) {
        self.fd = fd
        self.maximumLineLength = maximumLineLength
    }

    /// The next line without its terminator, or `nil` at end of stream.
    /// - Throws: `SocketError` on a read error, a timeout, or a line that is too long.
    mutating func nextLine() throws(SocketError) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            guard buffer.count <= maximumLineLength else {
                throw SocketError("line longer than \(maximumLineLength) bytes")
            }
            var chunk = [UInt8](repeating: 0, count: 1024)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SocketError.last("receive")
            }
            if count == 0 {
                guard !buffer.isEmpty else { return nil }
                let line = String(decoding: buffer, as: UTF8.self)
                buffer = []
                return line
            }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}

/// A failed socket operation, with errno's text.
struct SocketError: Error, CustomStringConvertible {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    static func last(_ what: String) -> SocketError {
        let code = errno
        let text = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return SocketError("\(what): \(text)")
    }

    var description: String { message }
}
