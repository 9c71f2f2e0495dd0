public import ButtonEvents
public import Foundation
public import Kafka
public import Logging
import SchemaRegistry

/// The newest events of the press topic, kept in memory for every viewer of this process.
///
/// One Kafka consumer per worker process, whatever the number of viewers: it joins a group
/// of its own (named after the host and process), starts at the end of the topic, never
/// commits, and keeps the last `capacity` events in a ring. A viewer's request reads the
/// ring; it never touches Kafka.
public final class LiveTail: @unchecked Sendable {
    private let consumer: KafkaConsumer
    private let registryURL: String
    private let capacity: Int
    private let logger: Logger
    private let lock = NSLock()
    private var ring: [PressEvent] = []
    private var newestMessageTime: Date?
    private var stopped = false

    /// - Parameters:
    ///   - configuration: librdkafka properties.
    ///   - topic: the press topic.
    ///   - registryURL: the schema registry, to decode events by their writer schema.
    ///   - capacity: events kept.
    ///   - logger: decoding problems and consumer errors.
    public init(
        configuration: KafkaConfiguration,
        topic: String,
        registryURL: String,
        capacity: Int,
        logger: Logger
    ) throws {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var configuration = configuration
        // A tail that is gone leaves its group quickly, and an idle fetch returns soon.
        if configuration["session.timeout.ms"] == nil { configuration["session.timeout.ms"] = "6000" }
        if configuration["fetch.wait.max.ms"] == nil { configuration["fetch.wait.max.ms"] = "100" }
        consumer = try KafkaConsumer(
            configuration: configuration,
            groupID: "button-stats-tail-\(hostName)-\(getpid())",
            topics: [topic],
            startFrom: .latest,
            logger: logger
        )
        self.registryURL = registryURL
        self.capacity = capacity
        self.logger = logger
    }

    /// Reads the topic until `stop()`, on a task of its own.
    public func start() {
        let registryURL = registryURL
        Task.detached { [self] in
            guard let registry = try? SchemaRegistryClient(url: registryURL) else {
                logger.error("live tail: bad SCHEMA_REGISTRY_URL")
                return
            }
            var decoder = PressEventDecoder(registry: registry)
            // Messages are kept as they arrive and decoded only when the topic is drained or
            // every 100 ms, and then only the newest `capacity`: at thousands of presses a
            // second the tail decodes what viewers can see, not every event.
            var pending: [KafkaMessage] = []
            var lastDecode = ContinuousClock.now
            while !isStopped {
                let message: KafkaMessage?
                do {
                    message = try consumer.poll(timeout: .milliseconds(100))
                } catch {
                    logger.warning("live tail: \(error)")
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                if let message {
                    pending.append(message)
                    if pending.count > 2 * capacity { pending.removeFirst(pending.count - capacity) }
                }
                guard !pending.isEmpty, message == nil || lastDecode.duration(to: .now) > .milliseconds(100) else {
                    continue
                }
                for message in pending.suffix(capacity) {
                    do {
                        let (event, _) = try await decoder.decode(message.value)
                        append(event, at: message.timestamp.map { Date(timeIntervalSince1970: Double($0) / 1000) })
                    } catch {
                        logger.debug("live tail: an event it cannot decode: \(error)")
                    }
                }
                pending.removeAll(keepingCapacity: true)
                lastDecode = .now
            }
            consumer.close()
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    /// Stops reading and leaves the group.
    public func stop() { lock.withLock { stopped = true } }

    func append(_ event: PressEvent, at time: Date?) {
        lock.withLock {
            ring.append(event)
            if ring.count > capacity { ring.removeFirst(ring.count - capacity) }
            if let time { newestMessageTime = max(newestMessageTime ?? time, time) }
        }
    }

    /// The newest events, newest first.
    /// - Parameters: `includeBots`: events marked `is_bot` too.
    public func latest(count: Int, includeFake: Bool, includeBots: Bool = false) -> [PressEvent] {
        lock.withLock {
            Array(
                ring.reversed().lazy.filter { (includeFake || $0.cohort != nil) && (includeBots || !$0.isBot) }
                    .prefix(count)
            )
        }
    }

    /// Kafka's side of the health panel: the sum of the partitions' newest offsets (every
    /// event the topic ever took) and the time of the newest event this tail has seen.
    public func health(timeout: Duration) throws -> (events: Int64, newest: Date?) {
        let partitions = try consumer.assignment()
        guard !partitions.isEmpty else {
            throw StoreError(.unavailable, store: .kafka, "the live tail has no partitions yet")
        }
        var total: Int64 = 0
        for partition in partitions {
            total += try consumer.queryWatermarks(partition, timeout: timeout).high
        }
        return (total, lock.withLock { newestMessageTime })
    }
}
