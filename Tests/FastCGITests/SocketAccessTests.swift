import Foundation
import Glibc
import POSIXSupport
import Testing

/// The socket layer FastCGI and the local broker share.
@Suite struct SocketAccessTests {
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func unixSocketGetsItsModeAndGroupBeforeListening() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a.sock").path
        let fd = try Socket.listenUnix(path: path, backlog: 4, access: Socket.Access(mode: 0o640, group: 33))
        defer { close(fd) }
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o640)
        #expect(info.st_gid == 33)
        #expect(Socket.kind(of: path) == .socket)
        let client = try Socket.connectUnix(path: path, timeout: .seconds(1))
        close(client)
    }

    @Test func aStaleSocketIsReplacedButNoOtherFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("b.sock").path
        close(try Socket.listenUnix(path: path, backlog: 4, access: Socket.Access()))
        let again = try Socket.listenUnix(path: path, backlog: 4, access: Socket.Access())
        close(again)
        let file = directory.appendingPathComponent("plain").path
        #expect(FileManager.default.createFile(atPath: file, contents: Data("keep".utf8)))
        #expect(throws: SystemError.self) { try Socket.listenUnix(path: file, backlog: 4, access: Socket.Access()) }
        #expect(FileManager.default.contents(atPath: file) == Data("keep".utf8), "not a socket: left alone")
    }

    @Test func errorsNameTheCallAndTheReason() {
        let error = SystemError("cannot bind /x.sock", errno: EACCES)
        #expect(error.description == "cannot bind /x.sock: Permission denied")
        #expect {
            try Socket.unixAddress(String(repeating: "x", count: 200))
        } throws: { ($0 as? SystemError)?.errno == ENAMETOOLONG }
    }

    @Test func interruptedCallsAreRetriedUnlessAskedNotTo() throws {
        var attempts = 0
        let result = try retryingSystemCall("test") { () -> Int32 in
            attempts += 1
            if attempts < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7 && attempts == 3)
        let interrupted = try systemCall("test", interruptible: true) { () -> Int32 in
            errno = EINTR
            return -1
        }
        #expect(interrupted == nil)
        #expect {
            try retryingSystemCall("test") { () -> Int32 in
                errno = EBADF
                return -1
            }
        } throws: { ($0 as? SystemError)?.errno == EBADF }
    }
}
