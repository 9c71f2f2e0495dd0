import Avro
import ButtonEvents
import Foundation
import Kafka
import LocalBroker
import TestSupport
import Testing

/// The original workshop app's consumer (Python: writer schema by id from the registry,
/// decoded with it alone, then a pydantic model with `timestamp: int` and `session_id: str`)
/// reads our topic, with the reference `avro` library and with fastavro.
@Suite struct OriginalConsumerInteropTests {
    let stack: PressStack
    init() throws { stack = try PressStack() }

    static func micros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    /// The integer a JSON number decoded into.
    static func integer(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    @Test(arguments: OriginalAppConsumer.Reader.allCases)
    func readsPressesMadeThroughNginx(reader: OriginalAppConsumer.Reader) async throws {
        let mark = try stack.mark()
        let client = PressClient(appURL: stack.app)
        let before = Self.micros()
        #expect(try await client.post("/api/enter").status == 200)
        for _ in 0..<2 { #expect(try await client.post("/api/press").status == 200) }
        let after = Self.micros()
        let session = try stack.session(client)

        let messages = try stack.messages(since: mark, sessions: [session.id], expected: 3)
        try #require(messages.count == 3)
        let outcome = try OriginalAppConsumer.read(messages.map(\.value), registryURL: stack.registry, reader: reader)
        try #require(outcome.status == 0, "the original consumer rejected our events: \(outcome.errors)")
        try #require(outcome.records.count == 3)

        // Our schema's id (other suites register newer versions of the subject meanwhile).
        let latestID = Int(try await stack.schemaID())
        var timestamps: [Int64] = []
        for record in outcome.records {
            #expect(record["schema_id"] as? Int == latestID)
            // As decoded, before the model saw them: a plain int and a plain str.
            let types = try #require(record["types"] as? [String: String])
            #expect(types["timestamp"] == "int")
            #expect(types["session_id"] == "str")
            let event = try #require(record["event"] as? [String: Any])
            #expect(event["session_id"] as? String == session.id.uuidString.lowercased())
            #expect(event["country_code"] as? String == session.countryCode)
            #expect(event["country_name"] as? String == session.countryName)
            #expect(Self.integer(event["cohort"]) == session.cohort.map(Int64.init))
            timestamps.append(try #require(Self.integer(event["timestamp"])))
        }
        #expect(
            outcome.records.compactMap { ($0["event"] as? [String: Any])?["action"] as? String } == [
                "EnterPage", "PressButton", "PressButton",
            ]
        )
        #expect(timestamps == timestamps.sorted())
        #expect(timestamps.allSatisfy { $0 >= before && $0 <= after }, "µs since the epoch, UTC: \(timestamps)")
    }

    @Test func eventsWrittenUnderTheFirstSchemaVersionStillDecodeEverywhere() async throws {
        // A subject of its own: putting the old schema back under button_presses-value would
        // make it the latest version there.
        let subject = "interop_\(UUID().uuidString.prefix(8).lowercased())-value"
        let registry = stack.registry
        let config = try await HTTP.send("GET", "\(registry)/config")
        let level = (config.json as? [String: Any])?["compatibilityLevel"] as? String
        #expect(level == "BACKWARD", "the registry's default level")

        let v1ID = try await Self.register(PressEventSchemaHistory.v1, subject: subject, registry: registry)
        let check = try await HTTP.json(
            "POST",
            "\(registry)/compatibility/subjects/\(subject)/versions/latest",
            ["schema": PressEvent.schemaJSON]
        )
        #expect((check.json as? [String: Any])?["is_compatible"] as? Bool == true, "\(check.text)")
        let v2ID = try await Self.register(PressEvent.schemaJSON, subject: subject, registry: registry)
        #expect(v2ID != v1ID, "the current schema is a schema of its own, not the old id")
        let versions = try await HTTP.send("GET", "\(registry)/subjects/\(subject)/versions")
        #expect(versions.json as? [Int] == [1, 2])
        let second = try await HTTP.send("GET", "\(registry)/subjects/\(subject)/versions/2")
        #expect((second.json as? [String: Any])?["id"] as? Int == v2ID)

        let topic = "interop_test_\(UUID().uuidString.prefix(8).lowercased())"
        let control = BrokerControlClient(path: try stack.env.require("BROKER_CONTROL"))
        #expect(try control.send("create \(topic) 1").hasPrefix("ok"))
        let mark = try TopicMark(bootstrap: stack.bootstrap, topic: topic, partitions: 1)
        let session = UUID()
        let old = PressEvent(
            sessionID: session,
            timestamp: 1_780_000_000_000_001,
            action: .enterPage,
            countryName: "Germany",
            countryCode: "DE",
            subdivisionName: "Bayern",
            subdivisionCode: "BY",
            cityName: "München",
            cohort: 2
        )
        var new = old
        new.timestamp = 1_780_000_000_654_321
        new.action = .pressButton
        new.cohort = nil
        // v1's bytes are the current ones without the last, is_bot.
        let values = [
            ConfluentWireFormat.frame(schemaID: Int32(v1ID), body: Array(old.avroBody.dropLast())),
            new.encoded(schemaID: Int32(v2ID)),
        ]
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: stack.bootstrap))
        for value in values {
            let delivery = try producer.send(
                topic: topic,
                key: Array(session.uuidString.lowercased().utf8),
                value: value
            )
            #expect(delivery.wait(timeout: .seconds(10)).isDelivered)
        }
        producer.close()

        // button-consume decodes each message with the schema its id names.
        let consumed = try ConsoleConsumerTests.consume(["--topic", topic, "--idle-ms", "1500"], env: stack.env)
        #expect(consumed.status == 0, "\(consumed.errors)")
        #expect(
            consumed.lines.map { $0.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression) } == [
                "2026-05-28 20:26:40.000001Z EnterPage \(session.uuidString.lowercased()) cohort 2 "
                    + "Germany (DE), Bayern (BY), München [p0@0]",
                "2026-05-28 20:26:40.654321Z PressButton \(session.uuidString.lowercased()) fake data "
                    + "Germany (DE), Bayern (BY), München [p0@1]",
            ]
        )

        // The Python readers get the bytes as stored in the topic, fetched by kcat.
        let stored = try mark.messages(expected: 2).map(\.value)
        try #require(stored == values)
        for reader in OriginalAppConsumer.Reader.allCases {
            // Both Python readers decode both versions; the old one's logical types on the
            // types come back as Python objects, which is what the new version fixes.
            let raw = try OriginalAppConsumer.read(stored, registryURL: registry, reader: reader, model: false)
            try #require(raw.status == 0, "\(reader): \(raw.errors)")
            try #require(raw.records.count == 2)
            let events = raw.records.compactMap { $0["event"] as? [String: Any] }
            try #require(events.count == 2)
            #expect(events.map { Self.integer($0["timestamp"]) } == [old.timestamp, new.timestamp])
            #expect(
                events.map { $0["session_id"] as? String }
                    == Array(repeating: session.uuidString.lowercased(), count: 2)
            )
            #expect(events.map { $0["city_name"] as? String } == ["München", "München"])
            #expect(Self.integer(events[0]["cohort"]) == 2)
            #expect(events[1]["cohort"] is NSNull)
            let types = raw.records.compactMap { $0["types"] as? [String: String] }
            #expect(types.map { $0["timestamp"] } == ["datetime", "int"], "\(reader)")

            // The original app's model accepts the new version's event and rejects the old
            // one's: the check has teeth, so its passing above means something.
            let accepted = try OriginalAppConsumer.read([stored[1]], registryURL: registry, reader: reader)
            #expect(accepted.status == 0, "\(reader): \(accepted.errors)")
            let rejected = try OriginalAppConsumer.read([stored[0]], registryURL: registry, reader: reader)
            #expect(rejected.status != 0)
            #expect(rejected.errors.contains("ValidationError") && rejected.errors.contains("timestamp"), "\(reader)")
        }
    }

    /// Registers a schema through the registry's REST API; returns its id.
    static func register(_ schema: String, subject: String, registry: String) async throws -> Int {
        let answer = try await HTTP.json("POST", "\(registry)/subjects/\(subject)/versions", ["schema": schema])
        #expect(answer.status == 200, "\(answer.text)")
        return try #require((answer.json as? [String: Any])?["id"] as? Int, "\(answer.text)")
    }
}
