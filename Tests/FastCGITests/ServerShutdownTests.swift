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

        // Opened before the server's thread first waits in accept, so numbered below every
        // connection it gets (see steps 1–4); the last ones are used first.
        var spares = (0..<40).map { _ in open("/dev/null", O_RDONLY | O_CLOEXEC) }.filter { $0 >= 0 }.sorted()
        defer { for spare in spares { close(spare) } }

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

        // Steps 1–4 set the race up. The server's own thread competes for the freed number:
        // Linux reserves the lowest free descriptor number when accept() starts waiting, not
        // when a connection arrives, so a thread that goes back to accept before step 4 holds
        // the number libfcgi just freed (unseen in /proc/self/fd) and F_DUPFD skips it. Spare
        // descriptors below the connection, two closed just before the client leaves, give
        // that accept (and the accepts and files of other tests running alongside) lower
        // numbers to take; the highest go first, so the next connection, numbered by that
        // accept, still has spares below it. Should the
        // freed number still go elsewhere, the set-up is made again, on a new connection.
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
            let connection = Self.inode(of: serverSide)

            // A socket pair standing for another thread's new connection, made now so that its
            // own numbers are not the one about to be freed.
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)

            // 3. The client goes away; libfcgi closes its end inside FCGX_Accept_r, and the thread
            // goes back to accept, reserving the lowest free number: a spare's, not this one.
            for _ in 0..<2 {
                guard let index = spares.lastIndex(where: { $0 < serverSide }) else { break }
                close(spares.remove(at: index))
            }
            close(client)
            let deadline = ContinuousClock.now + .seconds(5)
            // Polled tightly: any descriptor another test opens meanwhile takes the freed
            // number (the lowest free one), so the window between the close and step 4 must
            // stay short.
            // stay short. Closed means the number no longer names that socket: it may already
            // name another test's file.
            while Self.inode(of: serverSide) == connection && ContinuousClock.now < deadline {
                sleepUninterrupted(for: .microseconds(50))
            }
            #expect(Self.inode(of: serverSide) != connection, "libfcgi closed the kept connection")

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

    /// The inode of what descriptor `fd` names (nil: nothing), to tell one socket from another
    /// given the same number.
    static func inode(of fd: Int32) -> UInt? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        return UInt(status.st_ino)
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
