public import Kafka

/// Why the topic setup stopped.
public struct TopicSetupError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure; static members, so new kinds don't break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }

        /// The plan's numbers don't fit together; nothing was sent.
        public static let invalidPlan = Code("invalidPlan")
        /// The cluster names no controller that is one of its brokers, so it can neither create
        /// nor describe topics (librdkafka's mock cluster, the local broker, is such a cluster).
        public static let noController = Code("noController")
        /// The cluster has fewer brokers than the replication factor asks for.
        public static let tooFewBrokers = Code("tooFewBrokers")
        /// The topic did not appear in the metadata after it was created.
        public static let notCreated = Code("notCreated")
        /// A Kafka request failed.
        public static let kafka = Code("kafka")
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, for the operator.
    public let message: String
    /// The Kafka error behind it, if any.
    public let underlying: KafkaError?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind.
    ///   - message: What happened.
    ///   - underlying: The Kafka error behind it.
    public init(code: Code, message: String, underlying: KafkaError? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
