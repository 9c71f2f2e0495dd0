import Foundation
public import Kafka
public import Postgres

/// Writes batches to PostgreSQL: the rows, the dead letters and the new offsets in one
/// transaction, so a batch is stored completely with its position or not at all.
public struct SinkStore {
    /// How batches go in.
    public enum Method: String, Sendable {
        /// COPY into the table; when a position is there already, COPY into a temporary
        /// table and one INSERT … SELECT … ON CONFLICT DO NOTHING instead.
        case copy
        /// Multi-row INSERT … VALUES with parameters, ON CONFLICT DO NOTHING.
        case insert
    }

    /// Another sink stored a later position for a partition of the batch (the group moved the
    /// partition while the batch was read): the batch is abandoned, nothing of it written.
    public struct Fenced: Error, CustomStringConvertible {
        /// The stored positions of the batch's partitions.
        public let stored: [KafkaPartition: Int64]
        public var description: String { "another sink stored later offsets: \(stored)" }
    }

    /// What a write stored.
    public struct Written: Sendable, Equatable {
        public var rows: Int
        public var duplicates: Int
        public var deadLetters: Int
    }

    let connection: PostgresConnection
    public var method: Method
    /// The Kafka cluster's id, stored with every position (nil: unknown).
    public var clusterID: String?

    /// - Parameters:
    ///   - connection: The database (the migrations applied).
    ///   - method: How rows go in.
    public init(connection: PostgresConnection, method: Method = .copy) {
        self.connection = connection
        self.method = method
    }

    static let columns = [
        "session_id", "timestamp", "cohort", "action", "country_name", "country_code",
        "subdivision_name", "subdivision_code", "city_name", "topic", "partition", "offset", "is_bot",
    ]
    static let quotedColumns = columns.map { "\"\($0)\"" }.joined(separator: ", ")

    /// A partition's stored position.
    public struct StoredPosition: Sendable, Equatable {
        /// The next offset to read.
        public let next: Int64
        /// The Kafka cluster the offset belongs to, when known.
        public let clusterID: String?
    }

    /// The stored position of each partition that has one.
    /// - Throws: `PostgresError`.
    public func storedPositions(_ partitions: [KafkaPartition]) throws -> [KafkaPartition: StoredPosition] {
        var stored: [KafkaPartition: StoredPosition] = [:]
        for partition in partitions {
            let rows = try connection.query(
                #"SELECT next_offset, cluster_id FROM button_sink_offsets WHERE topic = $1 AND "partition" = $2"#,
                [.text(partition.topic), .int(Int(partition.partition))]
            )
            if let row = rows.first {
                stored[partition] = StoredPosition(
                    next: Int64(try row.int("next_offset")),
                    clusterID: try row.optionalString("cluster_id")
                )
            }
        }
        return stored
    }

    /// Forgets a partition's positions after its log was reset (the broker lost its data, or
    /// the topic was recreated): the offsets stored for it name messages that no longer exist
    /// and would collide with new messages at the same offsets. The rows and dead letters stay;
    /// their positions from `start` on are cleared (like rows the JDBC sink writes), and the
    /// partition's next offset becomes `start`. One transaction.
    /// - Returns: the rows and dead letters whose positions were cleared.
    /// - Throws: `PostgresError`.
    public func forgetLog(of partition: KafkaPartition, from start: Int64) throws -> Int {
        try connection.transaction { connection in
            let parameters: [PostgresValue] = [
                .text(partition.topic), .int(Int(partition.partition)), .int(Int(start)),
            ]
            var cleared = 0
            for table in ["button_presses", "button_presses_dead_letters"] {
                cleared += try connection.execute(
                    #"UPDATE \#(table) SET topic = NULL, "partition" = NULL, "offset" = NULL "#
                        + #"WHERE topic = $1 AND "partition" = $2 AND "offset" >= $3"#,
                    parameters
                )
            }
            try connection.execute(
                #"UPDATE button_sink_offsets SET next_offset = $3, cluster_id = $4, updated_at = now() "#
                    + #"WHERE topic = $1 AND "partition" = $2"#,
                parameters + [clusterID.map { .text($0) } ?? .null]
            )
            return cleared
        }
    }

