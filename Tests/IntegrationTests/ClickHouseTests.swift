import Foundation
import TestSupport
import Testing

/// ClickHouse 18.16 of the stack reading `button_presses_enriched` through its Kafka-engine
/// table and view into `button_presses`. Lines are produced with kcat, independently of the
/// enricher. Each test marks its rows with a `source_topic` of its own, so it counts only
/// them. Serialized: the migrations test re-creates the Kafka table, which pauses consuming.
@Suite(.serialized) struct ClickHouseTests {
    /// A `source_topic` value no other test uses.
    static func marker(_ name: String) -> String { "chtest-\(name)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// The row as stored, with the derived columns.
    struct StoredPress: Decodable {
        let press: EnrichedPress
        let eventTime: String
        let ingestedAt: String

        enum CodingKeys: String, CodingKey {
            case eventTime = "event_time"
            case ingestedAt = "ingested_at"
        }

        init(from decoder: any Decoder) throws {
            press = try EnrichedPress(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            eventTime = try container.decode(String.self, forKey: .eventTime)
            ingestedAt = try container.decode(String.self, forKey: .ingestedAt)
        }
    }

    static let columns = """
        toString(session_id) AS session_id, timestamp, action, country_name, country_code, subdivision_name,
        subdivision_code, city_name, cohort, is_fake, is_bot, latitude, longitude, time_zone, local_hour,
        local_weekday, source_topic, source_partition, source_offset, toString(event_time) AS event_time,
        toString(ingested_at) AS ingested_at
        """

    @Test func contractLinesBecomeExactlyTheseRows() async throws {
        let env = try StackEnv.load()
        let clickhouse = try ClickHouseClient(env: env)
        let topic = Self.marker("exact")
        let presses = [
            EnrichedPress(timestamp: 1_764_250_000_123_456, sourceTopic: topic, sourceOffset: 1),
            // Fake data: no cohort, an unknown place (no coordinates, zone or local time).
            EnrichedPress(
                timestamp: 1_764_250_000_999_999,
                action: "EnterPage",
                country: ("", "A1"),
                subdivision: ("", ""),
                city: "",
                cohort: nil,
                latitude: nil,
                longitude: nil,
                timeZone: "",
                localHour: nil,
                localWeekday: nil,
                sourceTopic: topic,
                sourcePartition: 5,
                sourceOffset: 9_007_199_254_740_993
            ),
            // Text that needs JSON escapes, a negative coordinate, the µs just after a second.
            EnrichedPress(
                timestamp: 1_700_000_000_000_001,
                country: ("Côte d'Ivoire", "CI"),
                subdivision: ("Abidjan / \"Lagunes\"", "AB"),
                city: "Yamoussoukro\\Zürich",
                cohort: 0,
                isBot: true,  // the mark is a column of its own, 0 unless set
                latitude: -33.8688,
                longitude: 151.2093,
                timeZone: "Africa/Abidjan",
                localHour: 0,
                localWeekday: 7,
                sourceTopic: topic,
                sourceOffset: 0
            ),
        ]
        try EnrichedTopic.produce(
            presses.map { try $0.jsonLine() },
            key: presses[0].sessionID,
            bootstrap: try env.require("KAFKA_BOOTSTRAP")
        )

        let count = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE source_topic = '\(topic)'"
        ) { $0 >= presses.count }
        #expect(count == presses.count)
        let stored: [StoredPress] = try await clickhouse.rows(
            "SELECT \(Self.columns) FROM button_presses FINAL WHERE source_topic = '\(topic)' ORDER BY source_offset"
        )
        #expect(stored.map(\.press) == presses.sorted { $0.sourceOffset < $1.sourceOffset })
        // The derived DateTime is the µs timestamp's second, in UTC.
        #expect(
            stored.map(\.eventTime) == ["2023-11-14 22:13:20", "2025-11-27 13:26:40", "2025-11-27 13:26:40"]
        )
        #expect(stored.allSatisfy { $0.ingestedAt.hasPrefix("20") && !$0.ingestedAt.hasPrefix("2000") })
        // The columns keep their types: µs in UInt64, the UUID type, a nullable cohort.
        let types = try await clickhouse.query(
            "SELECT toTypeName(session_id), toTypeName(timestamp), toTypeName(cohort), toTypeName(event_time) "
                + "FROM button_presses WHERE source_topic = '\(topic)' LIMIT 1"
        )
        #expect(types == "UUID\tUInt64\tNullable(Int16)\tDateTime(\\'UTC\\')\n")
    }

