/// Why the local broker could not start or a control request failed.
public struct LocalBrokerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Logger metadata keys used by this module.
enum LogKey {
    static let control = "broker.control"
    static let command = "broker.command"
    static let reply = "broker.reply"
    static let error = "broker.error"
    static let bootstrap = "broker.bootstrap"
    static let topic = "broker.topic"
}
