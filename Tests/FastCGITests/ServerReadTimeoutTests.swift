import FastCGI
import Glibc
import POSIXSupport
import Testing

/// libfcgi reads with no timeout: a peer that sends half a record, or a request a byte at a
/// time, would hold a server thread for as long as it likes (issue 12). `readTimeout` bounds
/// how long a thread waits on one connection for a whole request; these tests play the
/// misbehaving peer with raw records on a unix socket, against a server with one thread, so
/// a held thread shows as a second client never being answered.
@Suite struct ServerReadTimeoutTests {
    /// Half a record header, then silence: the connection is shut down after the timeout,
    /// and the one thread goes on to answer the next client.
    @Test func halfARecordIsCutAtTheReadTimeout() throws {
        let socket = try ListeningSocket()
        let server = try RunningServer(
            socket,
            threads: 1,
            drainTimeout: .zero,
            readTimeout: .milliseconds(300),
            name: "A"
        )
        defer { server.finish() }
        let stuck = try socket.connect()
        try Socket.sendAll(stuck.fd, [1, 1, 0])
        let started = ContinuousClock.now
        let next = try socket.connect()
        #expect(try ServerDrainTests.exchange(next, keep: false) == "A", "the thread was freed for the next client")
        #expect(try Self.waitForClose(stuck, within: .seconds(3)), "the server closed the half-sent connection")
        let waited = started.duration(to: .now)
        #expect(waited >= .milliseconds(250) && waited < .seconds(3), "cut after about 300 ms, not \(waited)")
        #expect(server.server.connectionsTimedOut == 1)
        let cut = try #require(server.log.first { $0.message.hasPrefix("connection cut") })
        #expect(cut.level == .warning)
        #expect(server.handled == 1, "only the whole request was handled")
    }

    /// A whole request sent a byte every 50 ms: every read gets a byte, so only a bound on the
    /// whole request (not on one read) frees the thread.
    @Test func aSlowlorisIsCutThoughEveryReadGetsAByte() throws {
        let socket = try ListeningSocket()
        let server = try RunningServer(
            socket,
            threads: 1,
            drainTimeout: .zero,
            readTimeout: .milliseconds(400),
            name: "A"
        )
        defer { server.finish() }
        let slow = try socket.connect()
        let request = FastCGIWire.request([("REQUEST_METHOD", "GET")], keepConnection: false)
        let started = ContinuousClock.now
        var closed = false
        for byte in request where started.duration(to: .now) < .seconds(4) {
            if send(slow.fd, [byte], 1, Int32(MSG_NOSIGNAL)) < 0 {
                closed = true
                break
            }
            var answer: UInt8 = 0
            if recv(slow.fd, &answer, 1, Int32(MSG_DONTWAIT)) == 0 {
                closed = true
                break
            }
            sleepUninterrupted(for: .milliseconds(50))
        }
        let waited = started.duration(to: .now)
        #expect(closed, "the connection was closed before the request was whole")
        #expect(waited >= .milliseconds(350) && waited < .seconds(3), "cut after about 400 ms, not \(waited)")
        #expect(server.handled == 0)
        #expect(try ServerDrainTests.exchange(try socket.connect(), keep: false) == "A")
    }

    /// A kept connection idle for less than the timeout is answered again (the bound starts
    /// again with each request); one idle for longer is closed by the server.
    @Test func aKeptConnectionIsClosedOnlyAfterTheTimeoutIdle() throws {
        let socket = try ListeningSocket()
        let server = try RunningServer(
            socket,
            threads: 1,
            drainTimeout: .zero,
            readTimeout: .milliseconds(600),
            name: "A"
        )
        defer { server.finish() }
        let kept = try socket.connect()
        for _ in 0..<3 {
            #expect(try ServerDrainTests.exchange(kept) == "A")
            sleepUninterrupted(for: .milliseconds(300))
        }
        #expect(try ServerDrainTests.exchange(kept) == "A", "idle 300 ms three times: still open")
        #expect(try Self.waitForClose(kept, within: .seconds(3)), "idle past 600 ms: closed")
        // Counted just after the cut, which the client may see first.
        let deadline = ContinuousClock.now + .seconds(2)
        while server.server.connectionsTimedOut == 0 && ContinuousClock.now < deadline {
            sleepUninterrupted(for: .milliseconds(5))
        }
        #expect(server.server.connectionsTimedOut == 1)
    }

    /// Without a read timeout nothing is cut (the stats pool's and the registry's setting).
    @Test func withoutAReadTimeoutAHalfRecordIsNotCut() throws {
        let socket = try ListeningSocket()
        let server = try RunningServer(socket, threads: 2, drainTimeout: .zero, name: "A")
        defer { server.finish() }
        let stuck = try socket.connect()
        try Socket.sendAll(stuck.fd, [1, 1, 0])
        #expect(!(try Self.waitForClose(stuck, within: .milliseconds(700))))
        #expect(server.server.connectionsTimedOut == 0)
        stuck.close()
    }

    /// A body that ends before its records say (the peer closed) is not handled: nobody waits
    /// for the answer, and a press must not be published for it.
    @Test func aRequestWhoseBodyIsCutOffIsNotHandled() throws {
        let socket = try ListeningSocket()
        let server = try RunningServer(socket, threads: 1, drainTimeout: .zero, name: "A")
        defer { server.finish() }
        let client = try socket.connect()
        let full = FastCGIWire.request([("REQUEST_METHOD", "POST")], keepConnection: false)
        // Everything up to the empty STDIN record, then a STDIN record of 100 bytes with 10 sent.
        var bytes = Array(full.dropLast(8))
        bytes += [1, 5, 0, 1, 0, 100, 0, 0] + [UInt8](repeating: 0x78, count: 10)
        try Socket.sendAll(client.fd, bytes)
        shutdown(client.fd, Int32(SHUT_WR))
        var answer = [UInt8](repeating: 0, count: 64)
        #expect(try Socket.receive(client.fd, into: &answer) == 0, "closed with no answer")
        #expect(try ServerDrainTests.exchange(try socket.connect(), keep: false) == "A")
        #expect(server.handled == 1, "only the whole request was handled")
    }

    /// Whether the server closes `client` within `timeout` (reads discard anything sent).
    static func waitForClose(_ client: Client, within timeout: Duration) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 256)
        while ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let count = recv(client.fd, &buffer, buffer.count, 0)
            if count <= 0 { return true }
        }
        return false
    }
}
