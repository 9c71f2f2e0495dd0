import POSIXSupport

#if canImport(Glibc)
internal import Glibc
#endif

/// The control socket's calls, on top of the package's one socket layer (`POSIXSupport`):
/// every failing call becomes a `SocketError` carrying errno's text.
enum UnixSocket {
    /// `sun_path` holds 108 bytes on Linux including the terminating NUL.
    static var maximumPathLength: Int { Socket.maximumPathLength }

    /// Connects to a listening socket; `timeout` bounds each send and receive.
    static func connect(path: String, timeout: Duration) throws(SocketError) -> Int32 {
        do {
            return try Socket.connectUnix(path: path, timeout: timeout)
        } catch {
            throw SocketError(error)
        }
    }

    /// Binds and listens, owner only: the control socket can take brokers down.
    /// The path must not hold a live socket (the caller checks).
    static func listen(path: String) throws(SocketError) -> Int32 {
        do {
            return try Socket.listenUnix(path: path, backlog: 64, access: Socket.Access(mode: 0o600))
        } catch {
            throw SocketError(error)
        }
    }

    /// Writes all of `text`, retrying short writes.
    static func sendAll(_ fd: Int32, _ text: String) throws(SocketError) {
        do {
            try Socket.sendAll(fd, Array(text.utf8))
        } catch {
            throw SocketError(error)
        }
    }

    /// What is at `path`: nothing, a socket, or something else.
    static func kind(of path: String) -> Socket.PathKind { Socket.kind(of: path) }
}

/// Reads `\n`-terminated lines from a socket.
struct LineReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 1024)
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
            let count: Int
            do {
                count = try Socket.receive(fd, into: &chunk)
            } catch {
                throw SocketError(error)
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

    init(_ error: SystemError) {
        self.message = error.description
    }

    /// The error of the call that just failed, from errno.
    static func last(_ what: String) -> SocketError {
        SocketError(SystemError.last(what))
    }

    var description: String { message }
}
