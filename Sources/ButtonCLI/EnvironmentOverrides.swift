import ArgumentParser
public import Foundation

/// Command-line options that stand for environment variables.
///
/// The sink, the enricher, the registry and the stats pool are configured by their environment
/// (the stack and the deploy files start them that way) through `*Configuration(environment:)`
/// initialisers that check every value. Their options do not parse anything a second time: each
/// given option replaces its variable in a copy of the environment, the same initialiser reads
/// that copy, and an error it reports about a variable an option set is told as that option's.
///
/// ```swift
/// var overrides = EnvironmentOverrides()
/// overrides.set("SINK_BATCH_MAX", option: "--batch-max", to: batchMax)
/// let configuration = try overrides.configuration(program: "button-sink") {
///     try SinkConfiguration(environment: $0)
/// }
/// ```
public struct EnvironmentOverrides: Sendable {
    struct Entry: Sendable {
        let variable: String
        let replacing: [String]
        let option: String
        let value: String
    }

    private var entries: [Entry] = []

    /// No overrides yet.
    public init() {}

    /// Records an option's value for its variable; an option that was not given (`nil`) leaves
    /// the environment alone.
    /// - Parameters:
    ///   - variable: The variable the option stands for, e.g. `SINK_BATCH_MAX`.
    ///   - replacing: Other variables the configuration reads for the same setting, removed so
    ///     they cannot win over the option (e.g. `KAFKA_BOOTSTRAP` when setting
    ///     `KAFKA_BOOTSTRAP_SERVERS`).
    ///   - option: The option as the user types it, e.g. `--batch-max`, for error messages.
    ///   - value: The option's value, or nil when it was not given.
    public mutating func set(
        _ variable: String,
        replacing: [String] = [],
        option: String,
        to value: (some CustomStringConvertible)?
    ) {
        guard let value else { return }
        entries.append(Entry(variable: variable, replacing: replacing, option: option, value: value.description))
    }

    /// The environment the configuration reads: `environment` with every given option in place
    /// of its variable.
    /// - Parameter environment: The process environment by default.
    public func applied(to environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var result = environment
        for entry in entries {
            for name in entry.replacing { result[name] = nil }
            result[entry.variable] = entry.value
        }
        return result
    }

    /// The option that set a variable `message` names, if any: `(option, variable)`.
    ///
    /// A variable counts only as a whole word, so `KAFKA_BOOTSTRAP` is not found in
    /// `KAFKA_BOOTSTRAP_SERVERS`.
    /// - Parameter message: An error message of a configuration initialiser.
    public func option(namedIn message: String) -> (option: String, variable: String)? {
        for entry in entries {
            for name in [entry.variable] + entry.replacing where Self.mentions(message, name) {
                return (entry.option, name)
            }
        }
        return nil
    }

    /// Builds a configuration from the environment with the options applied.
    ///
    /// A problem with a value an option gave is a usage error (exit 64, like any bad option),
    /// told as `--option (VARIABLE): …`; a problem with the environment alone is a configuration
    /// error: one line on standard error and exit 78 (`EX_CONFIG`).
    /// - Parameters:
    ///   - program: The executable's name, the prefix of the configuration error line.
    ///   - environment: The process environment by default.
    ///   - build: The configuration initialiser, given the environment to read.
    /// - Returns: The configuration.
    /// - Throws: `ValidationError` for a bad option, `ExitCode(78)` for a bad variable (after
    ///   printing it).
    public func configuration<Configuration>(
        program: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        _ build: ([String: String]) throws -> Configuration
    ) throws -> Configuration {
        do {
            return try build(applied(to: environment))
        } catch {
            let message = "\(error)"
            if let (option, variable) = option(namedIn: message) {
                throw ValidationError("\(option) (\(variable)): \(message)")
            }
            throw StartupFailure.configuration(program: program, message)
        }
    }

    static func mentions(_ message: String, _ name: String) -> Bool {
        func isNamePart(_ character: Character) -> Bool {
            character.isASCII && (character.isUppercase || character.isNumber || character == "_")
        }
        var searchStart = message.startIndex
        while let range = message.range(of: name, range: searchStart..<message.endIndex) {
            let before = range.lowerBound == message.startIndex ? nil : message[message.index(before: range.lowerBound)]
            let after = range.upperBound == message.endIndex ? nil : message[range.upperBound]
            if !(before.map(isNamePart) ?? false) && !(after.map(isNamePart) ?? false) { return true }
            searchStart = range.upperBound
        }
        return false
    }
}
