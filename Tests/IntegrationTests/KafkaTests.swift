import Dispatch
import Foundation
import Kafka
import LocalBroker
import Synchronization
import TestSupport
import Testing

/// The Kafka wrapper against the stack's real broker process (`button-broker`), found through
/// `KAFKA_BOOTSTRAP` and `BROKER_CONTROL` in the stack's env file. Each test uses topics and
/// consumer groups of its own, so these tests may run in parallel with each other and with
/// other suites. Tests that disturb the broker are in DisruptiveTests (`BrokerFaultTests`).
@Suite(.timeLimit(.minutes(2)))
struct KafkaTests {
    @Test func roundTripKeepsKeysValuesAndPartitions() async throws {
        let stack = try KafkaTestStack()
        let topic = try stack.freshTopic("roundtrip", partitions: 3)
        let producer = try KafkaProducer(configuration: stack.configuration, messageTimeout: .seconds(10))
        defer { producer.close() }

        var sent: [(key: [UInt8]?, value: [UInt8], partition: Int32)] = []
        let binary = (0...255).map { UInt8($0) }
        for round in 0..<3 {
            for keyIndex in 0..<8 {
                let key = Array("session-\(keyIndex)".utf8)
                let value: [UInt8] =
                    switch keyIndex {
                    case 0: []
                    case 1: binary
                    default: Array("round \(round) key \(keyIndex) \u{1F518}".utf8) + [0, 0xFF]
                    }
                let delivery = try producer.send(topic: topic, key: key, value: value)
                let result = round == 0 ? await delivery.result : delivery.wait(timeout: .seconds(15))
                guard case .delivered(let partition, _) = result else {
                    Issue.record("message \(round)/\(keyIndex) not delivered: \(result)")
                    return
                }
                sent.append((key, value, partition))
            }
        }
        let unkeyed = try producer.send(topic: topic, key: nil, value: Array("no key".utf8))
        #expect(unkeyed.wait(timeout: .seconds(15)).isDelivered)

        // The same key always lands on the same partition.
        for keyIndex in 0..<8 {
            let partitions = Set(sent.filter { $0.key == Array("session-\(keyIndex)".utf8) }.map(\.partition))
            #expect(partitions.count == 1, "key session-\(keyIndex) went to partitions \(partitions)")
        }

        let consumer = try KafkaConsumer(
            configuration: stack.consumerConfiguration,
            groupID: "roundtrip-\(UUID().uuidString)",
            topics: [topic],
            startFrom: .earliest
        )
        defer { consumer.close() }
        let received = try KafkaTestStack.consume(consumer, count: sent.count + 1, within: .seconds(40))
        try #require(received.count == sent.count + 1)

        for message in sent {
            let matches = received.filter { $0.key == message.key && $0.value == message.value }
            #expect(
                !matches.isEmpty,
                "missing message with key \(message.key.map { String(decoding: $0, as: UTF8.self) } ?? "nil")"
            )
            #expect(matches.allSatisfy { $0.partition == message.partition && $0.topic == topic })
        }
        let nullKey = received.filter { $0.key == nil }
        #expect(nullKey.map(\.value) == [Array("no key".utf8)])
        #expect(received.contains { $0.value.isEmpty && $0.key == Array("session-0".utf8) })
        #expect(received.contains { $0.value == binary })
        #expect(received.allSatisfy { ($0.timestamp ?? 0) > 1_600_000_000_000 })
        // Offsets within a partition arrive in order.
        for partition in Set(received.map(\.partition)) {
            let offsets = received.filter { $0.partition == partition }.map(\.offset)
            #expect(offsets == offsets.sorted())
        }
    }

    @Test func manyThreadsSendAndWaitConcurrently() throws {
        let stack = try KafkaTestStack()
        let topic = try stack.freshTopic("concurrent", partitions: 6)
        let producer = try KafkaProducer(configuration: stack.configuration, messageTimeout: .seconds(10))
        let delivered = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<50 {
                do {
                    let delivery = try producer.send(
                        topic: topic,
                        key: Array("t\(thread)".utf8),
                        value: Array("\(thread)-\(index)".utf8)
                    )
                    let result = delivery.wait(timeout: .seconds(15))
                    if result.isDelivered {
                        delivered.add(1, ordering: .relaxed)
                    } else {
                        failures.withLock { $0.append("\(thread)-\(index): \(result)") }
                    }
                } catch {
                    failures.withLock { $0.append("\(thread)-\(index): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(delivered.load(ordering: .relaxed) == 400)
        #expect(producer.flush(timeout: .seconds(5)))
        #expect(producer.close())
        #expect(throws: KafkaError.self) { try producer.send(topic: topic, key: nil, value: [1]) }
    }

    @Test(arguments: [true, false])
    func committedOffsetsAreResumed(commitEachMessage: Bool) throws {
        let stack = try KafkaTestStack()
        let topic = try stack.freshTopic("commit", partitions: 3)
        let group = "commit-\(UUID().uuidString)"
        let producer = try KafkaProducer(configuration: stack.configuration, messageTimeout: .seconds(10))
        defer { producer.close() }
        try KafkaTestStack.produce(producer, topic: topic, values: (0..<10).map { "first-\($0)" })

        let first = try KafkaConsumer(configuration: stack.consumerConfiguration, groupID: group, topics: [topic])
        let consumed = try KafkaTestStack.consume(first, count: 6, within: .seconds(40))
        try #require(consumed.count == 6)
        if commitEachMessage {
            for message in consumed { try first.commit(message) }
        } else {
            try first.commit()
        }
        first.close()

        try KafkaTestStack.produce(producer, topic: topic, values: (0..<5).map { "second-\($0)" })
        // Partitions with a committed offset resume after it; the others (none of their
        // messages among the six) start from the beginning. Without working commits the six
        // consumed messages would come again.
        let second = try KafkaConsumer(configuration: stack.consumerConfiguration, groupID: group, topics: [topic])
        defer { second.close() }
        let rest = try KafkaTestStack.consume(second, count: 9, within: .seconds(40))
        let extra = try KafkaTestStack.consume(second, count: 1, within: .seconds(2))
        let consumedValues = Set(consumed.map { String(decoding: $0.value, as: UTF8.self) })
        let restValues = rest.map { String(decoding: $0.value, as: UTF8.self) }
        let expected = Set((0..<10).map { "first-\($0)" } + (0..<5).map { "second-\($0)" }).subtracting(consumedValues)
        #expect(Set(restValues) == expected)
        #expect(restValues.count == 9)
        #expect(extra.isEmpty, "got more than the rest: \(extra.map { String(decoding: $0.value, as: UTF8.self) })")
    }

    @Test func queueFullThrowsImmediatelyAndCloseFailsOutstandingMessages() throws {
        // Nothing listens on port 1, so the first message stays queued.
        let configuration = KafkaConfiguration(
            bootstrapServers: "127.0.0.1:1",
            properties: ["queue.buffering.max.messages": "1", "log_level": "0"]
        )
        let producer = try KafkaProducer(configuration: configuration, messageTimeout: .seconds(30))
        let first = try producer.send(topic: "nowhere", key: nil, value: [1])
        let started = ContinuousClock.now
        do {
            _ = try producer.send(topic: "nowhere", key: nil, value: [2])
            Issue.record("the second message should not fit the queue")
        } catch {
            #expect(error.code == .queueFull)
        }
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(first.wait(timeout: .milliseconds(100)) == .timedOut)
        #expect(!producer.close(timeout: .milliseconds(200)))
        guard case .failed(let error) = first.wait(timeout: .seconds(5)) else {
            Issue.record("closing must fail the queued message")
            return
        }
        #expect(error.code == .closed)
    }

    @Test func configurationErrorsNameTheProperty() throws {
        do {
            try KafkaConfiguration(["bootstrap.servers": "x:1", "no.such.property": "1"]).validate()
            Issue.record("an unknown property must be refused")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("no.such.property"))
        }
        do {
            _ = try KafkaProducer(configuration: KafkaConfiguration(["linger.ms": "soon"]))
            Issue.record("an invalid value must be refused")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("linger.ms"))
        }
        do {
            _ = try KafkaProducer(configuration: KafkaConfiguration(["enable.idempotence": "false"]))
            Issue.record("turning idempotence off must be refused")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("enable.idempotence"))
        }
        do {
            _ = try KafkaConsumer(
                configuration: KafkaConfiguration(["session.timeout.ms": "many"]),
                groupID: "g",
                topics: ["t"]
            )
            Issue.record("an invalid consumer value must be refused")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("session.timeout.ms"))
        }
    }

    @Test func sslClientCertificatePropertiesAreAccepted() throws {
        let secret = "hunter2-do-not-print"
        let configuration = KafkaConfiguration([
            "bootstrap.servers": "kafka.example.invalid:12345",
            "security.protocol": "SSL",
            "ssl.ca.location": "/etc/button/ca.pem",
            "ssl.certificate.location": "/etc/button/service.cert",
            "ssl.key.location": "/etc/button/service.key",
            "ssl.key.password": secret,
        ])
        try configuration.validate()
        #expect(!configuration.description.contains(secret))
        #expect(configuration.description.contains("security.protocol=SSL"))
        // Creating a client reads the files: a missing one is a configuration error that
        // does not reveal the key's password.
        do {
            _ = try KafkaProducer(configuration: configuration)
            Issue.record("missing certificate files must be refused")
        } catch {
            #expect(error.code == .configuration)
            #expect(!error.description.contains(secret))
        }
    }

    @Test func configurationFromEnvironment() throws {
        let configuration = KafkaConfiguration.fromEnvironment([
            "KAFKA_BOOTSTRAP": "stack:1",
            "KAFKA_SECURITY_PROTOCOL": "SSL",
            "KAFKA_SSL_KEY_LOCATION": "/k",
            "KAFKA_CLIENT__RACK_ODD": "x",
            "OTHER": "ignored",
        ])
        #expect(
            configuration.properties == [
                "bootstrap.servers": "stack:1",
                "security.protocol": "SSL",
                "ssl.key.location": "/k",
                "client_rack.odd": "x",
            ]
        )
        let explicit = KafkaConfiguration.fromEnvironment([
            "KAFKA_BOOTSTRAP": "stack:1",
            "KAFKA_BOOTSTRAP_SERVERS": "real:9092",
        ])
        #expect(explicit["bootstrap.servers"] == "real:9092")
    }

    @Test func adminCreateTopicsFailsFastAgainstTheMockAndMetadataListsTopics() throws {
        let stack = try KafkaTestStack()
        let topic = try stack.freshTopic("admin", partitions: 5)
        let admin = try KafkaAdmin(configuration: stack.configuration)
        let started = ContinuousClock.now
        do {
            try admin.createTopics(
                [
                    KafkaTopicSpec(
                        name: "admin-created",
                        partitions: 2,
                        replicationFactor: 1,
                        config: ["retention.ms": "-1"]
                    )
                ],
                timeout: .seconds(5)
            )
            Issue.record("the mock cluster does not implement CreateTopics")
        } catch {
            #expect(!error.message.isEmpty)
            #expect(error.message.contains("admin-created"))
        }
        #expect(ContinuousClock.now - started < .seconds(8))

        let topics = try admin.metadata(timeout: .seconds(10))
        #expect(topics.contains(KafkaTopicMetadata(name: topic, partitionCount: 5)))
        #expect(topics.contains { $0.name == "button_presses" })
    }
}

extension KafkaDeliveryResult {
    /// Test convenience: compare results by case (and by code for failures).
    static func == (lhs: KafkaDeliveryResult, rhs: KafkaDeliveryResult) -> Bool {
        switch (lhs, rhs) {
        case (.timedOut, .timedOut): true
        case (.delivered(let p1, let o1), .delivered(let p2, let o2)): p1 == p2 && o1 == o2
        case (.failed(let e1), .failed(let e2)): e1.code == e2.code
        default: false
        }
    }
}
