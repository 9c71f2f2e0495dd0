import Foundation

/// Runs `scripts/stack` against the stack the tests use (restart a part, etc.).
public enum StackControl {
    /// Runs `scripts/stack <arguments>` for the stack described by `env`.
    /// - Throws: `StackEnvError` with the script's output when it fails.
    public static func run(_ arguments: [String], env: StackEnv) throws {
        let process = Process()
        process.executableURL = StackEnv.packageRoot.appendingPathComponent("scripts/stack")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        if let runDir = env.values["RUN_DIR"] { environment["BUTTON_RUN_DIR"] = runDir }
        environment["BUTTON_SKIP_BUILD"] = "1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StackEnvError(
                message: "scripts/stack \(arguments.joined(separator: " ")) failed: "
                    + String(decoding: data, as: UTF8.self)
            )
        }
    }
}
