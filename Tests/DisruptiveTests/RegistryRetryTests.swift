import Foundation
import Logging
import Testing

@testable import ButtonFCGI

/// The press workers' start-up against a registry that is briefly unavailable: a real HTTP
/// server on loopback (Python's `http.server`) plays the registry's answers in order.
///
/// Needs no stack: every test brings its own server. In DisruptiveTests (run alone, after
/// the parallel pass) and serialized, and every blocking wait runs on a thread of its own, because the registration
/// under test blocks its thread while its async work and waits run on the cooperative pool
/// (two threads on a two-core machine): in the parallel pass, blocking suites starved that
/// pool for longer than the 30 s start-up deadline.
@Suite(.serialized) struct RegistryRetryTests {
    @Test func startUpWaitsOutARegistryThatAnswers503And429() async throws {
        let registry = try ScriptedRegistry([
            .init(status: 503, headers: ["Retry-After": "1"], body: #"{"error_code":50301,"message":"deploying"}"#),
            .init(status: 429, body: "<html>slow down</html>"),
            .init(status: 200, body: #"{"id":42}"#),
        ])
        defer { registry.stop() }
        let started = ContinuousClock.now
        let id = try await Self.registerSchema(try registry.configuration())
        #expect(id == 42)
        #expect(ContinuousClock.now - started >= .seconds(1), "Retry-After: 1 was honoured")
        let requests = await registry.finish()
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.hasPrefix("POST /subjects/button_presses-value/versions ") })
        #expect(requests.allSatisfy { $0.contains(#""schema":"#) })
    }

    @Test(arguments: [409, 422])
    func startUpFailsAtOnceWhenTheRegistryRefusesTheSchema(status: Int) async throws {
        let registry = try ScriptedRegistry([
            .init(status: status, body: #"{"error_code":\#(status)01,"message":"field 'x' breaks readers"}"#),
            .init(status: 200, body: #"{"id":1}"#),
        ])
        defer { registry.stop() }
        let configuration = try registry.configuration()
        let error = await #expect(throws: ButtonConfigurationError.self) {
            try await Self.registerSchema(configuration)
        }
        #expect(error?.message.contains("field 'x' breaks readers") == true, "\(String(describing: error))")
        #expect(await registry.finish().count == 1, "no retries")
    }

    @Test func startUpWaitsForARegistryThatIsNotListeningYet() async throws {
        // The port is bound but not listening for 1.5 s: connections are refused meanwhile.
        let registry = try ScriptedRegistry([.init(status: 200, body: #"{"id":7}"#)], listenAfter: 1.5)
        defer { registry.stop() }
        let id = try await Self.registerSchema(try registry.configuration())
        #expect(id == 7)
        #expect(await registry.finish().count == 1)
    }

    /// Runs the start-up registration on a thread of its own, as `button-fcgi` runs it on its
    /// main thread.
    static func registerSchema(_ configuration: ButtonConfiguration) async throws -> Int32 {
        try await onThread {
            try ButtonApp.registerSchema(configuration: configuration, logger: Logger(label: "registry-retry"))
        }
    }
}

/// Runs blocking work on a new thread, off the cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A one-shot HTTP server that answers the requests it gets with a script, then exits.
///
/// `@unchecked Sendable`: used by one test at a time; `stop()` and `finish()` are called from
/// that test only, in order.
final class ScriptedRegistry: @unchecked Sendable {
    struct Answer: Encodable {
        var status: Int
        var headers: [String: String] = [:]
        var body: String
    }

    private let process = Process()
    private let output = Pipe()
    let url: String
    private let secretFile: URL
    private var stopped = false

    /// Starts the server and waits until its port is bound.
    /// - Parameters:
    ///   - answers: the answers, one per request, in order.
    ///   - listenAfter: seconds to refuse connections before listening.
    init(_ answers: [Answer], listenAfter: Double = 0) throws {
        let script = String(decoding: try JSONEncoder().encode(answers), as: UTF8.self)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.server, String(listenAfter), script]
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        // Not the test's own stderr: `swift test` waits for every holder of that pipe to exit.
        process.standardError = FileHandle.nullDevice
        try process.run()
        let port = Self.readLine(output.fileHandleForReading)
        try #require(Int(port) != nil, "the scripted registry did not start: \(port)")
        url = "http://127.0.0.1:\(port)"
        secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try Data(repeating: UInt8(ascii: "s"), count: 40).write(to: secretFile)
    }

    /// A press-worker configuration naming this registry.
    func configuration() throws -> ButtonConfiguration {
        try ButtonConfiguration(environment: [
            "KAFKA_BOOTSTRAP": "127.0.0.1:1",
            "SCHEMA_REGISTRY_URL": url,
            "BUTTON_SESSION_SECRET_FILE": secretFile.path,
        ])
    }

    /// Stops the server and returns the requests it saw (`METHOD path body`), in order.
    func finish() async -> [String] {
        stop()
        let output = output
        let rest = (try? await onThread { output.fileHandleForReading.readDataToEndOfFile() }) ?? Data()
        return String(decoding: rest, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Stops the server and removes the secret file; safe to call again.
    func stop() {
        if !stopped {
            stopped = true
            process.terminate()
        }
        try? FileManager.default.removeItem(at: secretFile)
    }

    private static func readLine(_ handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while let byte = try? handle.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Prints its port, refuses connections for argv[1] seconds (bound, not listening), then
    /// answers one request per scripted answer, printing each request on a line.
    private static let server = #"""
        import http.server, json, os, signal, sys, time
        # The test process blocks SIGTERM (as the FastCGI server does), and children inherit that.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        delay, answers = float(sys.argv[1]), json.loads(sys.argv[2])
        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                print(self.command, self.path, body, flush=True)
                script = answers.pop(0)
                data = script["body"].encode()
                self.send_response(script["status"])
                for name, value in script["headers"].items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            do_GET = do_POST = answer
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        server.server_bind()
        print(server.server_address[1], flush=True)
        time.sleep(delay)
        server.server_activate()
        # Gives up after a minute, or as soon as the test process is gone.
        server.timeout = 1
        parent, deadline = os.getppid(), time.time() + 60
        while answers and time.time() < deadline and os.getppid() == parent:
            server.handle_request()
        """#
}