    @Test func theSameSourcePositionTwiceIsOneRowWithFinal() async throws {
        let env = try StackEnv.load()
        let clickhouse = try ClickHouseClient(env: env)
        let bootstrap = try env.require("KAFKA_BOOTSTRAP")
        let topic = Self.marker("dup")
        let press = EnrichedPress(timestamp: 1_764_250_000_000_007, sourceTopic: topic, sourceOffset: 42)
        // Another event that happens to claim the same source position (e.g. a broker that
        // started over): different content, so it must not collapse with the first.
        let other = EnrichedPress(timestamp: 1_764_250_000_000_008, sourceTopic: topic, sourceOffset: 42)
        let line = try press.jsonLine()
        try EnrichedTopic.produce([line], key: press.sessionID, bootstrap: bootstrap)
        let first = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses WHERE source_topic = '\(topic)'"
        ) { $0 >= 1 }
        #expect(first == 1)
        // Again once the first is stored (a separate insert, as after an enricher restart),
        // then the other event.
        try EnrichedTopic.produce([line, try other.jsonLine()], key: press.sessionID, bootstrap: bootstrap)
        let all = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses WHERE source_topic = '\(topic)'"
        ) { $0 >= 3 }
        #expect(all == 3, "without FINAL, all three inserts are there until a merge")
        let final = try await clickhouse.number(
            "SELECT count() FROM button_presses FINAL WHERE source_topic = '\(topic)'"
        )
        #expect(final == 2)
        let timestamps = try await clickhouse.query(
            "SELECT timestamp FROM button_presses FINAL WHERE source_topic = '\(topic)' ORDER BY timestamp"
        )
        #expect(timestamps == "1764250000000007\n1764250000000008\n")
    }

    @Test func aMalformedLineIsCountedAndTheLinesAroundItAreStored() async throws {
        let env = try StackEnv.load()
        let clickhouse = try ClickHouseClient(env: env)
        let topic = Self.marker("bad")
        let before = try ClickHouseRejections.count(env: env)
        let incompleteBefore = try ClickHouseRejections.incomplete(env: env)
        let good = (0..<4).map {
            EnrichedPress(timestamp: 1_764_250_000_000_000 + $0, sourceTopic: topic, sourceOffset: $0)
        }
        // Not JSON at all; and JSON whose session_id is no UUID. (A message cut short inside
        // its object is worse in 18.16: the parser only notices at the next message, which it
        // skips with it; see README.)
        let notJSON = "pressed the button, honest"
        var badUUID = good[0]
        badUUID.sessionID = "not-a-uuid"
        badUUID.sourceOffset = 99
        // Valid JSON without the event's identity: stored with defaults, and counted.
        let anonymous = "{\"action\":\"PressButton\",\"source_topic\":\"\(topic)\",\"source_offset\":77}"
        let lines = [
            try good[0].jsonLine(), notJSON, anonymous, try good[1].jsonLine(), try badUUID.jsonLine(),
            try good[2].jsonLine(),
            try good[3].jsonLine(),
        ]
        // One key: one partition, the bad lines between good ones in the same fetch.
        try EnrichedTopic.produce(lines, key: good[0].sessionID, bootstrap: try env.require("KAFKA_BOOTSTRAP"))

        let stored = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE source_topic = '\(topic)' AND timestamp != 0"
        ) { $0 >= good.count }
        #expect(stored == good.count)
        let offsets = try await clickhouse.query(
            "SELECT source_offset FROM button_presses FINAL WHERE source_topic = '\(topic)' ORDER BY source_offset"
        )
        #expect(offsets == "0\n1\n2\n3\n77\n", "the good lines, and the one without identity")
        // Both rejected lines are counted where an operator looks: scripts/stack status.
        let deadline = ContinuousClock.now + .seconds(10)
        var after = try ClickHouseRejections.count(env: env)
        while after < before + 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            after = try ClickHouseRejections.count(env: env)
        }
        #expect(after >= before + 2, "rejected rows before \(before), after \(after)")
        #expect(try ClickHouseRejections.incomplete(env: env) == incompleteBefore + 1)
    }

    @Test func rerunningTheMigrationsChangesNothingAndTheKafkaTableReadsAgain() async throws {
        let env = try StackEnv.load()
        let clickhouse = try ClickHouseClient(env: env)
        let bootstrap = try env.require("KAFKA_BOOTSTRAP")
        let migrations = try await clickhouse.query(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
        )
        #expect(migrations.hasPrefix("1\t0001_button_presses\t"))
        let tables = try await clickhouse.query("SHOW CREATE TABLE button_presses")

        let script = StackEnv.packageRoot.appendingPathComponent("scripts/clickhouse-setup").path
        let rerun = try Command.run(script, [clickhouse.url, bootstrap])
        #expect(rerun.status == 0, "\(rerun.output)\(rerun.errors)")
        #expect(rerun.output.contains("migrations up to date"))
        #expect(!rerun.output.contains("applied"))
        #expect(
            try await clickhouse.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
                == migrations
        )
        #expect(try await clickhouse.query("SHOW CREATE TABLE button_presses") == tables)

        // The Kafka table was re-created: it still reads the topic, where it left off.
        let topic = Self.marker("rerun")
        let press = EnrichedPress(timestamp: 1_764_250_000_000_000, sourceTopic: topic, sourceOffset: 1)
        try EnrichedTopic.produce([try press.jsonLine()], key: press.sessionID, bootstrap: bootstrap)
        let count = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE source_topic = '\(topic)'"
        ) { $0 >= 1 }
        #expect(count == 1)

        // A bad broker list never reaches the SQL.
        let bad = try Command.run(script, [clickhouse.url, "x', kafka_format = 'CSV"])
        #expect(bad.status != 0)
        #expect(bad.errors.contains("unexpected broker list"))
    }
}
