import ButtonEvents
import ConsumerSupport
import Foundation
import Kafka
public import Logging
public import Places
import SchemaRegistry

/// The enricher: reads `button_presses` as a member of a consumer group and writes each
/// event, enriched with its place and local time, as one JSON object to
/// `button_presses_enriched` (see ``EnrichedEvent``); messages that are not events become
/// JSON records on the dead-letter topic.
///
/// Exactly once downstream without Kafka transactions: every output carries its source
/// partition and offset, the consumer commits a source offset only after the outputs of it
/// and of everything before it in its partition were acknowledged (at-least-once), and the
/// ClickHouse table collapses the duplicates a crash or a rebalance can cause on the source
/// position. A failed delivery is read and produced again; nothing is dropped silently.
public final class PressEnricher {
    let configuration: EnricherConfiguration
    let logger: Logger
    /// Counters since start: outputs acknowledged by the broker.
    public private(set) var enriched = 0
    public private(set) var deadLetters = 0
    /// Deliveries that failed and whose partitions were read again.
    public private(set) var deliveryFailures = 0

    /// - Parameters:
    ///   - configuration: The settings.
    ///   - logger: Start, stop, lag, failures and dead letters.
    public init(configuration: EnricherConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Loads zone.tab into places, logging what the log reader should know about the data.
    /// - Throws: When the file is missing or does not parse.
    public static func loadPlaces(path: String, logger: Logger) throws -> CountryPlaces {
        let table = try ZoneTable(contentsOf: path)
        let unlisted = CountryPlaces.unlistedMultiZoneCountries(in: table)
        if !unlisted.isEmpty {
            logger.warning(
                "zone.tab lists several zones for \(unlisted) without a chosen main zone: using their first rows"
            )
        }
        let system =
            (try? String(contentsOfFile: "/usr/share/zoneinfo/tzdata.zi", encoding: .utf8))
            .flatMap { $0.split(separator: "\n").first }
            .map { String($0.dropFirst("# version ".count)) } ?? "unknown"
        let foundation = LocalClock.foundationDataVersion
        let message = "zone.tab: \(table.rows.count) zones; tzdata \(system), Foundation's zone rules \(foundation)"
        if system != foundation && system != "unknown" {
            logger.warning("\(message): local hours follow Foundation's rules")
        } else {
            logger.info("\(message)")
        }
        return CountryPlaces(table: table)
    }

    /// Runs until `shouldStop` returns true, then waits for every produced message's
    /// acknowledgement, commits, and returns.
    /// - Parameter shouldStop: Polled between messages (about every 100 ms).
    /// - Throws: Errors that retrying cannot fix: zone.tab missing, a bad Kafka
    ///   configuration, a fatal consumer or producer error.
    public func run(shouldStop: @escaping @Sendable () -> Bool) async throws {
        var enricher = EventEnricher(places: try Self.loadPlaces(path: configuration.zoneTab, logger: logger))
        let registry = try SchemaRegistryClient(url: configuration.registryURL)
        var decoder = PressEventDecoder(registry: registry)
        let producer = try KafkaProducer(
            configuration: configuration.producerKafka,
            messageTimeout: configuration.deliveryTimeout,
            logger: logger
        )
        defer { producer.close(timeout: .seconds(10)) }
        let consumer = try KafkaConsumer(
            configuration: configuration.kafka,
            groupID: configuration.group,
            topics: [configuration.sourceTopic],
            startFrom: .earliest,
            logger: logger
        )
        defer { consumer.close() }
        if let timeout = configuration.startTimeout {
            let bootstrap = configuration.kafka["bootstrap.servers"] ?? ""
            _ = try StartupCheck.kafka(consumer, bootstrap: bootstrap, timeout: timeout)
        }
        var loop = Loop(consumer: consumer, producer: producer)
        logger.info(
            "enricher started",
            metadata: [
                "source": "\(configuration.sourceTopic)", "target": "\(configuration.targetTopic)",
                "dead_letters": "\(configuration.deadLetterTopic)", "group": "\(configuration.group)",
            ]
        )
        var backoff = Backoff()
        var lastAssignmentCheck = ContinuousClock.now - .seconds(10)
        var lastCommit = ContinuousClock.now
        var lastReport = ContinuousClock.now

        while !shouldStop() {
            let now = ContinuousClock.now
            if now - lastAssignmentCheck >= .seconds(1) {
                lastAssignmentCheck = now
                checkAssignment(&loop)
            }
            if now - lastCommit >= configuration.commitInterval {
                lastCommit = now
                settleAndCommit(&loop)
            }
            if now - lastReport >= configuration.lagInterval {
                lastReport = now
                report(loop)
            }
            if loop.pending.count >= configuration.maxInFlight, let oldest = loop.pending.oldest {
                _ = oldest.wait(timeout: .seconds(1))
                settleAndCommit(&loop)
                continue
            }
            let message: KafkaMessage?
            do {
                message = try consumer.poll(timeout: .milliseconds(100))
            } catch {
                if error.code == .fatal || error.code == .closed { throw error }
                if error.librdkafkaName == "_AUTO_OFFSET_RESET" {
                    logger.warning("offset out of range, reading from the earliest offset: \(error)")
                } else {
                    logger.warning("Kafka consumer error: \(error)")
                }
                continue
            }
            guard let message else { continue }
            let partition = KafkaPartition(topic: message.topic, partition: message.partition)
            if let expected = loop.next[partition], message.offset < expected {
                noteWentBack(partition, from: expected, to: message.offset, consumer: consumer)
            } else if let expected = loop.next[partition], message.offset > expected {
                // Out of range below the log's start (retention removed messages before they
                // were read, librdkafka went on from the earliest offset still there), or a
                // rebalance handed back a partition another member had read further.
                logger.warning(
                    "\(partition): skipped from \(expected) to \(message.offset) (removed by retention before they were read, or read by another member)"
                )
            }
            loop.next[partition] = message.offset + 1

            let output: (topic: String, key: [UInt8]?, value: [UInt8], kind: PendingDeliveries<KafkaDelivery>.Kind)
            do {
                let (event, _) = try await decoder.decode(message.value)
                let enrichedEvent = enricher.enrich(event, source: partition, offset: message.offset)
                output = (configuration.targetTopic, enrichedEvent.key, try enricher.json(enrichedEvent), .enriched)
                backoff.reset()
            } catch let failure as PressEventDecoder.Failure {
                logger.warning("dead letter \(partition)@\(message.offset): \(failure.reason)")
                let record = DeadLetterRecord(message: message, reason: failure.reason)
                output = (configuration.deadLetterTopic, message.key, try enricher.json(record), .deadLetter)
            } catch is EncodingError {
                // Not reachable for these field types; never drop: a dead letter says so.
                let record = DeadLetterRecord(message: message, reason: "the enriched event does not encode as JSON")
                output = (configuration.deadLetterTopic, message.key, try enricher.json(record), .deadLetter)
            } catch {
                // The registry is unreachable: read this message again after a pause.
                logger.warning("cannot fetch a schema, retrying in \(backoff.current): \(error)")
                await backoff.sleep(shouldStop: shouldStop)
                seek(&loop, partition, to: message.offset)
                continue
            }
            guard let delivery = await send(output, producer: producer, loop: &loop, shouldStop: shouldStop) else {
                // Told to stop while the local queue was full: this message is not committed.
                break
            }
            loop.pending.append(partition, offset: message.offset, ticket: delivery, kind: output.kind)
        }

        // Stop: every produced message gets its acknowledgement (or fails), then the
        // acknowledged positions are committed.
        let flushed = producer.flush(timeout: configuration.deliveryTimeout + .seconds(5))
        settleAndCommit(&loop)
        report(loop)
        logger.info(
            "enricher stopped: \(enriched) enriched, \(deadLetters) dead letters, \(loop.pending.count) not acknowledged\(flushed ? "" : " (flush timed out)")"
        )
    }

    /// The consumer loop's state.
    struct Loop {
        let consumer: KafkaConsumer
        let producer: KafkaProducer
        var pending = PendingDeliveries<KafkaDelivery>()
        /// The next offset to read per partition, for the lag and to notice a reset log.
        var next: [KafkaPartition: Int64] = [:]
        var assigned: Set<KafkaPartition> = []
        var committed: [KafkaPartition: Int64] = [:]
        /// The group's committed offset of each partition when it was assigned: where reading
        /// starts, so the lag of a partition with nothing new to read is 0, not its whole log.
        var startedAt: [KafkaPartition: Int64] = [:]
    }

    /// Hands one output to the producer, waiting while its local queue is full.
    /// - Returns: nil when told to stop first.
    private func send(
        _ output: (topic: String, key: [UInt8]?, value: [UInt8], kind: PendingDeliveries<KafkaDelivery>.Kind),
        producer: KafkaProducer,
        loop: inout Loop,
        shouldStop: @Sendable () -> Bool
    ) async -> KafkaDelivery? {
        var backoff = Backoff()
        while true {
            do {
                return try producer.send(topic: output.topic, key: output.key, value: output.value)
            } catch {
                if error.code == .queueFull {
                    _ = producer.flush(timeout: .milliseconds(100))
                    settleAndCommit(&loop)
                } else {
                    logger.warning("cannot produce to \(output.topic), retrying in \(backoff.current): \(error)")
                    await backoff.sleep(shouldStop: shouldStop)
                }
                if shouldStop() { return nil }
            }
        }
    }

    private func seek(_ loop: inout Loop, _ partition: KafkaPartition, to offset: Int64) {
        do {
            try loop.consumer.seek(partition, to: offset)
            loop.next[partition] = offset
        } catch {
            // Not assigned any more: its new owner reads it from the last commit.
            logger.info("seek \(partition) to \(offset) failed: \(error)")
            loop.next[partition] = nil
        }
    }

    /// A partition handed over from an earlier offset than expected: a rebalance gave it
    /// back from its last commit, or the log was reset (the local broker restarted empty,
    /// a topic recreated) and librdkafka went back to the earliest offset.
    private func noteWentBack(
        _ partition: KafkaPartition,
        from expected: Int64,
        to offset: Int64,
        consumer: KafkaConsumer
    ) {
        if let high = consumer.cachedWatermarks(partition)?.high, high < expected {
            logger.warning(
                "\(partition): the log ends at \(high), before our position \(expected): it was reset (offset out of range; broker restarted empty?); reading from the earliest offset \(offset)"
            )
        } else {
            logger.info(
                "\(partition): reading again from \(offset) (was at \(expected)); duplicates collapse downstream"
            )
        }
    }

    private func checkAssignment(_ loop: inout Loop) {
        guard let current = try? Set(loop.consumer.assignment()), current != loop.assigned else { return }
        let removed = loop.assigned.subtracting(current)
        // Revoked partitions: their outputs still arrive, but commits for them would fail;
        // the new owner reads them from the last commit.
        loop.pending.drop(removed)
        for partition in removed {
            loop.next[partition] = nil
            loop.committed[partition] = nil
            loop.startedAt[partition] = nil
        }
        let added = current.subtracting(loop.assigned)
        for partition in added { loop.next[partition] = nil }
        do {
            loop.startedAt.merge(try loop.consumer.committed(Array(added), timeout: .seconds(2))) { $1 }
        } catch {
            logger.info(
                "cannot read the committed offsets (the lag counts the whole log until a message is read): \(error)"
            )
        }
        logger.info("assigned partitions: \(current.map(\.description).sorted())")
        loop.assigned = current
    }

    /// Takes the acknowledged outputs off the pending list, re-reads partitions whose
    /// delivery failed, and commits the acknowledged positions.
    private func settleAndCommit(_ loop: inout Loop) {
        let settled = loop.pending.settle { $0.currentResult }
        enriched += settled.enriched
        deadLetters += settled.deadLetters
        for (partition, failure) in settled.failed.sorted(by: { $0.key.partition < $1.key.partition }) {
            deliveryFailures += 1
            logger.warning(
                "\(partition)@\(failure.offset): delivery failed, reading again from there: \(failure.error)"
            )
            seek(&loop, partition, to: failure.offset)
        }
        let changed = settled.committable.filter { loop.committed[$0.key] != $0.value }
        guard !changed.isEmpty else { return }
        do {
            try loop.consumer.commit(changed)
            loop.committed.merge(changed) { $1 }
        } catch {
            // A rebalance took the partition: its new owner reads from the last commit.
            logger.info("commit of \(changed.count) partitions failed: \(error)")
        }
    }

    private func report(_ loop: Loop) {
        let status = ConsumerStatus(
            consumer: loop.consumer,
            assigned: loop.assigned,
            positions: loop.startedAt.merging(loop.next) { $1 },
            counters: [
                ("enriched", enriched), ("dead_letters", deadLetters), ("in_flight", loop.pending.count),
                ("delivery_failures", deliveryFailures),
            ]
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