    /// Writes a batch and its offsets in one transaction.
    ///
    /// The stored offsets of the batch's partitions are locked and compared with the batch's
    /// first offsets: a later stored position means another sink wrote (part of) this range,
    /// and the batch is abandoned with ``Fenced``. The unique Kafka position of each row is a
    /// second guard (`ON CONFLICT DO NOTHING`).
    /// - Parameters:
    ///   - batch: What was read.
    ///   - rowByRow: Insert each row under its own savepoint and turn a row PostgreSQL rejects
    ///     into a dead letter (after the whole batch failed on a value).
    /// - Returns: What was written.
    /// - Throws: ``Fenced``, `PostgresError` (nothing is written then).
    public func write(_ batch: SinkBatch, rowByRow: Bool = false) throws -> Written {
        try connection.transaction { connection in
            var stored: [KafkaPartition: Int64] = [:]
            var fenced = false
            for (partition, range) in batch.ranges.sorted(by: { $0.key.partition < $1.key.partition }) {
                // A partition's first batch has no offsets row to lock yet: two sinks holding
                // the partition during a rebalance would both write it, and the second would
                // meet the first's rows. Creating the row first (at this batch's start, so it
                // does not fence this batch) makes the second wait for the first's commit and
                // then see its offsets.
                try connection.execute(
                    """
                    INSERT INTO button_sink_offsets (topic, "partition", next_offset, cluster_id) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (topic, "partition") DO NOTHING
                    """,
                    [
                        .text(partition.topic), .int(Int(partition.partition)), .int(Int(range.lowerBound)),
                        clusterID.map { .text($0) } ?? .null,
                    ]
                )
                let rows = try connection.query(
                    #"SELECT next_offset FROM button_sink_offsets WHERE topic = $1 AND "partition" = $2 FOR UPDATE"#,
                    [.text(partition.topic), .int(Int(partition.partition))]
                )
                if let row = rows.first {
                    let next = Int64(try row.int("next_offset"))
                    stored[partition] = next
                    if next > range.lowerBound { fenced = true }
                }
            }
            if fenced { throw Fenced(stored: stored) }

            var written = Written(rows: 0, duplicates: 0, deadLetters: 0)
            var letters = batch.deadLetters
            if rowByRow {
                for row in batch.rows {
                    do {
                        written.rows += try connection.transaction { try insert([row], on: $0) }
                    } catch let error as PostgresError where Self.isValueError(error) {
                        letters.append(
                            DeadLetter(
                                partition: row.partition,
                                offset: row.offset,
                                key: row.key,
                                value: row.value,
                                reason: "PostgreSQL rejected the row: \(error.serverMessage ?? error.message)"
                            )
                        )
                    }
                }
            } else if !batch.rows.isEmpty {
                switch method {
                case .copy: written.rows = try copy(batch.rows, on: connection)
                case .insert:
                    // 12 parameters a row; PostgreSQL takes at most 65535 per statement.
                    var start = 0
                    while start < batch.rows.count {
                        let end = min(batch.rows.count, start + 5000)
                        written.rows += try insert(Array(batch.rows[start..<end]), on: connection)
                        start = end
                    }
                }
            }
            written.duplicates = batch.rows.count - written.rows - (letters.count - batch.deadLetters.count)
            for letter in letters {
                written.deadLetters += try connection.execute(
                    """
                    INSERT INTO button_presses_dead_letters (topic, "partition", "offset", key, value, reason)
                    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
                    """,
                    [
                        .text(letter.partition.topic), .int(Int(letter.partition.partition)), .int(Int(letter.offset)),
                        letter.key.map { .bytea($0) } ?? .null, .bytea(letter.value), .text(letter.reason),
                    ]
                )
            }
            for (partition, range) in batch.ranges {
                try connection.execute(
                    """
                    INSERT INTO button_sink_offsets (topic, "partition", next_offset, cluster_id) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (topic, "partition") DO UPDATE
                    SET next_offset = greatest(button_sink_offsets.next_offset, excluded.next_offset),
                        cluster_id = excluded.cluster_id, updated_at = now()
                    """,
                    [
                        .text(partition.topic), .int(Int(partition.partition)), .int(Int(range.upperBound)),
                        clusterID.map { .text($0) } ?? .null,
                    ]
                )
            }
            return written
        }
    }

