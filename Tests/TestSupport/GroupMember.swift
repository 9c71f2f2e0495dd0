import Foundation

/// One more member of a stack consumer's group (`button-sink`, `button-enrich`), started by a
/// test with the stack's addresses and the short group timeouts `scripts/stack` gives its own
/// consumers on the local broker, its log captured.
public final class GroupMember {
    private let process = Process()
    private let output = Pipe()
    private var stopped = false

    /// Starts `binary` (one of the stack's executables).
    /// - Parameters:
    ///   - binary: The executable's name, e.g. `button-sink`.
    ///   - stack: The stack whose broker and registry it uses.
    ///   - environment: Its own settings on top (e.g. `PG_DSN`, a lag interval).
    /// - Throws: when it cannot be started.
    public init(_ binary: String, stack: PressStack, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: stack.env.binary(binary))
        process.environment = ProcessInfo.processInfo.environment.merging(
            [
                "KAFKA_BOOTSTRAP": stack.bootstrap,
                "SCHEMA_REGISTRY_URL": stack.registry,
                "KAFKA_SESSION_TIMEOUT_MS": "6000",
                "KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
                "KAFKA_MAX_POLL_INTERVAL_MS": "10000",
                "KAFKA_FETCH_WAIT_MAX_MS": "50",
            ].merging(environment) { $1 }
        ) { $1 }
        process.standardError = output
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if !stopped { process.terminate() }
    }

    /// Sends SIGTERM and waits for the exit.
    /// - Returns: The exit status and everything it logged.
    public func stop() -> (status: Int32, log: String) {
        process.terminate()
        process.waitUntilExit()
        stopped = true
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, log)
    }
}
