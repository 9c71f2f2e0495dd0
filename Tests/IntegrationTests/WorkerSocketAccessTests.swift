import Foundation
import Glibc
import TestSupport
import Testing

/// Only the web server may reach a FastCGI worker (issue 6, defect 6): libfcgi aborts the
/// whole worker on a params record announcing a length it cannot allocate, so a peer that
/// is not nginx must not get that far. Each test runs a registry worker pool of its own
/// (real processes, the stack's PostgreSQL) and never touches the stack's sockets.
@Suite(.serialized) struct WorkerSocketAccessTests {
    let env: StackEnv
    init() throws { env = try StackEnv.load() }

    /// A begin-request record, then a params record whose name length is 2^31-2 and value
    /// length 16: libfcgi's `Malloc(nameLen + valueLen + 2)` overflows to a size it cannot
    /// allocate and its assertion aborts the process. (Debian's fix for CVE-2025-23016 only
    /// refuses a length of exactly 2^31-1.)
    static let lethalRecords =
        "\\x01\\x01\\x00\\x01\\x00\\x08\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00"
        + "\\x01\\x04\\x00\\x01\\x00\\x08\\x00\\x00\\xff\\xff\\xff\\xfe\\x80\\x00\\x00\\x10"

    /// Sends `lethalRecords` over TCP from `source` and prints what came back:
    /// `closed N`, `reset N` or `timeout N` with N the bytes received.
    static let tcpClient = """
        import socket, sys
        source, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        s = socket.socket()
        s.settimeout(5)
        s.bind((source, 0))
        s.connect((host, port))
        data = b''
        try:
            s.sendall(b'\(lethalRecords)')
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            print('closed', len(data))
        except socket.timeout:
            print('timeout', len(data))
        except (ConnectionResetError, BrokenPipeError):
            print('reset', len(data))
        """

