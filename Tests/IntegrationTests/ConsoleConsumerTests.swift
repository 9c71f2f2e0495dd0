import Avro
import ButtonEvents
import Foundation
import Kafka
import LocalBroker
import SchemaRegistry
import TestSupport
import Testing

/// `button-consume` as a user runs it, against a topic of its own on the stack's broker.
@Suite struct ConsoleConsumerTests {
    @Test func printsEventsFiltersAndReportsWhatItCannotDecode() async throws {
        let env = try StackEnv.load()
        let bootstrap = try env.require("KAFKA_BOOTSTRAP")
        let registryURL = try env.require("SCHEMA_REGISTRY_URL")
        let topic = "console_test_\(UUID().uuidString.prefix(8).lowercased())"
        let control = BrokerControlClient(path: try env.require("BROKER_CONTROL"))
        #expect(try control.send("create \(topic) 1").hasPrefix("ok"))

        let schemaID = try await SchemaRegistryClient(url: registryURL)
            .register(subject: PressEvent.subject, schema: PressEvent.schemaJSON)
        let session = UUID()
        func event(_ action: PressAction, _ country: String, _ micros: Int64) -> PressEvent {
            PressEvent(
                sessionID: session,
                timestamp: micros,
                action: action,
                countryName: country == "JP" ? "Japan" : "Germany",
                countryCode: country,
                subdivisionName: "",
                subdivisionCode: "",
                cityName: "",
                cohort: 0
            )
        }
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        let values: [[UInt8]] = [
            event(.enterPage, "DE", 1_780_000_000_000_001).encoded(schemaID: Int32(schemaID)),
            [0x42, 0x00, 0x01],  // not Confluent-framed
            event(.pressButton, "DE", 1_780_000_000_500_000).encoded(schemaID: Int32(schemaID)),
            ConfluentWireFormat.frame(schemaID: Int32(schemaID), body: [0xFF, 0xFF]),  // truncated Avro
            event(.pressButton, "JP", 1_780_000_001_000_000).encoded(schemaID: Int32(schemaID)),
        ]
        for value in values {
            let delivery = try producer.send(
                topic: topic,
                key: Array(session.uuidString.lowercased().utf8),
                value: value
            )
            #expect(delivery.wait(timeout: .seconds(10)).isDelivered)
        }
        producer.close()

        let all = try Self.consume(["--topic", topic, "--idle-ms", "1500"], env: env)
        #expect(all.status == 0)
        #expect(all.lines.count == 3)
        #expect(all.lines.first?.hasPrefix("2026-05-28 20:26:40.000001Z EnterPage") == true, "\(all.lines)")
        #expect(all.lines.allSatisfy { $0.contains(session.uuidString.lowercased()) })
        #expect(all.errors.contains("skipped partition 0 offset 1"), "\(all.errors)")
        #expect(all.errors.contains("skipped partition 0 offset 3"), "\(all.errors)")

        let presses = try Self.consume(
            ["--topic", topic, "--idle-ms", "1500", "--action", "PressButton", "--country", "jp"],
            env: env
        )
        #expect(presses.lines.count == 1)
        #expect(presses.lines.first?.contains("Japan (JP)") == true)

        let bad = try Self.consume(["--topic", topic, "--action", "Jump"], env: env)
        #expect(bad.status == 64, "a bad option is a usage error")
        #expect(bad.errors.contains("--action"), "\(bad.errors)")
    }

    static func consume(_ arguments: [String], env: StackEnv) throws -> (status: Int32, lines: [String], errors: String)
    {
        let result = try Command.run(
            env.binary("button-consume"),
            arguments,
            environment: [
                "KAFKA_BOOTSTRAP": try env.require("KAFKA_BOOTSTRAP"),
                "SCHEMA_REGISTRY_URL": try env.require("SCHEMA_REGISTRY_URL"),
            ]
        )
        return (result.status, result.output.split(separator: "\n").map(String.init), result.errors)
    }
}
