import ButtonEvents
import Foundation
import Kafka
import Logging
import Postgres
import PressSink
import TestSupport
import Testing

/// COPY versus multi-row INSERT for a 100 000-event backlog, written in sink-sized batches
/// with their offsets. A measurement, not a check: runs only with `SINK_MEASURE=1` and prints
/// the figures (`swift test --filter SinkStoreMeasureTests`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SINK_MEASURE"] == "1"))
struct SinkStoreMeasureTests {
    @Test(arguments: [SinkStore.Method.copy, .insert])
    func backlogOf100k(method: SinkStore.Method) throws {
        let env = try StackEnv.load()
        let connection = try PostgresConnection(dsn: try env.require("PG_DSN"), logger: Logger(label: "measure"))
        let store = SinkStore(connection: connection, method: method)
        // A topic of its own per run, so the rows never collide with the stack's.
        let partition = KafkaPartition(topic: "measure-\(method.rawValue)-\(UUID().uuidString)", partition: 0)
        let session = UUID()
        let total = 100_000
        let batchSize = 5000
        var batch = SinkBatch(maximum: batchSize, wait: .seconds(1))
        let start = ContinuousClock.now
        var written = 0
        for offset in 0..<total {
            let event = SinkDatabase.event(session: session, index: offset, cohort: 1)
            batch.add(PressRow(event: event, partition: partition, offset: Int64(offset)), at: .now)
            if batch.count == batchSize {
                written += try store.write(batch).rows
                batch.reset()
            }
        }
        let elapsed = ContinuousClock.now - start
        #expect(written == total)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("sink store \(method.rawValue): \(total) rows in \(elapsed), \(Int(Double(total) / seconds)) rows/s")
        try connection.execute("DELETE FROM button_presses WHERE topic = $1", [.text(partition.topic)])
        try connection.execute("DELETE FROM button_sink_offsets WHERE topic = $1", [.text(partition.topic)])
    }
}
