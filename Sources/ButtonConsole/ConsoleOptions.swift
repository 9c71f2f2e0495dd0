/// What `button-consume` reads and prints; ``ConsoleCommand`` fills it from the command line.
public struct ConsoleOptions: Sendable, Equatable {
    /// Where reading starts.
    public enum Start: Sendable, Equatable { case beginning, end }

    public var start: Start = .beginning
    public var follow = false
    /// Actions shown; empty shows all.
    public var actions: Set<String> = []
    /// Upper-case ISO country codes shown; empty shows all.
    public var countries: Set<String> = []
    public var maxEvents: Int?
    public var idleMilliseconds = 2000
    public var topic = "button_presses"
    /// Kafka brokers; nil reads `KAFKA_BOOTSTRAP_SERVERS` / `KAFKA_BOOTSTRAP`.
    public var bootstrap: String?
    /// Registry URL; nil reads `SCHEMA_REGISTRY_URL`.
    public var registryURL: String?
    /// How long the broker and the registry may take to answer at start.
    public var connectTimeoutMilliseconds = 10_000

    /// The defaults: the whole topic, then stop after 2 s without events.
    public init() {}
}

/// A start-up problem of the console consumer: a missing setting, a server that did not answer.
public struct ConsoleError: Error, CustomStringConvertible {
    public let message: String
    /// A server did not answer (rather than a setting missing).
    public let isUnavailable: Bool
    init(_ message: String, isUnavailable: Bool = false) {
        self.message = message
        self.isUnavailable = isUnavailable
    }
    public var description: String { message }
}
