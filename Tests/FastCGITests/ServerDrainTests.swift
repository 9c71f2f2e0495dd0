import FastCGI
import Foundation
import Glibc
import Logging
import POSIXSupport
import Synchronization
import Testing

/// A draining server must not close a connection the web server keeps: nginx may just have
/// written the next request on it, and it never retries a POST (issue 11). These tests play
/// nginx with raw FastCGI records on a unix socket.
@Suite struct ServerDrainTests {
    /// The kept connection is answered through the drain, new connections go to another
    /// server on the same socket, and the drain ends when the client closes its connection.
    @Test func aDrainingServerAnswersOnItsKeptConnectionUntilTheClientClosesIt() throws {
        let socket = try ListeningSocket()
        let draining = try RunningServer(socket, threads: 2, drainTimeout: .seconds(30), name: "A")
        defer { draining.finish() }
        let kept = try socket.connect()
        #expect(try Self.exchange(kept) == "A")

        draining.server.stop()
        #expect(draining.server.isStopping)
        #expect(!draining.returned(within: .milliseconds(300)), "the drain waits for the kept connection")
        #expect(try Self.exchange(kept) == "A", "the draining server answers on its kept connection")

        // It accepts no new connection: another server on the same socket gets every one.
        let other = try RunningServer(socket, threads: 1, drainTimeout: .zero, name: "B")
        defer { other.finish() }
        for _ in 0..<5 {
            let fresh = try socket.connect()
            #expect(try Self.exchange(fresh, keep: false) == "B")
        }
        #expect(try Self.exchange(kept) == "A", "and still answers on the kept one")

        kept.close()
        #expect(draining.returned(within: .seconds(5)), "the drain ends once the client has closed its connection")
        let drained = try #require(draining.log.first { $0.message.hasPrefix("drained") })
        #expect(drained.metadata["kept"] == "1")
        #expect(!draining.log.contains { $0.message.contains("deadline passed") })
    }

    /// Past the drain's deadline the server closes what the client still keeps, and says how
    /// many connections it cut.
    @Test func theDeadlineCutsAKeptConnection() throws {
        let socket = try ListeningSocket()
        let server = try RunningServer(socket, threads: 2, drainTimeout: .milliseconds(400), name: "A")
        defer { server.finish() }
        let kept = try socket.connect()
        #expect(try Self.exchange(kept) == "A")

        let stopped = ContinuousClock.now
        server.server.stop()
        #expect(server.returned(within: .seconds(5)), "the deadline ends the drain")
        #expect(stopped.duration(to: .now) >= .milliseconds(400), "the kept connection had until the deadline")
        var byte: UInt8 = 0
        #expect(recv(kept.fd, &byte, 1, 0) == 0, "the server closed the kept connection")
        let cut = try #require(server.log.first { $0.message.hasPrefix("drain deadline passed") })
        #expect(cut.level == .warning)
        #expect(cut.metadata["connections"] == "1")
    }

    /// A recycled server (max requests reached) drains like a stopped one: the request after
    /// its last one, written on the same kept connection, is answered too.
    @Test func recyclingKeepsAnsweringOnTheKeptConnection() throws {
        let socket = try ListeningSocket()
        let server = try RunningServer(socket, threads: 2, drainTimeout: .seconds(30), maxRequests: 3, name: "A")
        defer { server.finish() }
        let kept = try socket.connect()
        for request in 1...6 {
            #expect(try Self.exchange(kept) == "A", "request \(request) on the kept connection")
        }
        #expect(server.server.isStopping, "it served its maximum")
        #expect(server.log.contains { $0.message.hasPrefix("served its maximum of requests") })
        kept.close()
        #expect(server.returned(within: .seconds(5)))
    }

    /// When the client closes a kept connection while the server is serving, the thread goes
    /// back to accepting (one thread: each connection needs it), without an accept error.
    @Test func aThreadWhoseKeptConnectionEndsAcceptsTheNextOne() throws {
        let socket = try ListeningSocket()
        let server = try RunningServer(socket, threads: 1, drainTimeout: .seconds(30), name: "A")
        defer { server.finish() }
        for connection in 1...3 {
            let client = try socket.connect()
            #expect(try Self.exchange(client) == "A", "connection \(connection)")
            #expect(try Self.exchange(client) == "A", "connection \(connection), kept")
            client.close()
        }
        #expect(!server.log.contains { $0.message.hasPrefix("accept failed") })
        server.server.stop()
        // The last close may reach the thread just after the stop (the drain then starts with
        // that connection counted as kept); either way the drain ends with the client's close,
        // long before its 30 s deadline.
        #expect(server.returned(within: .seconds(5)), "with no kept connection left the drain ends at once")
        #expect(server.log.contains { $0.message.hasPrefix("drained") })
        #expect(!server.log.contains { $0.message.hasPrefix("drain deadline passed") })
    }

