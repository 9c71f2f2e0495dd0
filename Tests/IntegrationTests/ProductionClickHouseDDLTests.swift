import Foundation
import LocalBroker
import TestSupport
import Testing

/// The production ClickHouse DDL (`deploy/clickhouse/`), as shipped, in a current ClickHouse
/// engine (chdb-core), fed real messages from the local stack's topic: presses made through
/// nginx, an event the original app's producer wrote under its own schema, and a message that
/// does not decode. Every column is compared with what was sent; duplicates collapse on the
/// Kafka position.
@Suite struct ProductionClickHouseDDLTests {
    let stack: PressStack
    init() throws { stack = try PressStack() }

    /// The integer a JSON number decoded into.
    static func integer(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    /// The Kafka table's columns: the original workshop integration's.
    static let queueColumns = [
        ["session_id", "UUID"], ["timestamp", "DateTime64(6, 'UTC')"], ["action", "String"],
        ["country_name", "String"], ["country_code", "String"], ["subdivision_name", "String"],
        ["subdivision_code", "String"], ["city_name", "String"], ["cohort", "Nullable(Int16)"],
    ]

    @Test func shippedDDLStoresRealMessagesExactlyOncePerPosition() async throws {
        // Presses through nginx: two sessions, one from a claimed public address.
        let mark = try stack.mark()
        let first = PressClient(appURL: stack.app)
        #expect(try await first.post("/api/enter").status == 200)
        for _ in 0..<2 { #expect(try await first.post("/api/press").status == 200) }
        let second = PressClient(appURL: stack.app, forwardedFor: "81.2.69.160")
        #expect(try await second.post("/api/press").status == 200)
        let sessions = [try stack.session(first), try stack.session(second)]
        let pressed = try stack.messages(since: mark, sessions: sessions.map(\.id), expected: 4)
        try #require(pressed.count == 4)
        // The values as a decoder independent of ClickHouse and of our code reads them.
        let decoded = try IndependentAvro.decode(pressed.map(\.value), registryURL: stack.registry)
        try #require(decoded.count == 4)

        // The original app's producer (its schema, no key) and a message that is not Avro,
        // on a topic of their own so button_presses-value gets no new version.
        let topic = "chdb_test_\(UUID().uuidString.prefix(8).lowercased())"
        let control = BrokerControlClient(path: try stack.env.require("BROKER_CONTROL"))
        #expect(try control.send("create \(topic) 1").hasPrefix("ok"))
        let originalMark = try TopicMark(bootstrap: stack.bootstrap, topic: topic, partitions: 1)
        let original = OriginalAppProducer.Event(
            sessionID: UUID().uuidString.lowercased(),
            timestamp: 1_780_000_000_654_321,
            action: "PressButton",
            countryName: "Germany",
            countryCode: "DE",
            subdivisionName: "Bayern",
            subdivisionCode: "BY",
            cityName: "München",
            cohort: nil
        )
        try OriginalAppProducer.produce(
            events: [original],
            bootstrap: stack.bootstrap,
            registryURL: stack.registry,
            topic: topic
        )
        // Framed like ours, but schema id 32767 is unknown to the registry.
        let garbage: [UInt8] = [0, 0, 0, 0x7F, 0xFF] + Array("not an event".utf8)
        let sent = try Command.run(
            "/usr/bin/kcat",
            ["-P", "-b", stack.bootstrap, "-t", topic],
            input: Data(garbage)
        )
        try #require(sent.status == 0, "\(sent.errors)")
        let others = try originalMark.messages(expected: 2)
        try #require(others.count == 2)
        try #require(others[1].value == garbage)

        let messages =
            pressed.map {
                ProductionClickHouse.Message(
                    topic: "button_presses",
                    partition: $0.partition,
                    offset: $0.offset,
                    value: $0.value
                )
            }
            + others.map {
                ProductionClickHouse.Message(topic: topic, partition: $0.partition, offset: $0.offset, value: $0.value)
            }
        let group = "chdb_test_group"
        let outcome = try ProductionClickHouse.run(
            messages: messages,
            concatenated: pressed.map(\.value),
            registryURL: stack.registry,
            brokers: stack.bootstrap,
            group: group
        )

        // (a) Every shipped file ran; the Kafka table was created from its file with the
        // placeholders filled, then swapped for a Null table.
        let statements = try #require(outcome["statements"] as? [[String: String]])
        let shipped = try FileManager.default.contentsOfDirectory(atPath: ProductionClickHouse.ddlDirectory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(statements.map { $0["file"] } == shipped)
        #expect(statements.filter { $0["outcome"]?.contains("swapped for Null") == true }.count == 1)
        let kafka = try #require(outcome["kafka_table"] as? [String: Any])
        #expect(kafka["name"] as? String == "button_presses_queue")
        #expect(kafka["columns"] as? [[String]] == Self.queueColumns)
        let engine = try #require(kafka["engine_full"] as? String)
        #expect(engine.hasPrefix("Kafka SETTINGS"))
        for setting in [
            "kafka_broker_list = '\(stack.bootstrap)'", "kafka_topic_list = 'button_presses'",
            "kafka_group_name = '\(group)'", "kafka_format = 'AvroConfluent'",
            "format_avro_schema_registry_url = '\(stack.registry)'", "kafka_handle_error_mode = 'stream'",
        ] {
            #expect(engine.contains(setting), "\(setting) in \(engine)")
        }
        #expect(!engine.contains("{{"))
        let target = try #require(outcome["target"] as? [String: Any])
        #expect(target["engine"] as? String == "ReplacingMergeTree")
        #expect((target["sorting_key"] as? String)?.hasSuffix("source_topic, source_partition, source_offset") == true)
        let targetColumns = try #require(target["columns"] as? [String: String])
        #expect(targetColumns["timestamp"] == "DateTime64(6, 'UTC')")
        #expect(targetColumns["session_id"] == "UUID")
        #expect(targetColumns["cohort"] == "Nullable(Int16)")

        // (b) Every column exact.
        let errors = try #require(outcome["consume_errors"] as? [Any])
        #expect(errors.prefix(5).allSatisfy { $0 is NSNull }, "\(errors)")
        let reason = try #require(errors.last as? String)
        #expect(reason.contains("32767"), "\(reason)")
        let rows = try #require(outcome["first_pass"] as? [[String: Any]])
        try #require(rows.count == 5, "\(rows)")
        // Rows come ordered by topic, partition, offset: button_presses first, then the test topic.
        for (row, (message, event)) in zip(rows.prefix(4), zip(pressed, decoded)) {
            let session = try #require(sessions.first { $0.id.uuidString.lowercased() == row["session_id"] as? String })
            #expect(event["session_id"] as? String == row["session_id"] as? String)
            let micros = try #require(Self.integer(row["micros"]))
            #expect(micros == Self.integer(event["timestamp"]), "exact µs")
            #expect(
                (row["text"] as? String)?.hasSuffix(String(format: ".%06lld", micros % 1_000_000)) == true,
                "DateTime64(6) shows the µs: \(row["text"] ?? "")"
            )
            #expect(row["action"] as? String == event["action"] as? String)
            #expect(row["country_name"] as? String == session.countryName)
            #expect(row["country_code"] as? String == session.countryCode)
            #expect(row["subdivision_name"] as? String == session.subdivisionName)
            #expect(row["subdivision_code"] as? String == session.subdivisionCode)
            #expect(row["city_name"] as? String == session.cityName)
            #expect(Self.integer(row["cohort"]) == session.cohort.map(Int64.init))
            #expect(row["source_topic"] as? String == "button_presses")
            #expect(Self.integer(row["source_partition"]) == Int64(message.partition))
            #expect(Self.integer(row["source_offset"]) == message.offset)
        }
        #expect(
            rows.prefix(4).compactMap { $0["action"] as? String }.sorted()
                == ["EnterPage", "PressButton", "PressButton", "PressButton"]
        )
        let last = rows[4]
        #expect(last["session_id"] as? String == original.sessionID)
        #expect(Self.integer(last["micros"]) == original.timestamp)
        #expect(last["text"] as? String == "2026-05-28 20:26:40.654321")
        #expect(last["action"] as? String == "PressButton")
        #expect(last["country_name"] as? String == "Germany")
        #expect(last["country_code"] as? String == "DE")
        #expect(last["subdivision_name"] as? String == "Bayern")
        #expect(last["subdivision_code"] as? String == "BY")
        #expect(last["city_name"] as? String == "München")
        #expect(last["cohort"] is NSNull, "the original app's fake-data marker stays null")
        #expect(last["source_topic"] as? String == topic)
        #expect(Self.integer(last["source_offset"]) == others[0].offset)

        // The message that did not decode is kept with the reason and its bytes.
        let stored = try #require(outcome["errors"] as? [[String: Any]])
        try #require(stored.count == 1)
        #expect(stored[0]["source_topic"] as? String == topic)
        #expect(Self.integer(stored[0]["source_offset"]) == others[1].offset)
        #expect(stored[0]["raw"] as? String == garbage.map { String(format: "%02X", $0) }.joined())
        #expect((stored[0]["error"] as? String)?.contains("32767") == true)

        // (c) The same messages again: stored twice, read once with FINAL, one row each after a merge.
        #expect(Self.integer(outcome["count_before_merge"]) == 10)
        let final = try #require(outcome["final"] as? [[String: Any]])
        #expect(final.count == 5)
        #expect(NSArray(array: final).isEqual(to: rows), "FINAL gives the first pass's rows")
        #expect(Self.integer(outcome["count_after_merge"]) == 5)
        #expect(Self.integer(outcome["errors_count_before_merge"]) == 2)

        // Framing: several values concatenated in one file decode one row each, in order.
        let concatenated = try #require(outcome["concatenated"] as? [[String: Any]])
        #expect(
            concatenated.compactMap { $0["session_id"] as? String }
                == decoded.compactMap { $0["session_id"] as? String }
        )
        #expect(concatenated.map { Self.integer($0["micros"]) } == decoded.map { Self.integer($0["timestamp"]) })
    }
}