    /// Whether an error is about a value (class 22 data exception, 23 integrity violation),
    /// so isolating rows can help; connection and server errors are not.
    static func isValueError(_ error: PostgresError) -> Bool {
        guard let state = error.sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23")
    }

    private static func values(_ row: PressRow) -> [PostgresValue] {
        let event = row.event
        return [
            .text(event.sessionID.uuidString.lowercased()), .int(Int(event.timestamp)),
            event.cohort.map { .int(Int($0)) } ?? .null, .text(event.action.rawValue),
            .text(event.countryName), .text(event.countryCode), .text(event.subdivisionName),
            .text(event.subdivisionCode), .text(event.cityName), .text(row.partition.topic),
            .int(Int(row.partition.partition)), .int(Int(row.offset)), .bool(event.isBot),
        ]
    }

    private func copy(_ rows: [PressRow], on connection: PostgresConnection) throws -> Int {
        let values = rows.map(Self.values)
        // Straight into the table: the stored offsets fence every batch, so a Kafka position
        // is never stored twice by sinks and the unique index never fires. Should a row be
        // there all the same (written by the JDBC connector, or by hand), the savepoint keeps
        // the transaction and the batch goes again through a staging table with
        // ON CONFLICT DO NOTHING. The direct COPY spares PostgreSQL that second pass over
        // every row (a COPY into the staging table, then an INSERT … SELECT).
        try connection.execute("SAVEPOINT sink_copy")
        do {
            let copied = try connection.copy(into: "button_presses", columns: Self.columns, rows: values)
            try connection.execute("RELEASE SAVEPOINT sink_copy")
            return copied
        } catch let error as PostgresError where error.sqlState == "23505" {
            try connection.execute("ROLLBACK TO SAVEPOINT sink_copy")
        }
        // Per session (a reconnect starts a new one); emptied by every commit.
        try connection.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS button_sink_stage (
                session_id uuid, "timestamp" bigint, cohort smallint, action text, country_name text,
                country_code char(2), subdivision_name text, subdivision_code text, city_name text,
                topic text, "partition" integer, "offset" bigint, is_bot boolean
            ) ON COMMIT DELETE ROWS
            """
        )
        try connection.copy(into: "button_sink_stage", columns: Self.columns, rows: values)
        return try connection.execute(
            """
            INSERT INTO button_presses (\(Self.quotedColumns))
            SELECT \(Self.quotedColumns) FROM button_sink_stage
            ON CONFLICT (topic, "partition", "offset") DO NOTHING
            """
        )
    }

    private func insert(_ rows: [PressRow], on connection: PostgresConnection) throws -> Int {
        var parameters: [PostgresValue] = []
        parameters.reserveCapacity(rows.count * Self.columns.count)
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        for row in rows {
            let base = parameters.count
            parameters += Self.values(row)
            tuples.append(
                "($\(base + 1)::uuid, $\(base + 2), $\(base + 3), $\(base + 4), $\(base + 5), $\(base + 6), "
                    + "$\(base + 7), $\(base + 8), $\(base + 9), $\(base + 10), $\(base + 11), $\(base + 12), "
                    + "$\(base + 13))"
            )
        }
        return try connection.execute(
            """
            INSERT INTO button_presses (\(Self.quotedColumns)) VALUES \(tuples.joined(separator: ", "))
            ON CONFLICT (topic, "partition", "offset") DO NOTHING
            """,
            parameters
        )
    }
}
