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
    let topic: String

    /// - Parameters:
    ///   - producer: the worker's producer.
    ///   - topic: the topic to produce to.
    public init(producer: KafkaProducer, topic: String) {
        self.producer = producer
        self.topic = topic
    }

    public func publish(key: [UInt8], value: [UInt8], timeout: Duration) -> PublishOutcome {
        let delivery: KafkaDelivery
        do {
            delivery = try producer.send(topic: topic, key: key, value: value)
        } catch {
            return .unavailable("\(error)")
        }
        switch delivery.wait(timeout: timeout) {
        case .delivered: return .acknowledged
        case let other: return .unavailable("\(other)")
        }
    }
}
