import ButtonEvents
public import ConsumerSupport
import Dispatch
import Foundation
import Geolocation
import Kafka
public import Logging
import Places
import PressPublishing
import SchemaRegistry

#if canImport(Glibc)
import Glibc
#endif

/// One run: connect, generate and send until a limit or a stop, flush, count.
public enum GeneratorRun {
    /// How the run ended.
    public struct Outcome: Sendable {
        public let counts: GeneratorCounts
        /// A stop was asked for (SIGINT, SIGTERM) before the limits were reached.
        public let interrupted: Bool
        /// The first delivery failure, if any.
        public let firstFailure: String?
    }

    /// How long librdkafka keeps retrying one message. Longer than the workers' (they answer a
    /// person within 2 s); a generator can wait for a slow broker.
    static let messageTimeout: Duration = .seconds(30)
    /// How long the final flush may take.
    static let flushTimeout: Duration = .seconds(30)

    /// The session source the configuration asks for (tests call it to predict a run).
    /// - Throws: `GeneratorError` `.places` when the geolocation database or zone table fails.
    public static func makeSource(_ configuration: GeneratorConfiguration) throws(GeneratorError) -> any SessionSource {
        let geolocator: any Geolocator
        do {
            geolocator = try configuration.geolocation.makeGeolocator()
        } catch {
            throw GeneratorError(.places, "cannot open the geolocation database: \(error)")
        }
        switch configuration.mode {
        case .live(let start):
            return LiveSessions(
                geolocator: geolocator,
                maxPresses: configuration.maxPresses,
                seed: configuration.seed,
                start: start
            )
        case .backfill(let days, let until):
            let table: ZoneTable
            do {
                table = try ZoneTable(contentsOf: configuration.zoneTab)
            } catch let error as ZoneTable.ParseError {
                throw GeneratorError(.places, "\(configuration.zoneTab): \(error)")
            } catch {
                throw GeneratorError(.places, "cannot read the zone table \(configuration.zoneTab)")
            }
            return try BackfillStory(
                settings: .init(
                    days: days,
                    until: until,
                    sessions: configuration.sessions ?? 30_000,
                    maxPresses: configuration.maxPresses,
                    seed: configuration.seed
                ),
                geolocator: geolocator,
                places: CountryPlaces(table: table)
            )
        }
    }

    /// Registers the schema and opens the producer, each bounded by `connectTimeout`.
    /// - Returns: the schema id, the producer and the topic handle.
    /// - Throws: `GeneratorError` `.registry` or `.kafka` in one line.
    static func connect(
        _ configuration: GeneratorConfiguration,
        logger: Logger
    ) throws(GeneratorError) -> (Int32, KafkaProducer, KafkaTopic) {
        let seconds = Double(configuration.connectTimeout.components.seconds)
        let client: SchemaRegistryClient
        do {
            client = try SchemaRegistryClient(url: configuration.registryURL, timeout: max(1, seconds - 1))
        } catch {
            throw GeneratorError(.configuration, "\(error)")
        }
        // One line when it fails, not a warning per retry: the generator is a command someone
        // waits for, and its patience is only seconds.
        var quiet = logger
        quiet.logLevel = .error
        let registered = blocking { [quiet] in
            try await PressSchemaRegistration.register(
                client: client,
                patience: configuration.connectTimeout,
                logger: quiet
            )
        }
        let schemaID: Int32
        switch registered {
        case .success(let id): schemaID = id
        case .failure(let error): throw GeneratorError(.registry, "\(error) (\(client))")
        }
        do {
            let producer = try KafkaProducer(
                configuration: configuration.kafka,
                messageTimeout: messageTimeout,
                logger: logger
            )
            let topic = try producer.topic(configuration.topic)
            do {
                _ = try producer.partitionCount(of: topic, timeout: configuration.connectTimeout)
            } catch {
                throw GeneratorError(
                    .kafka,
                    "no answer about topic \(configuration.topic) from the Kafka brokers \(configuration.brokers) "
                        + "within \(configuration.connectTimeout): \(error.message)"
                )
            }
            return (schemaID, producer, topic)
        } catch let error as GeneratorError {
            throw error
        } catch {
            throw GeneratorError(.kafka, "cannot start the Kafka producer: \(error)")
        }
    }

