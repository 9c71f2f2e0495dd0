import Avro
import ButtonEvents
import Foundation
import TestSupport
import Testing

/// The Kafka → PostgreSQL sink as the stack runs it: rows, columns, schema versions, dead letters.
@Suite struct SinkTests {
    let database: SinkDatabase
    init() throws { database = try SinkDatabase() }

    @Test func pressesThroughNginxAreRowsWithinTwoSecondsEveryColumnExact() async throws {
        let stack = database.stack
        let mark = try stack.mark()
        let client = PressClient(appURL: stack.app)
        try await client.post("/api/enter")
        for _ in 0..<4 { try await client.post("/api/press") }
        let pressed = ContinuousClock.now
        #expect(client.answers.map(\.status) == [200, 200, 200, 200, 200])
        let session = try stack.session(client)
        let rows = try await database.waitForRows(sessions: [session.id], expected: 5, timeout: .seconds(2))
        let waited = ContinuousClock.now - pressed
        #expect(rows.count == 5, "5 presses, 5 rows, within 2 s (waited \(waited))")

        let events = try stack.events(since: mark, sessions: [session.id], expected: 5)
        let messages = try stack.messages(since: mark, sessions: [session.id], expected: 5)
        try #require(events.count == 5 && messages.count == 5)
        for (row, (event, message)) in zip(rows, zip(events, messages)) {
            #expect(row.sessionID == session.id.uuidString.lowercased())
            #expect(row.timestamp == (event["timestamp"] as? Int).map(Int64.init))
            #expect(row.eventTimeMicros == row.timestamp, "event_time is exact to the µs")
            #expect(row.action == event["action"] as? String)
            #expect(row.cohort == event["cohort"] as? Int)
            #expect(row.countryName == event["country_name"] as? String)
            #expect(row.countryCode == event["country_code"] as? String)
            #expect(row.subdivisionName == event["subdivision_name"] as? String)
            #expect(row.subdivisionCode == event["subdivision_code"] as? String)
            #expect(row.cityName == event["city_name"] as? String)
            #expect(row.partition == Int(message.partition) && row.offset == message.offset)
        }
        // Nothing more arrives later: exactly once.
        try await Task.sleep(for: .milliseconds(500))
        #expect(try database.rows(sessions: [session.id]).count == 5)
    }

    @Test func eventTimeIsExactForOddMicroseconds() async throws {
        let session = UUID()
        let schemaID = try await database.schemaID()
        var events = (0..<3).map { SinkDatabase.event(session: session, index: $0, cohort: 7) }
        events[1].timestamp = 1_795_789_082_999_999  // rounding through seconds as double would show
        events[2].timestamp = 4_102_444_799_999_999  // 2099-12-31 23:59:59.999999
        _ = try database.produce(events.map { $0.encoded(schemaID: schemaID) }, key: Array(session.uuidString.utf8))
        let rows = try await database.waitForRows(sessions: [session], expected: 3, timeout: .seconds(5))
        #expect(rows.map(\.timestamp) == events.map(\.timestamp).sorted())
        #expect(rows.map(\.eventTimeMicros) == events.map(\.timestamp).sorted())
        #expect(rows.allSatisfy { $0.cohort == 7 })
    }

    @Test func eventsOfEveryCompatibleSchemaVersionAreStored() async throws {
        let session = UUID()
        let fields = """
            {"name":"session_id","type":"string"},{"name":"timestamp","type":"long"},\
            {"name":"action","type":"string"},{"name":"country_name","type":"string"},\
            {"name":"country_code","type":"string"},{"name":"subdivision_name","type":"string"},\
            {"name":"subdivision_code","type":"string"},{"name":"city_name","type":"string"}
            """
        // No cohort (read as its default, null); an extra field (ignored); the frozen v1.
        let withoutCohort = #"{"type":"record","name":"button_presses","fields":[\#(fields)]}"#
        let withExtra =
            #"{"type":"record","name":"button_presses","fields":[\#(fields),{"name":"cohort","type":["null","int"],"default":null},{"name":"referrer","type":"string","default":""}]}"#
        var values: [[UInt8]] = []
        for (index, text) in [withoutCohort, withExtra, PressEventSchemaHistory.v1].enumerated() {
            let subject = "sink-test-\(UUID().uuidString)-value"
            let answer = try await HTTP.send(
                "POST",
                "\(database.stack.registry)/subjects/\(subject)/versions",
                body: try JSONSerialization.data(withJSONObject: ["schema": text]),
                headers: ["Content-Type": "application/vnd.schemaregistry.v1+json"]
            )
            let id = try #require((answer.json as? [String: Any])?["id"] as? Int, "\(answer.text)")
            let event = SinkDatabase.event(session: session, index: index, cohort: index == 1 ? 3 : nil)
            guard case .record(var fieldValues) = event.avroValue else {
                Issue.record("not a record")
                return
            }
            fieldValues.removeAll { $0.name == "is_bot" }  // none of these versions has it
            if index == 0 { fieldValues.removeAll { $0.name == "cohort" } }
            if index == 1 { fieldValues.append(.init("referrer", .string("https://example.org/"))) }
            let body = try AvroSchema(parsing: text).encode(.record(fieldValues))
            values.append(ConfluentWireFormat.frame(schemaID: Int32(id), body: body))
        }
        _ = try database.produce(values, key: Array(session.uuidString.utf8))
        let rows = try await database.waitForRows(sessions: [session], expected: 3, timeout: .seconds(5))
        try #require(rows.count == 3)
        #expect(rows.map(\.cohort) == [nil, 3, nil])
        #expect(rows.map(\.action) == ["EnterPage", "PressButton", "PressButton"])
        #expect(rows.allSatisfy { $0.countryCode == "DE" && $0.cityName == "Berlin" })
    }

