public import Kafka

/// What became of one event.
public enum PublishOutcome: Sendable, Equatable {
    /// Kafka acknowledged it (all in-sync replicas, idempotent producer).
    case acknowledged
    /// Kafka could not take it in time; the reason is for logs, never for clients.
    case unavailable(String)
}

/// Where events go. A protocol so the request logic can be unit-tested without Kafka;
/// production and the integration tests use `KafkaEventPublisher`.
public protocol EventPublisher: Sendable {
    /// Sends one event and waits for its acknowledgement, at most `timeout`.
    func publish(key: [UInt8], value: [UInt8], timeout: Duration) -> PublishOutcome
}

/// Publishes to a Kafka topic and waits for the broker's acknowledgement.
public struct KafkaEventPublisher: EventPublisher {
    let producer: KafkaProducer
    let topic: KafkaTopic

    /// - Parameters:
    ///   - producer: the worker's producer.
    ///   - topic: the topic to produce to.
    /// - Throws: `KafkaError` when librdkafka refuses the topic name.
    public init(producer: KafkaProducer, topic: String) throws {
        self.producer = producer
        self.topic = try producer.topic(topic)
    }

    public func publish(key: [UInt8], value: [UInt8], timeout: Duration) -> PublishOutcome {
        let result = key.withUnsafeBytes { key in
            value.withUnsafeBytes { value in
                producer.sendAndWait(to: topic, key: key, value: value, timeout: timeout)
            }
        }
        switch result {
        case .delivered: return .acknowledged
        case let other: return .unavailable("\(other)")
        }
    }
}
