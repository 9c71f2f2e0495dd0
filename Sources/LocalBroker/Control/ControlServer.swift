internal import Dispatch
internal import Foundation
internal import Logging
internal import Synchronization

/// Serves the control protocol on a UNIX stream socket: one command per line, one reply line
/// per command, any number of commands per connection, one thread per connection.
final class ControlServer: Sendable {
    let path: String
    private let listenFD: Int32
    private let handler = Mutex<(@Sendable (String) -> String)?>(nil)
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let acceptorFinished = DispatchSemaphore(value: 0)

    /// Binds the socket (without accepting yet). A stale socket left by a dead broker is
    /// removed; a live one, or any other file at `path`, is an error.
    init(path: String, logger: Logger) throws(LocalBrokerError) {
        switch UnixSocket.kind(of: path) {
        case .missing:
            break
        case .other:
            throw LocalBrokerError("control path \(path) exists and is not a socket; not touching it")
        case .socket:
            if let fd = try? UnixSocket.connect(path: path, timeout: .seconds(1)) {
                close(fd)
                throw LocalBrokerError("another process is listening on the control socket \(path)")
            }
            logger.info("removing stale control socket", metadata: [LogKey.control: "\(path)"])
            guard unlink(path) == 0 || errno == ENOENT else {
                throw LocalBrokerError("cannot remove the stale control socket \(path): \(SocketError.last("unlink"))")
            }
        }
        do {
            listenFD = try UnixSocket.listen(path: path)
        } catch {
            throw LocalBrokerError("unusable control path: \(error)")
        }
        self.path = path
        self.logger = logger
    }

    /// Starts the accepting thread; `handler` turns each command line into its reply line.
    func start(handler: @escaping @Sendable (String) -> String) {
        self.handler.withLock { $0 = handler }
        let thread = Thread { [self] in
            acceptLoop()
            acceptorFinished.signal()
        }
        thread.name = "broker-control-accept"
        thread.start()
    }

    /// Stops accepting, closes the socket and removes its path. Open connections finish their
    /// current command; the process exits soon after anyway.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // shutdown() wakes the thread blocked in accept(); then it is safe to close.
        shutdown(listenFD, Int32(SHUT_RDWR))
        acceptorFinished.wait()
        close(listenFD)
        unlink(path)
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            let connection = accept(listenFD, nil, nil)
            if connection < 0 {
                if stopping.load(ordering: .acquiring) { break }
                if errno == EINTR || errno == ECONNABORTED { continue }
                logger.info("control socket accept failed", metadata: [LogKey.error: "\(SocketError.last("accept"))"])
                usleep(100_000)
                continue
            }
            let thread = Thread { [self] in
                serve(connection)
            }
            thread.name = "broker-control-connection"
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var reader = LineReader(fd: connection)
        while true {
            let line: String?
            do {
                line = try reader.nextLine()
            } catch {
                try? UnixSocket.sendAll(connection, "error: \(error)\n")
                return
            }
            guard let line else { return }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let reply = handler.withLock { $0 }?(trimmed) ?? "error: not ready"

            do {
                try UnixSocket.sendAll(connection, reply + "\n")
            } catch {
                return
            }
        }
    }
}
