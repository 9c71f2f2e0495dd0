public import ArgumentParser
public import Foundation

/// Environment fallbacks for command-line options.
///
/// Every executable takes its settings as options; where the local stack's `.run/stack.env`
/// (or an operator's unit file) names a setting, the option falls back to that variable, and
/// its help says which one. The value read is shown as the default in `--help`, so a user sees
/// what the program would use before running it.
public enum EnvironmentDefault {
    /// The value of the first of `names` that is set and not empty, else `fallback`.
    public static func string(
        _ names: String...,
        fallback: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        for name in names {
            if let value = environment[name], !value.isEmpty {
                return value
            }
        }
        return fallback
    }

    /// A help suffix naming the variables an option falls back to, e.g. `(env: KAFKA_BOOTSTRAP)`.
    public static func note(_ names: String...) -> String {
        "(env: " + names.joined(separator: ", ") + ")"
    }
}

extension ArgumentHelp {
    /// Help for an option that stands for environment variables: `text`, then `(env: …)`.
    /// - Parameters:
    ///   - text: What the option sets, with its range and default.
    ///   - variables: The variables it falls back to, the one that wins first.
    ///   - valueName: The value's name in the usage line, e.g. `path`.
    public static func environment(_ text: String, _ variables: String..., valueName: String? = nil) -> ArgumentHelp {
        ArgumentHelp(text + " (env: " + variables.joined(separator: ", ") + ")", valueName: valueName)
    }
}