    /// Connects to a unix socket and prints `connected` or the error's name.
    static let unixClient = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sys.argv[1])
            print('connected')
        except OSError as e:
            print(type(e).__name__)
        """

    @Test func tcpPeersNotListedAreRefusedAndTheWorkerLives() throws {
        let port = try Self.freePort()
        // No FCGI_WEB_SERVER_ADDRS given: a loopback listen allows 127.0.0.1 only.
        let pool = try RegistryPool(env: env, listen: "127.0.0.1:\(port)", extra: [:])
        defer { pool.stop() }
        try pool.waitUntilServing(connect: "127.0.0.1:\(port)")
        let worker = try #require(pool.workers().first)

        // An unlisted peer (another loopback address) is dropped at accept: no answer, and
        // the lethal record never reaches libfcgi's parser.
        let refused = try Self.python(Self.tcpClient, ["127.0.0.2", "127.0.0.1", "\(port)"])
        #expect(refused.hasSuffix(" 0"), "nothing answered: \(refused)")
        Thread.sleep(forTimeInterval: 0.5)
        #expect(pool.workers() == [worker], "the worker lives")
        #expect(!pool.log().contains("worker exited"))
        #expect(try pool.request(connect: "127.0.0.1:\(port)").hasPrefix("Status: 200"), "and serves the next request")

        // Positive control: the same bytes from the listed peer do kill a worker, so the
        // refusal above is what kept it alive.
        _ = try Self.python(Self.tcpClient, ["127.0.0.1", "127.0.0.1", "\(port)"])
        #expect(pool.waitForLog("worker exited"), "the lethal record kills a worker that reads it")
        #expect(pool.log().contains("signal 6"), "libfcgi's assertion aborted it")
    }

    @Test func unixSocketRefusesOtherUsers() throws {
        let directory = URL(fileURLWithPath: "/tmp/button-access-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Anyone may enter the directory: the socket's own mode must be what keeps them out.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("registry.sock").path
        let pool = try RegistryPool(env: env, listen: "unix:\(socket)", extra: [:])
        defer { pool.stop() }
        try pool.waitUntilServing(connect: socket)
        let worker = try #require(pool.workers().first)

        let attributes = try FileManager.default.attributesOfItem(atPath: socket)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
        #expect(mode == 0o660, "owner and group only, not \(String(mode, radix: 8))")

        // Positive control: as nobody, the client reaches a socket in the same directory that
        // lets everyone in.
        let open = directory.appendingPathComponent("open.sock").path
        let openFD = try Self.listenOpenSocket(open)
        defer { close(openFD) }
        #expect(try Self.asNobody(Self.unixClient, [open]) == "connected")

        #expect(try Self.asNobody(Self.unixClient, [socket]) == "PermissionError")
        #expect(pool.workers() == [worker], "the worker lives")
        #expect(try pool.request(connect: socket).hasPrefix("Status: 200"))
    }

    @Test func aTCPListenWithoutAllowedPeersDoesNotStart() throws {
        // A listener reachable from other hosts, no list of allowed peers: refused at start.
        let binary = env.binary("button-registry")
        var environment = ProcessInfo.processInfo.environment
        environment["FCGI_WEB_SERVER_ADDRS"] = nil
        environment["REGISTRY_LISTEN"] = "0.0.0.0:\(try Self.freePort())"
        environment["REGISTRY_PG_DSN"] = try env.require("PG_DSN")
        let result = try Command.run(binary, [], environment: environment, inheritEnvironment: false)
        #expect(result.status != 0)
        #expect(result.errors.contains("FCGI_WEB_SERVER_ADDRS"), "says what to set: \(result.errors)")
    }

    // MARK: helpers

    static func python(_ script: String, _ arguments: [String]) throws -> String {
        let result = try Command.run("/usr/bin/python3", ["-c", script] + arguments)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines) + result.errors
    }

    static func asNobody(_ script: String, _ arguments: [String]) throws -> String {
        let result = try Command.run(
            "/usr/bin/setpriv",
            ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", script] + arguments
        )
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines) + result.errors
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw StackEnvError(message: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func listenOpenSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
        guard ok, chmod(path, 0o666) == 0, listen(fd, 4) == 0 else {
            close(fd)
            throw StackEnvError(message: "cannot listen on \(path)")
        }
        return fd
    }
}

/// A `button-registry` master with one worker, on an address of the test's choosing.
final class RegistryPool: @unchecked Sendable {
    // @unchecked: used from one test at a time; the process handle is only read.
    let process = Process()
    let logPath: String

    init(env: StackEnv, listen: String, extra: [String: String]) throws {
        let binary = URL(fileURLWithPath: env.binary("button-registry"))
        logPath = "/tmp/button-access-\(UUID().uuidString.prefix(8)).log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw StackEnvError(message: "cannot create \(logPath)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["FCGI_WEB_SERVER_ADDRS"] = nil
        environment["REGISTRY_LISTEN"] = listen
        environment["REGISTRY_PG_DSN"] = try env.require("PG_DSN")
        environment["REGISTRY_PROCESSES"] = "1"
        environment["REGISTRY_THREADS"] = "2"
        environment.merge(extra) { $1 }
        process.executableURL = binary
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The master's child processes.
    func workers() -> [String] {
        let pid = process.processIdentifier
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").map(String.init).filter { !$0.isEmpty }
    }

    /// `GET /subjects` over FastCGI with `cgi-fcgi`; returns its CGI output.
    func request(connect: String) throws -> String {
        try Command.run(
            "/usr/bin/cgi-fcgi",
            ["-bind", "-connect", connect],
            environment: [
                "REQUEST_METHOD": "GET", "REQUEST_URI": "/subjects", "DOCUMENT_URI": "/subjects",
                "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_LENGTH": "0",
            ],
            inheritEnvironment: false
        ).output
    }

    func waitUntilServing(connect: String) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !process.isRunning { throw StackEnvError(message: "registry exited: \(log())") }
            if (try? request(connect: connect))?.hasPrefix("Status: 200") == true, !workers().isEmpty { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw StackEnvError(message: "registry not serving after 30 s: \(log())")
    }

    func waitForLog(_ text: String) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if log().contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }
}
