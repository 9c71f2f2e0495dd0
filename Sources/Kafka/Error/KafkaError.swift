/// An error from the Kafka client: a stable ``Code`` to switch on, a human message, and the
/// librdkafka error it came from (when there was one).
///
/// The message never contains message keys or values, and never the value of a configuration
/// property that may be secret (see ``KafkaConfiguration/isSensitive(_:)``).
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. New codes may be added; compare with `==` against the
    /// static members instead of switching exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        public var description: String { name }

        /// A configuration property is unknown or has an invalid value.
        public static let configuration = Code("configuration")
        /// The producer's local queue is full (`queue.buffering.max.messages`/`.kbytes`).
        public static let queueFull = Code("queueFull")
        /// The message was not delivered within `message.timeout.ms`.
        public static let messageTimedOut = Code("messageTimedOut")
        /// No broker could be reached (connection refused, closed, name resolution failed).
        public static let brokerUnavailable = Code("brokerUnavailable")
        /// Same as ``brokerUnavailable``: a transport-level failure.
        public static let transport = brokerUnavailable
        /// The broker rejected or failed the delivery for another reason.
        public static let deliveryFailed = Code("deliveryFailed")
        /// The topic or partition does not exist.
        public static let unknownTopic = Code("unknownTopic")
        /// The topic to create exists already.
        public static let topicAlreadyExists = Code("topicAlreadyExists")
        /// An operation did not finish within its timeout.
        public static let timedOut = Code("timedOut")
        /// The client hit a fatal error (e.g. the idempotent producer lost its guarantees) and
        /// must be recreated.
        public static let fatal = Code("fatal")
        /// The broker or this build of librdkafka does not support the request.
        public static let unsupported = Code("unsupported")
        /// Authentication (TLS, SASL) or authorization failed.
        public static let authentication = Code("authentication")
        /// An argument was invalid (e.g. an empty topic name, an unknown broker id).
        public static let invalidArgument = Code("invalidArgument")
        /// The client was closed, or a message was purged while it closed.
        public static let closed = Code("closed")
        /// A consumer group operation failed (rebalance, commit, coordinator).
        public static let consumerGroup = Code("consumerGroup")
        /// Anything else; see ``KafkaError/librdkafkaName``.
        public static let other = Code("other")
    }

    /// What kind of failure this is.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The raw `rd_kafka_resp_err_t` value, when librdkafka reported the error.
    public let librdkafkaCode: Int32?
    /// The librdkafka error name without the `RD_KAFKA_RESP_ERR_` prefix, e.g. `_MSG_TIMED_OUT`
    /// or `NOT_LEADER_FOR_PARTITION`.
    public let librdkafkaName: String?
    /// Where the error was raised (`#fileID:#line`), for debugging.
    public let location: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: A human-readable explanation; must not contain secrets or payloads.
    ///   - librdkafkaCode: The raw librdkafka error code, if any.
    ///   - librdkafkaName: The librdkafka error name, if any.
    public init(
        code: Code,
        message: String,
        librdkafkaCode: Int32? = nil,
        librdkafkaName: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.librdkafkaCode = librdkafkaCode
        self.librdkafkaName = librdkafkaName
        self.location = "\(file):\(line)"
    }

    public var description: String {
        if let librdkafkaName {
            return "KafkaError.\(code): \(message) [\(librdkafkaName)]"
        }
        return "KafkaError.\(code): \(message)"
    }
}
