public import Foundation

/// The services the local stack started, read from `stack.env` (`KEY=value` lines).
///
/// Integration tests never skip: if the file or a key is missing the test fails with a
/// message telling how to start the stack, because in CI a missing server is a failure.
public struct StackEnv: Sendable {
    public let values: [String: String]
    public let path: String

    /// The package root, found from this file's location (Tests/TestSupport/StackEnv.swift).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Loads `$BUTTON_STACK_ENV`, or `.run/stack.env` under the package root.
    /// - Throws: `StackEnvError` when the file is missing or unreadable.
    public static func load() throws -> StackEnv {
        let path =
            ProcessInfo.processInfo.environment["BUTTON_STACK_ENV"]
            ?? packageRoot.appendingPathComponent(".run/stack.env").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw StackEnvError(message: "cannot read \(path): start the stack first (scripts/stack up)")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let eq = trimmed.firstIndex(of: "=") else { continue }
            var value = String(trimmed[trimmed.index(after: eq)...])
            if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
                value = String(value.dropFirst().dropLast())
            }
            values[String(trimmed[..<eq])] = value
        }
        return StackEnv(values: values, path: path)
    }

    /// The value of `key`.
    /// - Throws: `StackEnvError` when the stack did not publish it.
    public func require(_ key: String) throws -> String {
        guard let value = values[key], !value.isEmpty else {
            throw StackEnvError(message: "\(path) has no \(key): is the stack fully up?")
        }
        return value
    }

    /// The path of one of the stack's executables, in the build the stack runs
    /// (`STACK_BUILD`, debug when unset).
    public func binary(_ name: String) -> String {
        Self.packageRoot.appendingPathComponent(".build/\(values["STACK_BUILD"] ?? "debug")/\(name)").path
    }
}

/// Why the stack's environment could not be used.
public struct StackEnvError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
