public import Foundation
public import Kafka

/// A source message that can never be enriched, as the JSON record written to the dead-letter
/// topic: where it was, its bytes (base64, so any bytes survive JSON), why, and when.
public struct DeadLetterRecord: Sendable, Equatable, Encodable {
    public let sourceTopic: String
    public let sourcePartition: Int32
    public let sourceOffset: Int64
    /// The key as base64, null when the message had none.
    public let keyBase64: String?
    public let valueBase64: String
    public let reason: String
    /// When the enricher gave up on it, ISO 8601 UTC with milliseconds.
    public let at: String

    /// - Parameters:
    ///   - message: The source message.
    ///   - reason: Why it cannot be enriched (never contains its bytes).
    ///   - now: The time of the decision.
    public init(message: KafkaMessage, reason: String, now: Date = Date()) {
        sourceTopic = message.topic
        sourcePartition = message.partition
        sourceOffset = message.offset
        keyBase64 = message.key.map { Data($0).base64EncodedString() }
        valueBase64 = Data(message.value).base64EncodedString()
        self.reason = reason
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        at = formatter.string(from: now)
    }

    enum CodingKeys: String, CodingKey {
        case sourceTopic = "source_topic"
        case sourcePartition = "source_partition"
        case sourceOffset = "source_offset"
        case keyBase64 = "key_base64"
        case valueBase64 = "value_base64"
        case reason, at
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sourceTopic, forKey: .sourceTopic)
        try container.encode(sourcePartition, forKey: .sourcePartition)
        try container.encode(sourceOffset, forKey: .sourceOffset)
        if let keyBase64 {
            try container.encode(keyBase64, forKey: .keyBase64)
        } else {
            try container.encodeNil(forKey: .keyBase64)
        }
        try container.encode(valueBase64, forKey: .valueBase64)
        try container.encode(reason, forKey: .reason)
        try container.encode(at, forKey: .at)
    }
}
