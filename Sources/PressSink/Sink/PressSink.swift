import ButtonEvents
import ConsumerSupport
import Foundation
import Kafka
public import Logging
import Postgres
import SchemaRegistry

/// The Kafka → PostgreSQL sink: reads `button_presses` as a member of a consumer group and
/// writes each batch of events, with the offsets it consumed, in one PostgreSQL transaction.
///
/// Exactly once: the position of every partition lives in `button_sink_offsets`, written in the
/// batch's transaction; the sink seeks to it whenever it starts reading a partition and after
/// every failed write, and ignores Kafka's committed offsets (it commits none). The unique Kafka
/// position of each row is a second guard. Failures of PostgreSQL, the broker or the registry
/// are retried with backoff without advancing; a message that can never be a row becomes a
/// dead letter in the same transaction, so it never blocks its partition.
public final class PressSink {
    let configuration: SinkConfiguration
    let logger: Logger
    /// The counters since start, for the log and the status file.
    public private(set) var rowsWritten = 0
    public private(set) var deadLettersWritten = 0
    public private(set) var batchesWritten = 0

    /// - Parameters:
    ///   - configuration: The settings.
    ///   - logger: Start, stop, lag, failures and dead letters.
    public init(configuration: SinkConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Connects to PostgreSQL, retrying until it answers, `shouldStop` says so or `timeout` passed.
    /// - Parameter timeout: How long to keep trying; nil for as long as it takes.
    /// - Returns: nil when told to stop first.
    /// - Throws: `UnavailableAtStart` when `timeout` passed (its message has no password: libpq's
    ///   errors name the host, port, database and user only).
    static func connect(
        dsn: String,
        logger: Logger,
        timeout: Duration?,
        shouldStop: @escaping @Sendable () -> Bool
    ) async throws -> PostgresConnection? {
        var backoff = Backoff()
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while !shouldStop() {
            do {
                return try PostgresConnection(dsn: dsn, logger: logger)
            } catch {
                if let deadline, let timeout, ContinuousClock.now + backoff.current > deadline {
                    throw UnavailableAtStart("PostgreSQL did not answer within \(timeout): \(error)")
                }
                logger.warning("PostgreSQL not reachable, retrying in \(backoff.current): \(error)")
                await backoff.sleep(shouldStop: shouldStop)
            }
        }
        return nil
    }

    /// Applies the migrations (see ``SinkMigrations``) and returns.
    /// - Throws: `PostgresError` or ``SinkMigrationError``.
    public static func migrate(dsn: String, logger: Logger) throws {
        let connection = try PostgresConnection(dsn: dsn, logger: logger)
        defer { connection.close() }
        let applied = try SinkMigrations.apply(on: connection, logger: logger)
        logger.info("migrations: \(applied.isEmpty ? "up to date" : "applied \(applied)")")
    }

    /// Runs until `shouldStop` returns true, then writes the batch in hand and returns.
    /// - Parameter shouldStop: Polled between messages (about every 100 ms).
    /// - Throws: Errors that retrying cannot fix: a bad Kafka configuration, a fatal consumer
    ///   error, a database that cannot be migrated.
    public func run(shouldStop: @escaping @Sendable () -> Bool) async throws {
        guard
            let connection = try await Self.connect(
                dsn: configuration.postgresDSN,
                logger: logger,
                timeout: configuration.startTimeout,
                shouldStop: shouldStop
            )
        else { return }
        defer { connection.close() }
        var backoff = Backoff()
        while true {
            do {
                let applied = try SinkMigrations.apply(on: connection, logger: logger)
                if !applied.isEmpty { logger.info("applied migrations \(applied)") }
                break
            } catch let error as PostgresError where error.code == .connectionLost || error.code == .connectionFailed {
                logger.warning("PostgreSQL lost while migrating, retrying in \(backoff.current): \(error)")
                await backoff.sleep(shouldStop: shouldStop)
                if shouldStop() { return }
            }
        }
        let registry = try SchemaRegistryClient(url: configuration.registryURL)
        var decoder = PressEventDecoder(registry: registry)
        let consumer = try KafkaConsumer(
            configuration: configuration.kafka,
            groupID: configuration.group,
            topics: [configuration.topic],
            startFrom: .earliest,
            logger: logger
        )
        defer { consumer.close() }
        var store = SinkStore(connection: connection, method: configuration.writeMethod)
        if let timeout = configuration.startTimeout {
            let bootstrap = configuration.kafka["bootstrap.servers"] ?? ""
            store.clusterID = try StartupCheck.kafka(consumer, bootstrap: bootstrap, timeout: timeout)
        } else {
            store.clusterID = consumer.clusterID(timeout: .seconds(10))
        }
        logger.info("Kafka cluster \(store.clusterID ?? "unknown (positions are not checked against it)")")
        var tracker = PositionTracker()
        var batch = SinkBatch(maximum: configuration.batchMax, wait: configuration.batchWait)
        var assigned: Set<KafkaPartition> = []
        var lastAssignmentCheck = ContinuousClock.now - .seconds(10)
        var lastReport = ContinuousClock.now
        logger.info(
            "sink started",
            metadata: ["topic": "\(configuration.topic)", "group": "\(configuration.group)"]
        )

        func resynchronize(_ partitions: [KafkaPartition: Int64]) {
            for (partition, offset) in partitions {
                tracker.reposition(partition, to: offset)
                do {
                    try consumer.seek(partition, to: offset)
                } catch {
                    // Not assigned any more: whoever has it seeks to the stored offset.
                    tracker.forget([partition])
                    logger.info("seek \(partition) to \(offset) failed: \(error)")
                }
            }
        }

        /// Writes the batch; on failure re-reads it (seek back) after a backoff.
        func flush() async {
            guard !batch.isEmpty else { return }
            do {
                let written: SinkStore.Written
                do {
                    written = try store.write(batch)
                } catch let error as PostgresError where SinkStore.isValueError(error) {
                    logger.warning("batch rejected by PostgreSQL, isolating the rows: \(error)")
                    written = try store.write(batch, rowByRow: true)
                }
                rowsWritten += written.rows
                deadLettersWritten += written.deadLetters
                batchesWritten += 1
                if written.duplicates > 0 {
                    logger.warning("\(written.duplicates) rows were already stored (skipped by the unique position)")
                }
                backoff.reset()
                batch.reset()
            } catch let fenced as SinkStore.Fenced {
                logger.info("\(fenced); re-reading from there")
                var positions = batch.ranges.mapValues(\.lowerBound)
                for (partition, offset) in fenced.stored { positions[partition] = offset }
                batch.reset()
                resynchronize(positions)
            } catch {
                logger.warning(
                    "writing a batch of \(batch.count) failed, re-reading it in \(backoff.current): \(error)"
                )
                let positions = batch.ranges.mapValues(\.lowerBound)
                batch.reset()
                await backoff.sleep(shouldStop: { false })
                resynchronize(positions)
            }
        }

        while true {
            let now = ContinuousClock.now
            if shouldStop() {
                await flush()
                break
            }
            if now - lastAssignmentCheck >= .seconds(1) {
                lastAssignmentCheck = now
                if let current = try? Set(consumer.assignment()), current != assigned {
                    // Write what was read before the rebalance first: the stored offsets read
                    // below then cover it, and no partition is sought back past messages that
                    // still wait in the batch (they would be read, and batched, twice).
                    await flush()
                    // Partitions that came back may have been advanced by another sink meanwhile.
                    let added = current.subtracting(assigned)
                    tracker.forget(added)
                    tracker.forget(assigned.subtracting(current))
                    logger.info("assigned partitions: \(current.map(\.description).sorted())")
                    assigned = current
                    // Start the new partitions at their stored offsets now rather than at the
                    // first message (which the group's start position may put far earlier).
                    // When PostgreSQL is away, the first message of each triggers the look-up.
                    if let stored = try? positions(store.storedPositions(Array(added)), store: store) {
                        resynchronize(stored)
                    }
                }
            }
            if now - lastReport >= configuration.lagInterval {
                lastReport = now
                report(consumer: consumer, tracker: tracker, assigned: assigned)
            }
            if batch.isDue(at: now) {
                await flush()
                continue
            }
            let message: KafkaMessage?
            do {
                message = try consumer.poll(timeout: batch.pollTimeout(at: now, limit: .milliseconds(100)))
            } catch {
                logger.warning("Kafka consumer error: \(error)")
                if error.code == .fatal || error.code == .closed { throw error }
                continue
            }
            guard let message else { continue }
            let partition = KafkaPartition(topic: message.topic, partition: message.partition)
            var decision = tracker.decide(partition, offset: message.offset)
            if decision == .lookUp {
                guard let stored = await lookUp(partition, store: store, shouldStop: shouldStop) else { break }
                tracker.load(partition, stored: stored, firstSeen: message.offset)
                if let stored, stored != message.offset {
                    logger.info("\(partition): continuing at the stored offset \(stored)")
                }
                decision = tracker.decide(partition, offset: message.offset)
            }
            if decision == .skip, let position = tracker.position(partition),
                let high = consumer.cachedWatermarks(partition)?.high, high < position
            {
                // Kafka's log ends before our stored position: the log was reset.
                let going = await restartLog(
                    partition,
                    position: position,
                    store: store,
                    tracker: &tracker,
                    consumer: consumer,
                    shouldStop: shouldStop
                )
                if !going { break }
                continue
            }
            switch decision {
            case .skip, .lookUp: continue
            case .seek(let offset):
                do { try consumer.seek(partition, to: offset) } catch { tracker.forget([partition]) }
                continue
            case .accept: break
            }
            do {
                let (event, _) = try await decoder.decode(message.value)
                let row = PressRow(
                    event: event,
                    partition: partition,
                    offset: message.offset,
                    key: message.key,
                    value: message.value
                )
                if let problem = PressRow.problem(with: event) {
                    batch.add(deadLetter(message, partition, problem), at: .now)
                } else {
                    batch.add(row, at: .now)
                }
            } catch let failure as PressEventDecoder.Failure {
                batch.add(deadLetter(message, partition, failure.reason), at: .now)
            } catch {
                // The registry is unreachable: read this message again after a pause.
                logger.warning("cannot fetch a schema, retrying in \(backoff.current): \(error)")
                await flush()
                await backoff.sleep(shouldStop: shouldStop)
                resynchronize([partition: message.offset])
            }
        }
        report(consumer: consumer, tracker: tracker, assigned: assigned)
        logger.info("sink stopped: \(rowsWritten) rows, \(deadLettersWritten) dead letters written")
    }

    /// The stored offsets that belong to the cluster the sink reads. A position stored for
    /// another cluster (the local broker restarted with an empty log, a new cluster) names
    /// messages that do not exist here: its rows' positions are cleared and the partition is
    /// read from the start.
    /// - Throws: `PostgresError`.
    private func positions(
        _ stored: [KafkaPartition: SinkStore.StoredPosition],
        store: SinkStore
    ) throws -> [KafkaPartition: Int64] {
        var positions: [KafkaPartition: Int64] = [:]
        for (partition, position) in stored {
            if let current = store.clusterID, let previous = position.clusterID, previous != current {
                let cleared = try store.forgetLog(of: partition, from: 0)
                logger.warning(
                    "\(partition): the stored position \(position.next) belongs to Kafka cluster \(previous), not \(current): cleared \(cleared) stale positions, reading from the start"
                )
                positions[partition] = 0
            } else {
                positions[partition] = position.next
            }
        }
        return positions
    }

    /// Handles a partition whose log ends before the stored position (the local broker
    /// restarted empty, a topic recreated): confirms it with the broker, clears the stale
    /// positions in PostgreSQL, and reads the partition from its first offset.
    /// - Returns: false when told to stop.
    private func restartLog(
        _ partition: KafkaPartition,
        position: Int64,
        store: SinkStore,
        tracker: inout PositionTracker,
        consumer: KafkaConsumer,
        shouldStop: @Sendable () -> Bool
    ) async -> Bool {
        var backoff = Backoff()
        while !shouldStop() {
            do {
                let marks = try consumer.queryWatermarks(partition, timeout: .seconds(5))
                guard marks.high < position else { return true }
                let cleared = try store.forgetLog(of: partition, from: marks.low)
                logger.warning(
                    "\(partition): the log ends at \(marks.high), before the stored position \(position): it was reset (broker restarted empty?); cleared \(cleared) stale positions, reading from the earliest offset \(marks.low)"
                )
                tracker.reposition(partition, to: marks.low)
                do { try consumer.seek(partition, to: marks.low) } catch { tracker.forget([partition]) }
                return true
            } catch {
                logger.warning("cannot check the log of \(partition), retrying in \(backoff.current): \(error)")
                await backoff.sleep(shouldStop: shouldStop)
            }
        }
        return false
    }

    private func deadLetter(_ message: KafkaMessage, _ partition: KafkaPartition, _ reason: String) -> DeadLetter {
        logger.warning("dead letter \(partition)@\(message.offset): \(reason)")
        return DeadLetter(
            partition: partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            reason: reason
        )
    }

    /// The stored offset of a partition, retrying while PostgreSQL is away.
    /// - Returns: `.some(nil)` when nothing is stored; nil when told to stop.
    private func lookUp(
        _ partition: KafkaPartition,
        store: SinkStore,
        shouldStop: @Sendable () -> Bool
    ) async -> Int64?? {
        var backoff = Backoff()
        while !shouldStop() {
            do {
                return .some(try positions(store.storedPositions([partition]), store: store)[partition])
            } catch {
                logger.warning(
                    "cannot read the stored offset of \(partition), retrying in \(backoff.current): \(error)"
                )
                await backoff.sleep(shouldStop: shouldStop)
            }
        }
        return nil
    }

    private func report(consumer: KafkaConsumer, tracker: PositionTracker, assigned: Set<KafkaPartition>) {
        var positions: [KafkaPartition: Int64] = [:]
        for partition in assigned { positions[partition] = tracker.position(partition) }
        let status = ConsumerStatus(
            consumer: consumer,
            assigned: assigned,
            positions: positions,
            counters: [("rows", rowsWritten), ("dead_letters", deadLettersWritten), ("batches", batchesWritten)]
        )
        logger.info("\(status.logLine)")
        guard let path = configuration.statusFile else { return }
        do {
            try status.write(to: path)
        } catch {
            logger.info("cannot write the status file \(path): \(error)")
        }
    }
}
