/// One message read by ``KafkaConsumer``.
public struct KafkaMessage: Sendable {
    /// The topic it was read from.
    public let topic: String
    /// The partition it was read from.
    public let partition: Int32
    /// Its offset in the partition.
    public let offset: Int64
    /// Its key, or `nil` when the message has none.
    public let key: [UInt8]?
    /// Its value; empty for an empty or null (tombstone) value.
    public let value: [UInt8]
    /// The message timestamp in milliseconds since the Unix epoch (Kafka's unit), if any.
    public let timestamp: Int64?

    /// Creates a message (for tests and fakes; the consumer builds its own).
    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], timestamp: Int64?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }
}

/// Where a consumer group starts on partitions for which it has no committed offset.
public enum KafkaStartOffset: Sendable {
    /// The oldest message still stored.
    case earliest
    /// Only messages produced after the consumer joined.
    case latest
}
