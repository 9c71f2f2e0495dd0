#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Sends commands to a running broker's control socket (for tests and scripts).
///
/// ```swift
/// let control = BrokerControlClient(path: env.require("BROKER_CONTROL"))
/// let reply = try control.send("down all")   // "ok brokers 1 down"
/// ```
public struct BrokerControlClient: Sendable {
    /// The control socket path.
    public let path: String
    /// Bounds connecting, sending and waiting for the reply.
    public let timeout: Duration

    /// Creates a client; it connects per command.
    /// - Parameters:
    ///   - path: The control socket (`BROKER_CONTROL` in `stack.env`).
    ///   - timeout: How long to wait for a reply.
    public init(path: String, timeout: Duration = .seconds(15)) {
        self.path = path
        self.timeout = timeout
    }

    /// Sends one command line and returns the reply line (`ok …` or `error: …`).
    /// - Parameter command: e.g. `down all`, `errors Produce 3 NOT_LEADER_OR_FOLLOWER`.
    /// - Returns: The reply without its line terminator.
    /// - Throws: ``LocalBrokerError`` when the broker can't be reached or did not answer; an
    ///   `error:` reply is returned, not thrown.
    public func send(_ command: String) throws(LocalBrokerError) -> String {
        guard !command.contains("\n") else {
            throw LocalBrokerError("a control command is one line")
        }
        do {
            let fd = try UnixSocket.connect(path: path, timeout: timeout)
            defer { close(fd) }
            try UnixSocket.sendAll(fd, command + "\n")
            var reader = LineReader(fd: fd)
            guard let reply = try reader.nextLine() else {
                throw SocketError("the broker closed the connection without replying")
            }
            return reply
        } catch {
            throw LocalBrokerError("broker control \(path): \(error)")
        }
    }

    /// Sends a command and throws unless the reply starts with `ok`.
    /// - Parameter command: The command line.
    /// - Returns: The reply.
    /// - Throws: ``LocalBrokerError`` for an `error:` reply or a connection problem.
    @discardableResult
    public func expectOK(_ command: String) throws(LocalBrokerError) -> String {
        let reply = try send(command)
        guard reply == "ok" || reply.hasPrefix("ok ") else {
            throw LocalBrokerError("broker control \"\(command)\": \(reply)")
        }
        return reply
    }
}
