import FastCGI
import Foundation
import Glibc
import Logging
import POSIXSupport
import Testing

/// `stop()` must wake waiting threads without touching a descriptor that may no longer be
/// theirs (issue 6, defect 4).
@Suite(.serialized) struct ServerShutdownTests {
    /// Reproduces the race deterministically: a thread's kept connection is closed by libfcgi
    /// while the thread goes back to accept, and the freed descriptor number is taken by
    /// another connection (here a socket pair standing for another thread's new request).
    /// Stopping the server must leave that connection alone.
    @Test func stopLeavesAReusedDescriptorNumberAlone() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fcgi-stop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let serverPath = directory.appendingPathComponent("s.sock").path

        let server = try FastCGIServer(
            listeningOn: .unix(path: serverPath),
            configuration: FastCGIServerConfiguration(threads: 1),
            logger: Logger(label: "test")
        )
        let finished = DispatchSemaphore(value: 0)
        let serving = try NativeThread {
            try? server.run(handlingSignals: false) { _ in
                ClosureHandler { _ in FastCGIResponse(status: 204) }
            }
            finished.signal()
        }
        defer { serving.join() }
        var stopped = false
        defer { if !stopped { server.stop() } }

        // Steps 1–4 set the race up. In the parallel pass another test may open a file in the
        // instant between libfcgi freeing the number and step 4 taking it; then the set-up
        // is simply made again, on a new connection.
        var serverSide: Int32 = -1
        var reused: Int32 = -1
        var pair: [Int32] = [-1, -1]
        for attempt in 0..<30 {
            if reused >= 0 {
                close(reused)
                close(pair[1])
            }
            // 1. A kept connection from a client bound to a known path, one request answered.
            let clientPath = directory.appendingPathComponent("c\(attempt).sock").path
            let client = try Self.connect(from: clientPath, to: serverPath)
            try Socket.sendAll(client, FastCGIWire.request([("REQUEST_METHOD", "GET")], keepConnection: true))
            let answer = try FastCGIWire.readResponse(client)
            #expect(String(decoding: answer, as: UTF8.self).hasPrefix("Status: 204"))

            // 2. The server's end of it: the socket whose peer is the client's path.
            serverSide = try #require(Self.descriptor(withPeer: clientPath), "the server holds the kept connection")

            // A socket pair standing for another thread's new connection, made now so that its
            // own numbers are not the one about to be freed.
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)

            // 3. The client goes away; libfcgi closes its end inside FCGX_Accept_r and accepts again.
            close(client)
            let deadline = ContinuousClock.now + .seconds(5)
            // Polled tightly: any descriptor another test opens meanwhile takes the freed
            // number (the lowest free one), so the window between the close and step 4 must
            // stay short.
            while fcntl(serverSide, F_GETFD) != -1 && ContinuousClock.now < deadline {
                sleepUninterrupted(for: .microseconds(50))
            }
            #expect(fcntl(serverSide, F_GETFD) == -1, "libfcgi closed the kept connection")

            // 4. Another connection gets that number (F_DUPFD never takes a number in use).
            reused = fcntl(pair[0], F_DUPFD, serverSide)
            close(pair[0])
            if reused == serverSide { break }
        }
        defer {
            close(reused)
            close(pair[1])
        }
        try #require(reused == serverSide, "the freed number went to another connection in all 30 attempts")

        // 5. Stop: the thread in accept wakes and the server returns.
        server.stop()
        stopped = true
        #expect(finished.wait(timeout: .now() + 10) == .success, "run returned after stop()")

        // 6. The other connection is intact: no end of stream, and it still carries data.
        var byte: UInt8 = 0
        let peek = recv(pair[1], &byte, 1, Int32(MSG_DONTWAIT))
        let peekError = errno
        #expect(peek == -1 && peekError == EAGAIN, "stop() shut down a connection that was not the server's")
        #expect(send(reused, "x", 1, Int32(MSG_NOSIGNAL)) == 1)
        #expect(recv(pair[1], &byte, 1, Int32(MSG_DONTWAIT)) == 1 && byte == UInt8(ascii: "x"))
    }

    /// A unix stream socket bound to `from`, connected to `to`.
    static func connect(from: String, to: String) throws -> Int32 {
        let fd = try Socket.make(family: AF_UNIX, label: from)
        var local = try Socket.unixAddress(from)
        var remote = try Socket.unixAddress(to)
        let size = socklen_t(MemoryLayout<sockaddr_un>.size)
        try retryingSystemCall("bind") {
            withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
            }
        }
        try retryingSystemCall("connect") {
            withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) }
            }
        }
        try Socket.setTimeouts(fd, .seconds(5))
        return fd
    }

    /// The descriptor of this process whose unix peer is bound at `path`.
    static func descriptor(withPeer path: String) -> Int32? {
        for fd in Int32(3)..<Int32(4096) {
            var address = sockaddr_un()
            var length = socklen_t(MemoryLayout<sockaddr_un>.size)
            let status = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
            }
            guard status == 0, address.sun_family == sa_family_t(AF_UNIX) else { continue }
            let peer = withUnsafeBytes(of: address.sun_path) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if peer == path { return fd }
        }
        return nil
    }
}
