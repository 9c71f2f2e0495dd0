import Foundation

/// Runs `scripts/stack` against the stack the tests use (restart a part, etc.).
public enum StackControl {
    /// Runs `scripts/stack <arguments>` for the stack described by `env`.
    /// - Throws: `StackEnvError` with the script's output when it fails.
    /// - Parameter extra: variables for the parts this command starts (e.g. `GEOIP_MMDB`).
    public static func run(_ arguments: [String], env: StackEnv, extra: [String: String] = [:]) throws {
        var extra = extra
        if let runDir = env.values["RUN_DIR"] { extra["BUTTON_RUN_DIR"] = runDir }
        extra["BUTTON_SKIP_BUILD"] = "1"
        let script = StackEnv.packageRoot.appendingPathComponent("scripts/stack").path
        let result = try Command.run(script, arguments, environment: extra)
        guard result.status == 0 else {
            throw StackEnvError(
                message: "scripts/stack \(arguments.joined(separator: " ")) failed: \(result.output)\(result.errors)"
            )
        }
    }
}
