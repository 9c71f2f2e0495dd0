public import ArgumentParser
import Foundation

/// How an executable that cannot start says so: one line on standard error, no stack trace,
/// and an exit status a supervisor (systemd, `scripts/stack`) can tell apart.
///
/// | status | meaning |
/// | --- | --- |
/// | 64 | a bad option (ArgumentParser's usage errors, `ValidationError`) |
/// | 69 | a server the program needs did not answer at start (`EX_UNAVAILABLE`) |
/// | 78 | a bad environment variable (`EX_CONFIG`) |
public enum StartupFailure {
    /// `EX_UNAVAILABLE`: a broker, registry or database did not answer at start.
    public static let unavailableStatus: Int32 = 69
    /// `EX_CONFIG`: a configuration value (from the environment) is invalid.
    public static let configurationStatus: Int32 = 78

    /// Prints `program: message` and returns the exit for an invalid configuration.
    /// - Parameters:
    ///   - program: The executable's name.
    ///   - message: What is wrong, naming the variable.
    /// - Returns: `ExitCode(78)`, to throw from `run()`.
    public static func configuration(program: String, _ message: String) -> ExitCode {
        printLine(program: program, message)
        return ExitCode(configurationStatus)
    }

    /// Prints `program: message` and returns the exit for a server that did not answer.
    /// - Parameters:
    ///   - program: The executable's name.
    ///   - message: Which server, where (never a password), and since how long.
    /// - Returns: `ExitCode(69)`, to throw from `run()`.
    public static func unavailable(program: String, _ message: String) -> ExitCode {
        printLine(program: program, message)
        return ExitCode(unavailableStatus)
    }

    /// Writes `program: message` as one line on standard error.
    /// - Parameters:
    ///   - program: The executable's name.
    ///   - message: The text; line breaks in it are folded so the line stays one.
    public static func printLine(program: String, _ message: String) {
        let folded = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        FileHandle.standardError.write(Data("\(program): \(folded)\n".utf8))
    }
}
