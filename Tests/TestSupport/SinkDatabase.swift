public import ButtonEvents
public import Foundation
public import Postgres

/// The sink's side of the stack for tests: the PostgreSQL tables it writes, and a producer
/// that puts events (or anything else) straight on the topic.
public final class SinkDatabase: @unchecked Sendable {
    // @unchecked: a test uses one instance from one task at a time (PostgresConnection is not
    // thread-safe); tests that need two connections open two instances.
    public let stack: PressStack
    public let connection: PostgresConnection

    /// Connects to the stack's PostgreSQL.
    /// - Throws: when the stack is not up.
    public init() throws {
        stack = try PressStack()
        connection = try PostgresConnection(dsn: try stack.env.require("PG_DSN"), logger: .init(label: "test.pg"))
    }

    /// One stored row, as the tests compare it.
    public struct Row: Sendable, Equatable {
        public let sessionID: String
        public let timestamp: Int64
        /// `event_time` in µs since the epoch, computed by PostgreSQL exactly (numeric).
        public let eventTimeMicros: Int64
        public let cohort: Int?
        public let action: String
        public let countryName: String
        public let countryCode: String
        public let subdivisionName: String
        public let subdivisionCode: String
        public let cityName: String
        /// nil once the sink cleared the position (its log was lost).
        public let partition: Int?
        public let offset: Int64?
    }

    /// The rows whose Kafka key or session is one of `sessions`.
    public func rows(sessions: [UUID]) throws -> [Row] {
        let list = sessions.map { $0.uuidString.lowercased() }.joined(separator: ",")
        let result = try connection.query(
            """
            SELECT session_id::text AS session_id, "timestamp",
                   (extract(epoch FROM event_time) * 1000000)::bigint AS event_micros,
                   (extract(epoch FROM event_time) * 1000000 = "timestamp") AS exact,
                   cohort, action, country_name, country_code, subdivision_name, subdivision_code,
                   city_name, "partition", "offset"
            FROM button_presses WHERE session_id = ANY(string_to_array($1, ',')::uuid[])
            ORDER BY "timestamp", "partition", "offset"
            """,
            [.text(list)]
        )
        return try result.map { row in
            Row(
                sessionID: try row.string("session_id"),
                timestamp: Int64(try row.int("timestamp")),
                eventTimeMicros: try row.bool("exact") ? Int64(try row.int("event_micros")) : -1,
                cohort: try row.optionalInt("cohort"),
                action: try row.string("action"),
                countryName: try row.string("country_name"),
                countryCode: try row.string("country_code"),
                subdivisionName: try row.string("subdivision_name"),
                subdivisionCode: try row.string("subdivision_code"),
                cityName: try row.string("city_name"),
                partition: try row.optionalInt("partition"),
                offset: try row.optionalInt("offset").map(Int64.init)
            )
        }
    }

    /// Waits until the sessions have `expected` rows (or more), up to `timeout`.
    public func waitForRows(sessions: [UUID], expected: Int, timeout: Duration) async throws -> [Row] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let rows = try rows(sessions: sessions)
            if rows.count >= expected || ContinuousClock.now > deadline { return rows }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// How many rows `SELECT count(*) …` counts.
    public func count(_ sql: String, _ parameters: [PostgresValue] = []) throws -> Int {
        try connection.query(sql, parameters).first?.int("count") ?? 0
    }

    /// The dead letters at these positions, by offset: (reason, key, value).
    public func deadLetters(
        partition: Int32,
        offsets: [Int64]
    ) throws -> [Int64: (reason: String, key: [UInt8]?, value: [UInt8])] {
        let result = try connection.query(
            """
            SELECT "offset", reason, key, value FROM button_presses_dead_letters
            WHERE topic = 'button_presses' AND "partition" = $1
              AND "offset" = ANY(string_to_array($2, ',')::bigint[])
            """,
            [.int(Int(partition)), .text(offsets.map(String.init).joined(separator: ","))]
        )
        var letters: [Int64: (reason: String, key: [UInt8]?, value: [UInt8])] = [:]
        for row in result {
            letters[Int64(try row.int("offset"))] = (
                try row.string("reason"), try row.optionalBytes("key"), try row.bytes("value")
            )
        }
        return letters
    }

    /// The registry id of the current event schema (see ``PressStack/schemaID()``).
    public func schemaID() async throws -> Int32 { try await stack.schemaID() }

    /// Sends values to the topic with one key (see ``PressStack/produce(_:key:)``).
    /// - Returns: the (partition, offset) of each value.
    public func produce(_ values: [[UInt8]], key: [UInt8]) throws -> [(partition: Int32, offset: Int64)] {
        try stack.produce(values, key: key)
    }

    /// An event of a fresh session, with a µs timestamp that ends in non-zero digits.
    public static func event(session: UUID, index: Int, cohort: Int32? = nil) -> PressEvent {
        PressEvent(
            sessionID: session,
            timestamp: 1_795_789_082_390_581 + Int64(index) * 1_000_003,
            action: index == 0 ? .enterPage : .pressButton,
            countryName: "Germany",
            countryCode: "DE",
            subdivisionName: "Berlin",
            subdivisionCode: "BE",
            cityName: "Berlin",
            cohort: cohort
        )
    }
}