    /// Runs until a limit is reached, the source ends, or `stop` is set; then flushes.
    /// - Throws: `GeneratorError` when something cannot be opened or reached at start.
    public static func run(
        _ configuration: GeneratorConfiguration,
        stop: StopFlag,
        logger: Logger
    ) throws(GeneratorError) -> Outcome {
        var source = try makeSource(configuration)
        let (schemaID, producer, topic) = try connect(configuration, logger: logger)
        let counter = KafkaDeliveryCounter()
        var framer = EventFramer(schemaID: schemaID)
        var pacer = configuration.rate.map { Pacer(rate: $0) }
        var progress = ProgressReporter(style: configuration.progress)
        var counts = GeneratorCounts()
        let started = Pacer.monotonicNanoseconds()
        let durationSeconds = configuration.duration.map {
            Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18
        }
        var limitReached = false
        func refresh() {
            counts.elapsed = Double(Pacer.monotonicNanoseconds() - started) / 1e9
            counts.acknowledged = counter.delivered
            counts.failed = counter.failed
            var fractions: [Double] = []
            if let total = configuration.count { fractions.append(Double(counts.sent) / Double(total)) }
            if let total = configuration.sessions, case .live = configuration.mode {
                fractions.append(Double(counts.sessions) / Double(total))
            }
            if let durationSeconds { fractions.append(counts.elapsed / durationSeconds) }
            if let story = source.progress { fractions.append(story) }
            counts.fraction = fractions.max()
        }

        sessions: while !stop.isSet {
            if case .live = configuration.mode, let total = configuration.sessions, counts.sessions >= total {
                limitReached = true
                break
            }
            guard let session = source.nextSession(now: wallClockMicroseconds()) else {
                limitReached = true
                break
            }
            framer.begin(session)
            counts.sessions += 1
            for index in 0..<session.count {
                if let total = configuration.count, counts.sent >= total {
                    limitReached = true
                    break sessions
                }
                if stop.isSet { break sessions }
                pacer?.waitForNext { stop.isSet }
                if stop.isSet { break sessions }
                framer.write(timestamp: session.timestamps[index], action: session.action(at: index))
                guard send(framer, producer: producer, topic: topic, counter: counter, stop: stop) else {
                    break sessions
                }
                counts.sent += 1
                if counts.sent & 255 == 0 || pacer != nil {
                    refresh()
                    progress.update(counts)
                    if let durationSeconds, counts.elapsed >= durationSeconds {
                        limitReached = true
                        break sessions
                    }
                }
            }
        }
        if !producer.flush(timeout: flushTimeout) {
            logger.warning("not every event was acknowledged within \(flushTimeout)")
        }
        producer.close(timeout: .seconds(5))
        refresh()
        if limitReached && counts.failed == 0 { counts.fraction = 1 }
        progress.update(counts)
        progress.finish()
        return Outcome(
            counts: counts,
            interrupted: stop.isSet && !limitReached,
            firstFailure: counter.firstError.map { $0.message }
        )
    }

    /// Sends the framer's message, waiting while librdkafka's queue is full.
    /// - Returns: false when the message was not taken (stop asked while waiting, or closed).
    private static func send(
        _ framer: EventFramer,
        producer: KafkaProducer,
        topic: KafkaTopic,
        counter: KafkaDeliveryCounter,
        stop: StopFlag
    ) -> Bool {
        while true {
            do {
                try framer.key.withUnsafeBytes { key in
                    try framer.buffer.withUnsafeBytes { value in
                        try producer.send(to: topic, key: key, value: value, counter: counter)
                    }
                }
                return true
            } catch let error as KafkaError where error.code == .queueFull {
                if stop.isSet { return false }
                // The broker is behind: give the delivery reports a moment to drain the queue.
                Pacer.sleep(nanoseconds: 500_000)
            } catch {
                return false
            }
        }
    }

    static func wallClockMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec / 1000)
    }

    /// Runs async work from a plain thread and waits for it.
    static func blocking<T: Sendable>(
        _ body: @escaping @Sendable () async throws -> T
    ) -> Result<T, any Error> {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return box.get() ?? .failure(GeneratorError(.configuration, "no result"))
    }
}

/// Hands a result from a task to the waiting thread; the semaphore orders the accesses.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private var value: Result<T, any Error>?
    func set(_ result: Result<T, any Error>) { value = result }
    func get() -> Result<T, any Error>? { value }
}