    /// Without a drain timeout (the registry's and the stats pool's setting), stop closes a
    /// kept connection at once.
    @Test func withoutADrainTimeoutStopClosesKeptConnectionsAtOnce() throws {
        let socket = try ListeningSocket()
        let server = try RunningServer(socket, threads: 1, drainTimeout: .zero, name: "A")
        defer { server.finish() }
        let kept = try socket.connect()
        #expect(try Self.exchange(kept) == "A")
        server.server.stop()
        #expect(server.returned(within: .seconds(5)))
        var byte: UInt8 = 0
        #expect(recv(kept.fd, &byte, 1, 0) == 0, "the kept connection was closed")
    }

    /// One request on `client`'s connection; returns the response body.
    static func exchange(_ client: Client, keep: Bool = true) throws -> String {
        try Socket.sendAll(client.fd, FastCGIWire.request([("REQUEST_METHOD", "POST")], keepConnection: keep))
        let stdout = String(decoding: try FastCGIWire.readResponse(client.fd), as: UTF8.self)
        guard let end = stdout.range(of: "\r\n\r\n") else { return "no header end in: \(stdout)" }
        return String(stdout[end.upperBound...])
    }
}

/// A listening unix socket in a folder of its own, removed when it goes.
final class ListeningSocket {
    let directory: URL
    let path: String
    let fd: Int32

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fcgi-drain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("s.sock").path
        fd = try FastCGIServer.openListenSocket(.unix(path: path))
    }

    deinit {
        close(fd)
        try? FileManager.default.removeItem(at: directory)
    }

    /// A client connection; sends and receives give up after 5 s.
    func connect() throws -> Client { Client(fd: try Socket.connectUnix(path: path, timeout: .seconds(5))) }
}

/// A client's connection, closed once: a descriptor number closed twice could by then belong
/// to another test running alongside.
final class Client {
    let fd: Int32
    private var open = true

    init(fd: Int32) { self.fd = fd }

    deinit { close() }

    func close() {
        guard open else { return }
        open = false
        Glibc.close(fd)
    }
}

/// A server on a shared socket, run on a thread of its own, answering every request with
/// its name; what it logs is kept.
final class RunningServer {
    let server: FastCGIServer
    /// Held so the socket stays open until the server has stopped.
    private let socket: ListeningSocket
    let records: LogRecords
    /// Requests handed to the handler so far.
    var handled: Int { handledCount.value.load(ordering: .relaxed) }
    private let handledCount = Counter()
    private let finished: DispatchSemaphore
    private var thread: NativeThread?
    private var hasReturned = false

    init(
        _ socket: ListeningSocket,
        threads: Int,
        drainTimeout: Duration,
        maxRequests: Int = 0,
        readTimeout: Duration? = nil,
        name: String
    ) throws {
        let records = LogRecords()
        let finished = DispatchSemaphore(value: 0)
        let server = FastCGIServer(
            listenFD: socket.fd,
            configuration: FastCGIServerConfiguration(
                threads: threads,
                maxRequests: maxRequests,
                drainTimeout: drainTimeout,
                readTimeout: readTimeout
            ),
            logger: Logger(label: "drain-test") { _ in DrainLogHandler(records: records) }
        )
        self.server = server
        self.socket = socket
        self.records = records
        self.finished = finished
        let handled = handledCount
        thread = try NativeThread {
            do {
                try server.run(handlingSignals: false) { _ in
                    ClosureHandler { _ in
                        handled.value.add(1, ordering: .relaxed)
                        return FastCGIResponse(status: 200, body: Array(name.utf8))
                    }
                }
            } catch {
                records.append(.init(level: .critical, message: "run failed: \(error)", metadata: [:]))
            }
            finished.signal()
        }
        // run() logs "serving" once its threads are started.
        let deadline = ContinuousClock.now + .seconds(5)
        while !log.contains(where: { $0.message == "serving" }) && ContinuousClock.now < deadline {
            sleepUninterrupted(for: .milliseconds(5))
        }
    }

    var log: [LogRecords.Record] { records.all }

    /// Whether `run` has returned, waiting up to `timeout`.
    func returned(within timeout: Duration) -> Bool {
        if hasReturned { return true }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        hasReturned = finished.wait(timeout: .now() + .milliseconds(milliseconds)) == .success
        return hasReturned
    }

    /// Stops the server if a test left it running, and waits for its thread.
    func finish() {
        server.stop()
        thread?.join()
        thread = nil
    }
}

/// A count shared with a server's handler threads.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Log records of one server, shared with its log handlers.
final class LogRecords: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }
    private let records = Mutex<[Record]>([])

    func append(_ record: Record) { records.withLock { $0.append(record) } }
    var all: [Record] { records.withLock { $0 } }
}

/// Keeps every record in `records`.
struct DrainLogHandler: LogHandler {
    let records: LogRecords
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        records.append(.init(level: event.level, message: "\(event.message)", metadata: fields))
    }
}
