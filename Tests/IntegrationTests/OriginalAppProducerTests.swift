import ButtonEvents
import Foundation
import LocalBroker
import TestSupport
import Testing

/// Events produced the original app's way (python3-avro, the original app's schema text, no
/// key, kcat) on a topic of their own: our `button-consume` and the independent Python
/// decoders read every field back.
@Suite struct OriginalAppProducerTests {
    static let sessions = ["0b6a3a8e-4c1f-4f7e-9d55-3a1f0c2b9e01", "f3c2d1e0-9b8a-4765-8432-10fedcba9876"]

    static let events: [OriginalAppProducer.Event] = [
        .init(
            sessionID: sessions[0],
            timestamp: 1_780_000_000_000_001,
            action: "EnterPage",
            countryName: "Germany",
            countryCode: "DE",
            subdivisionName: "Bayern",
            subdivisionCode: "BY",
            cityName: "München",
            cohort: 2
        ),
        .init(
            sessionID: sessions[0],
            timestamp: 1_780_000_000_250_000,
            action: "PressButton",
            countryName: "Germany",
            countryCode: "DE",
            subdivisionName: "Bayern",
            subdivisionCode: "BY",
            cityName: "München",
            cohort: 2
        ),
        // The original app's fake data: no cohort, no subdivision, no city.
        .init(
            sessionID: sessions[1],
            timestamp: 1_780_000_001_000_000,
            action: "EnterPage",
            countryName: "Japan",
            countryCode: "JP",
            cohort: nil
        ),
        .init(
            sessionID: sessions[1],
            timestamp: 1_780_000_001_999_999,
            action: "PressButton",
            countryName: "Japan",
            countryCode: "JP",
            cohort: nil
        ),
        .init(
            sessionID: sessions[0],
            timestamp: 1_780_000_002_000_000,
            action: "PressButton",
            countryName: "Brazil",
            countryCode: "BR",
            subdivisionName: "São Paulo",
            subdivisionCode: "SP",
            cityName: "São Paulo",
            cohort: 0
        ),
    ]

    /// A fresh one-partition topic, so offsets are 0…n-1 and nothing else is in it.
    static func freshTopic(_ env: StackEnv) throws -> String {
        let topic = "original_producer_\(UUID().uuidString.prefix(8).lowercased())"
        let control = BrokerControlClient(path: try env.require("BROKER_CONTROL"))
        #expect(try control.send("create \(topic) 1").hasPrefix("ok"))
        return topic
    }

    /// The integer a JSON number decoded into.
    static func integer(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    @Test func eventsProducedTheOriginalWayDecodeEverywhereWithEveryField() async throws {
        let env = try StackEnv.load()
        let bootstrap = try env.require("KAFKA_BOOTSTRAP")
        let registry = try env.require("SCHEMA_REGISTRY_URL")
        let topic = try Self.freshTopic(env)
        let subject = "\(topic)-value"
        // The subject already holds our current schema, as button_presses-value does: the
        // original schema must pass the compatibility check against it.
        let ours = try await OriginalConsumerInteropTests.register(
            PressEvent.schemaJSON,
            subject: subject,
            registry: registry
        )

        let mark = try TopicMark(bootstrap: bootstrap, topic: topic, partitions: 1)
        let produced = try OriginalAppProducer.produce(
            events: Self.events,
            bootstrap: bootstrap,
            registryURL: registry,
            topic: topic
        )
        #expect(produced.count == 5)

        // The original app's own text was registered (its timestamp-millis attribute makes
        // it a version of its own), not our schema's id reused.
        #expect(produced.schemaID != ours)
        let versions = try await HTTP.send("GET", "\(registry)/subjects/\(subject)/versions")
        #expect(versions.json as? [Int] == [1, 2])
        let latest = try await HTTP.send("GET", "\(registry)/subjects/\(subject)/versions/latest")
        let latestAnswer = try #require(latest.json as? [String: Any])
        #expect(latestAnswer["id"] as? Int == produced.schemaID)
        #expect((latestAnswer["schema"] as? String)?.contains("timestamp-millis") == true)

        // In order, without keys (kcat's %K is -1 for a null key, 0 for an empty one),
        // framed with the registered id.
        let messages = try mark.messages(expected: 5)
        try #require(messages.count == 5)
        #expect(messages.map(\.offset) == [0, 1, 2, 3, 4])
        #expect(messages.allSatisfy { $0.key == nil }, "\(messages.map(\.key))")
        let id = UInt32(produced.schemaID)
        let header: [UInt8] = [0, UInt8(id >> 24), UInt8((id >> 16) & 0xFF), UInt8((id >> 8) & 0xFF), UInt8(id & 0xFF)]
        #expect(messages.allSatisfy { Array($0.value.prefix(5)) == header })

        // Our console consumer: every field, exact µs.
        let consumed = try ConsoleConsumerTests.consume(["--topic", topic, "--idle-ms", "1500"], env: env)
        #expect(consumed.status == 0, "\(consumed.errors)")
        #expect(
            consumed.lines.map { $0.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression) } == [
                "2026-05-28 20:26:40.000001Z EnterPage \(Self.sessions[0]) cohort 2 Germany (DE), Bayern (BY), München [p0@0]",
                "2026-05-28 20:26:40.250000Z PressButton \(Self.sessions[0]) cohort 2 Germany (DE), Bayern (BY), München [p0@1]",
                "2026-05-28 20:26:41.000000Z EnterPage \(Self.sessions[1]) fake data Japan (JP) [p0@2]",
                "2026-05-28 20:26:41.999999Z PressButton \(Self.sessions[1]) fake data Japan (JP) [p0@3]",
                "2026-05-28 20:26:42.000000Z PressButton \(Self.sessions[0]) cohort 0 Brazil (BR), São Paulo (SP), São Paulo [p0@4]",
            ]
        )

