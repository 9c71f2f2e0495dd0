import Foundation
public import Kafka
public import LocalBroker

/// The stack's broker as the Kafka integration and fault tests use it.
public struct KafkaTestStack: Sendable {
    public let bootstrap: String
    public let control: BrokerControlClient

    /// Reads the stack's env file; throws (fails the test) when the stack is not up.
    public init() throws {
        let env = try StackEnv.load()
        bootstrap = try env.require("KAFKA_BOOTSTRAP")
        control = BrokerControlClient(path: try env.require("BROKER_CONTROL"))
    }

    /// Client settings for the local broker; short backoffs so tests recover quickly.
    public var configuration: KafkaConfiguration {
        KafkaConfiguration(
            bootstrapServers: bootstrap,
            properties: ["reconnect.backoff.max.ms": "500", "topic.metadata.refresh.interval.ms": "5000"]
        )
    }

    /// ``configuration`` for consumers. The mock's group coordinator makes a member joining a
    /// group that another member just left wait up to the group's session timeout (45 s by
    /// default), so keep that short.
    public var consumerConfiguration: KafkaConfiguration {
        var configuration = configuration
        configuration["session.timeout.ms"] = "6000"
        return configuration
    }

    /// Creates a topic nobody else uses (the mock has no CreateTopics; the broker's control
    /// socket creates it).
    public func freshTopic(_ prefix: String, partitions: Int) throws -> String {
        let name = "test-\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        try control.expectOK("create \(name) \(partitions)")
        return name
    }

    /// Sends values (key = value) and waits for all acknowledgements.
    /// - Throws: `StackEnvError` naming the first value that was not delivered.
    public static func produce(_ producer: KafkaProducer, topic: String, values: [String]) throws {
        let deliveries = try values.map { try producer.send(topic: topic, key: Array($0.utf8), value: Array($0.utf8)) }
        for (value, delivery) in zip(values, deliveries) {
            let result = delivery.wait(timeout: .seconds(15))
            guard result.isDelivered else { throw StackEnvError(message: "\(value) was not delivered: \(result)") }
        }
    }

    /// Polls until `count` messages arrived or `within` passed.
    public static func consume(_ consumer: KafkaConsumer, count: Int, within: Duration) throws -> [KafkaMessage] {
        let deadline = ContinuousClock.now + within
        var messages: [KafkaMessage] = []
        while messages.count < count, ContinuousClock.now < deadline {
            if let message = try consumer.poll(timeout: .milliseconds(200)) {
                messages.append(message)
            }
        }
        return messages
    }
}