    @Test func undecodableAndRejectedMessagesAreDeadLettersAndTheGoodOnesAroundThemStored() async throws {
        let session = UUID()
        let key = Array(session.uuidString.utf8)
        let schemaID = try await database.schemaID()
        func good(_ index: Int) -> [UInt8] {
            SinkDatabase.event(session: session, index: index, cohort: index % 2 == 0 ? nil : 1).encoded(
                schemaID: schemaID
            )
        }
        var badCountry = SinkDatabase.event(session: session, index: 90)
        badCountry.countryCode = "DEU"
        var oversized = SinkDatabase.event(session: session, index: 91)
        oversized.cityName = String(repeating: "x", count: 5000)
        let values: [[UInt8]] = [
            good(0),
            Array("plain text, no framing".utf8),
            good(1),
            ConfluentWireFormat.frame(schemaID: 1_999_999_999, body: good(2).dropFirst(5).map { $0 }),
            good(2),
            ConfluentWireFormat.frame(
                schemaID: schemaID,
                body: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
            ),
            good(3),
            badCountry.encoded(schemaID: schemaID),
            oversized.encoded(schemaID: schemaID),
            good(4),
        ]
        let positions = try database.produce(values, key: key)
        let rows = try await database.waitForRows(sessions: [session], expected: 5, timeout: .seconds(5))
        #expect(rows.count == 5, "the 5 good events around the poison are stored")
        #expect(rows.map(\.cohort) == [nil, 1, nil, 1, nil])
        let partition = positions[0].partition
        let badIndexes = [1, 3, 5, 7, 8]
        let deadline = ContinuousClock.now + .seconds(5)
        var letters = try database.deadLetters(partition: partition, offsets: badIndexes.map { positions[$0].offset })
        while letters.count < badIndexes.count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            letters = try database.deadLetters(partition: partition, offsets: badIndexes.map { positions[$0].offset })
        }
        try #require(letters.count == badIndexes.count)
        let expectedReasons = [
            "not Confluent-framed", "unknown schema id 1999999999", "corrupt", "country_code", "city_name",
        ]
        for (index, reason) in zip(badIndexes, expectedReasons) {
            let letter = try #require(letters[positions[index].offset])
            #expect(letter.reason.contains(reason), "\(letter.reason)")
            #expect(letter.value == values[index], "the raw bytes are kept")
            #expect(letter.key == key)
        }
        // No good event became a dead letter.
        let goodOffsets = [0, 2, 4, 6, 9].map { positions[$0].offset }
        #expect(try database.deadLetters(partition: partition, offsets: goodOffsets).isEmpty)
    }

    @Test func statusFileReportsLagPerPartition() async throws {
        let path = "\(database.stack.runDir)/sink.status"
        // Rewritten every 2 s; right after a start or a rebalance it may list no partitions yet.
        // The file is read again after every sleep, also after the deadline: on 2 busy cores
        // the parallel pass can starve this task's sleep for longer than the whole deadline,
        // and a read from before it proves nothing about the file now.
        let deadline = ContinuousClock.now + .seconds(20)
        var text = ""
        while true {
            text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if (0..<6).allSatisfy({ text.contains("lag button_presses[\($0)] ") }) { break }
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(text.contains("rows ") && text.contains("dead_letters "))
        for partition in 0..<6 { #expect(text.contains("lag button_presses[\(partition)] "), "\(text)") }
    }
}