        // python3-avro, by the writer schema the id names: every field equals what was sent.
        let decoded = try IndependentAvro.decode(messages.map(\.value), registryURL: registry)
        try #require(decoded.count == 5)
        for (record, event) in zip(decoded, Self.events) {
            #expect(record["_schema_id"] as? Int == produced.schemaID)
            #expect(record["session_id"] as? String == event.sessionID)
            #expect(Self.integer(record["timestamp"]) == event.timestamp)
            #expect(record["action"] as? String == event.action)
            #expect(record["country_name"] as? String == event.countryName)
            #expect(record["country_code"] as? String == event.countryCode)
            #expect(record["subdivision_name"] as? String == event.subdivisionName)
            #expect(record["subdivision_code"] as? String == event.subdivisionCode)
            #expect(record["city_name"] as? String == event.cityName)
            if let cohort = event.cohort {
                #expect(Self.integer(record["cohort"]) == Int64(cohort))
            } else {
                #expect(record["cohort"] is NSNull)
            }
        }

        // The original app's consumer with fastavro (no code shared with python3-avro) and
        // its pydantic model accepts them all.
        let original = try OriginalAppConsumer.read(messages.map(\.value), registryURL: registry, reader: .fastavro)
        #expect(original.status == 0, "\(original.errors)")
        #expect(original.records.count == 5)
    }

    @Test func aSubjectThatCannotReadTheOriginalSchemaRefusesItAndNothingIsProduced() async throws {
        let env = try StackEnv.load()
        let bootstrap = try env.require("KAFKA_BOOTSTRAP")
        let registry = try env.require("SCHEMA_REGISTRY_URL")
        let topic = try Self.freshTopic(env)
        // Without city_name: under BACKWARD the original schema (city_name required, no
        // default) can't read what this version wrote.
        let withoutCity = PressEvent.schemaJSON.replacingOccurrences(
            of: #"{"name":"city_name","type":"string"},"#,
            with: ""
        )
        try #require(withoutCity != PressEvent.schemaJSON)
        _ = try await OriginalConsumerInteropTests.register(withoutCity, subject: "\(topic)-value", registry: registry)

        let mark = try TopicMark(bootstrap: bootstrap, topic: topic, partitions: 1)
        #expect {
            try OriginalAppProducer.produce(
                events: Self.events,
                bootstrap: bootstrap,
                registryURL: registry,
                topic: topic
            )
        } throws: { error in
            "\(error)".contains("not compatible")
        }
        #expect(try mark.count() == 0)
    }
}
