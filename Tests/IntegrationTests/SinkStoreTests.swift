import Foundation
import Kafka
import Logging
import Postgres
import PressSink
import Synchronization
import TestSupport
import Testing

/// `SinkStore` against the stack's PostgreSQL, on topics of their own so the stack's sink
/// never sees the rows.
@Suite struct SinkStoreTests {
    static func batch(_ partition: KafkaPartition, offsets: Range<Int64>, session: UUID) -> SinkBatch {
        var batch = SinkBatch(maximum: 1000, wait: .seconds(1))
        for offset in offsets {
            let event = SinkDatabase.event(session: session, index: Int(offset), cohort: 2)
            batch.add(PressRow(event: event, partition: partition, offset: offset), at: .now)
        }
        return batch
    }

    @Test(arguments: [SinkStore.Method.copy, .insert])
    func aPositionStoredBySomeoneElseIsSkippedAndTheRestOfTheBatchStored(method: SinkStore.Method) throws {
        let database = try SinkDatabase()
        let partition = KafkaPartition(topic: "store-\(method.rawValue)-\(UUID().uuidString.prefix(8))", partition: 0)
        defer {
            _ = try? database.connection.execute(
                "DELETE FROM button_presses WHERE topic = $1",
                [.text(partition.topic)]
            )
            _ = try? database.connection.execute(
                "DELETE FROM button_sink_offsets WHERE topic = $1",
                [.text(partition.topic)]
            )
        }
        let session = UUID()
        let store = SinkStore(connection: database.connection, method: method)
        // Offset 5 is in the table already, as the JDBC connector or a hand-made insert would
        // leave it, while the sink's stored offsets know nothing of it: the direct COPY meets
        // the unique position and the batch must still go in, without a second row 5.
        #expect(try store.write(Self.batch(partition, offsets: 5..<6, session: session)).rows == 1)
        try database.connection.execute("DELETE FROM button_sink_offsets WHERE topic = $1", [.text(partition.topic)])

        let written = try store.write(Self.batch(partition, offsets: 3..<8, session: session))
        #expect(written.rows == 4)
        #expect(written.duplicates == 1)
        #expect(written.deadLetters == 0)
        let offsets = try database.connection.query(
            #"SELECT "offset" FROM button_presses WHERE topic = $1 ORDER BY "offset""#,
            [.text(partition.topic)]
        ).map { try $0.int("offset") }
        #expect(offsets == [3, 4, 5, 6, 7])
        let next = try database.connection.query(
            "SELECT next_offset FROM button_sink_offsets WHERE topic = $1",
            [.text(partition.topic)]
        ).map { try $0.int("next_offset") }
        #expect(next == [8])
    }

    @Test func twoSinksWritingAPartitionsFirstBatchAtOnceWriteItOnce() throws {
        // During a rebalance two sinks can hold one partition for a moment. For a partition
        // nothing was stored for yet, there is no offsets row to lock: both used to write the
        // batch, the second meeting the first's rows. Now the second waits and is fenced.
        let dsn = try StackEnv.load().require("PG_DSN")
        let cleanup = try SinkDatabase()
        for round in 0..<8 {
            let partition = KafkaPartition(topic: "store-race-\(round)-\(UUID().uuidString.prefix(8))", partition: 0)
            defer {
                _ = try? cleanup.connection.execute(
                    "DELETE FROM button_presses WHERE topic = $1",
                    [.text(partition.topic)]
                )
                _ = try? cleanup.connection.execute(
                    "DELETE FROM button_sink_offsets WHERE topic = $1",
                    [.text(partition.topic)]
                )
            }
            let session = UUID()
            let outcomes = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                let outcome: String
                do {
                    let connection = try PostgresConnection(dsn: dsn, logger: Logger(label: "test.pg"))
                    let written = try SinkStore(connection: connection).write(
                        Self.batch(partition, offsets: 0..<500, session: session)
                    )
                    outcome = "rows \(written.rows) duplicates \(written.duplicates)"
                } catch is SinkStore.Fenced {
                    outcome = "fenced"
                } catch {
                    outcome = "error \(error)"
                }
                outcomes.withLock { $0.append(outcome) }
            }
            #expect(outcomes.withLock { $0 }.sorted() == ["fenced", "rows 500 duplicates 0"], "round \(round)")
            let rows = try cleanup.connection.query(
                "SELECT count(*) AS n FROM button_presses WHERE topic = $1",
                [.text(partition.topic)]
            ).map { try $0.int("n") }
            #expect(rows == [500])
        }
    }
}
