internal import CRdKafka
internal import Foundation
public import Logging
internal import Synchronization

/// An idempotent Kafka producer that tells each caller when its message was acknowledged.
///
/// Always `enable.idempotence=true` (hence `acks=all`, ordered retries without duplicates);
/// `linger.ms` defaults to 0 because every request waits for its own delivery report, so batching
/// delay would be paid by every request. One background thread serves librdkafka's delivery
/// reports.
///
/// ```swift
/// let producer = try KafkaProducer(configuration: config, messageTimeout: .seconds(5))
/// let delivery = try producer.send(topic: "button_presses", key: Array(session.utf8), value: body)
/// switch delivery.wait(timeout: .seconds(6)) { … }
/// ```
///
/// Thread-safe: any number of threads may call ``send(topic:key:value:)`` and wait concurrently.
///
/// `Sendable` without `@unchecked`: the librdkafka handle lives in `KafkaClient`, whose
/// `@unchecked Sendable` rests on librdkafka handles being thread-safe; this class's own state is
/// atomics and a `Mutex`.
public final class KafkaProducer: Sendable {
    let client: KafkaClient
    private let poller: KafkaPoller
    let closed = Atomic<Bool>(false)
    /// Sends between their `closed` check and the end of `rd_kafka_produceva`; `close()` waits
    /// for them so that every enqueued message gets its delivery report before destruction.
    let sendsInProgress = Atomic<Int>(0)
    private let closeResult = Mutex<Bool?>(nil)

    /// Creates the producer. It connects lazily, so a wrong address shows up as failed
    /// deliveries, not here.
    /// - Parameters:
    ///   - configuration: librdkafka properties; at least `bootstrap.servers`.
    ///   - messageTimeout: Sets `message.timeout.ms`: how long librdkafka keeps retrying a message
    ///     before reporting it failed. `nil` keeps the configuration's value (librdkafka's default
    ///     is 300 s).
    ///   - logger: Receives librdkafka's log lines (at info and below).
    ///   - statistics: Receives librdkafka's statistics JSON every `statistics.interval.ms`
    ///     (a property of `configuration`; librdkafka sends none when it is 0, its default),
    ///     on the producer's poll thread.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/configuration`` for an unknown property, an invalid
    ///   value, `enable.idempotence` set to anything but `true`, or unreadable TLS files.
    public init(
        configuration: KafkaConfiguration,
        messageTimeout: Duration? = nil,
        logger: Logger = Logger(label: "kafka.producer"),
        statistics: (@Sendable ([UInt8]) -> Void)? = nil
    ) throws(KafkaError) {
        if let idempotence = configuration["enable.idempotence"], idempotence != "true" {
            throw KafkaError(
                code: .configuration,
                message: "KafkaProducer always uses enable.idempotence=true; remove \"enable.idempotence\""
            )
        }
        var overrides = ["enable.idempotence": "true"]
        if configuration["linger.ms"] == nil && configuration["queue.buffering.max.ms"] == nil {
            overrides["linger.ms"] = "0"
        }
        if let messageTimeout {
            overrides["message.timeout.ms"] = String(max(1, messageTimeout.kafkaMilliseconds))
        }
        let conf = try configuration.makeNativeConfiguration(overrides: overrides)
        rd_kafka_conf_set_dr_msg_cb(conf, deliveryReportCallback)
        client = try KafkaClient(type: RD_KAFKA_PRODUCER, conf: conf, logger: logger, statistics: statistics)
        poller = KafkaPoller(client: client, name: "kafka-producer-poll")
    }

    deinit {
        _ = close()
    }

    /// Enqueues a message and returns at once; the returned ticket tells when the broker
    /// acknowledged it.
    /// - Parameters:
    ///   - topic: The topic.
    ///   - key: The key, which picks the partition (same key, same partition); `nil` for none.
    ///   - value: The value (copied; may be empty).
    /// - Returns: The delivery ticket.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/queueFull`` when the local queue is full (never
    ///   blocks), ``KafkaError/Code/closed`` after ``close(timeout:)``, ``KafkaError/Code/fatal`` when
    ///   the producer must be recreated.
    public func send(topic: String, key: [UInt8]?, value: [UInt8]) throws(KafkaError) -> KafkaDelivery {
        sendsInProgress.add(1, ordering: .sequentiallyConsistent)
        defer { sendsInProgress.subtract(1, ordering: .sequentiallyConsistent) }
        guard !closed.load(ordering: .sequentiallyConsistent) else {
            throw KafkaError(code: .closed, message: "the producer is closed")
        }
        let ticket = DeliveryTicket()
        let opaque = Unmanaged.passRetained(ticket).toOpaque()
        let error = produce(topic: topic, key: key, value: value, opaque: opaque)
        if let error {
            // librdkafka did not take the message, so no delivery report will release the ticket.
            Unmanaged<DeliveryTicket>.fromOpaque(opaque).release()
            throw KafkaError.consuming(error, "cannot enqueue a message for topic \(topic)", fallback: .deliveryFailed)
        }
        return KafkaDelivery(ticket: ticket)
    }

    /// A handle for producing to `name` without looking the topic up by name per message.
    /// - Parameter name: The topic.
    /// - Returns: A handle that keeps this producer's client alive.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/configuration`` when librdkafka refuses the name.
    public func topic(_ name: String) throws(KafkaError) -> KafkaTopic {
        guard let handle = rd_kafka_topic_new(client.handle, name, nil) else {
            throw KafkaError.librdkafka(rd_kafka_last_error(), "cannot open topic \(name)", fallback: .configuration)
        }
        return KafkaTopic(name: name, handle: handle, client: client)
    }

    /// Sends one message and blocks the calling thread until the broker acknowledged it, it
    /// failed, or `timeout` passed: the press path's one call.
    ///
    /// Cheaper than ``send(topic:key:value:)`` followed by a wait: each thread reuses one
    /// waiter (no ticket, mutex or condition per message), the topic is a handle, librdkafka
    /// copies key and value straight from the caller's buffers, and the deadline is
    /// monotonic. A message whose wait timed out may still be delivered later.
    /// - Parameters:
    ///   - topic: A handle from ``topic(_:)`` of this producer.
    ///   - key: The key bytes, or nil for none.
    ///   - value: The value bytes (may be empty).
    ///   - timeout: How long to wait for the acknowledgement.
    /// - Returns: The delivery result: ``KafkaDeliveryResult/failed(_:)`` also when librdkafka
    ///   would not take the message (queue full, closed, fatal), ``KafkaDeliveryResult/timedOut``
    ///   when no report came in time.
    public func sendAndWait(
        to topic: KafkaTopic,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer,
        timeout: Duration
    ) -> KafkaDeliveryResult {
        let deadline = DeliveryWaiter.deadline(after: timeout)
        let waiter = DeliveryWaiter.current
        sendsInProgress.add(1, ordering: .sequentiallyConsistent)
        guard !closed.load(ordering: .sequentiallyConsistent) else {
            sendsInProgress.subtract(1, ordering: .sequentiallyConsistent)
            return .failed(KafkaError(code: .closed, message: "the producer is closed"))
        }
        let opaque = Unmanaged<DeliveryReceiver>.passRetained(waiter).toOpaque()
        let error = produce(.handle(topic.handle), key: key, value: value, opaque: opaque)
        sendsInProgress.subtract(1, ordering: .sequentiallyConsistent)
        if let error {
            // Not taken: no delivery report will release the waiter's extra reference.
            Unmanaged<DeliveryReceiver>.fromOpaque(opaque).release()
            return .failed(
                KafkaError.consuming(
                    error,
                    "cannot enqueue a message for topic \(topic.name)",
                    fallback: .deliveryFailed
                )
            )
        }
        if let result = waiter.take(until: deadline) { return result }
        // The message is still in flight with this waiter as its opaque: its late report
        // must not be read as the next message's, so this thread takes a fresh waiter.
        DeliveryWaiter.replaceCurrent()
        return .timedOut
    }

    /// Waits until every enqueued message has its delivery report.
    /// - Parameter timeout: How long to wait at most.
    /// - Returns: `true` when nothing is left outstanding.
    public func flush(timeout: Duration) -> Bool {
        rd_kafka_flush(client.handle, timeout.kafkaMilliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Stops accepting messages, flushes, and fails whatever is still outstanding afterwards
    /// (those tickets get ``KafkaError/Code/closed``). Idempotent; `deinit` calls it too.
    /// - Parameter timeout: How long to wait for outstanding deliveries.
    /// - Returns: `true` when every message was delivered or failed on its own before the timeout.
    @discardableResult
    public func close(timeout: Duration = .seconds(10)) -> Bool {
        closeResult.withLock { result in
            if let result { return result }
            closed.store(true, ordering: .sequentiallyConsistent)
            while sendsInProgress.load(ordering: .sequentiallyConsistent) > 0 {
                sched_yield()
            }
            let flushed = flush(timeout: timeout)
            if !flushed {
                rd_kafka_purge(client.handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
                // Serve the purged messages' reports so every ticket is completed and released.
                _ = rd_kafka_flush(client.handle, 5000)
                client.logger.info(
                    "Kafka producer closed with undelivered messages",
                    metadata: [KafkaLogKey.client: "\(client.name)"]
                )
            }
            poller.stop()
            result = flushed
            return flushed
        }
    }

    private func produce(
        topic: String,
        key: [UInt8]?,
        value: [UInt8],
        opaque: UnsafeMutableRawPointer
    ) -> OpaquePointer? {
        topic.withCString { topicName in
            value.withUnsafeBytes { valueBytes in
                if let key {
                    return key.withUnsafeBytes { keyBytes in
                        produce(.name(topicName), key: keyBytes, value: valueBytes, opaque: opaque)
                    }
                }
                return produce(.name(topicName), key: nil, value: valueBytes, opaque: opaque)
            }
        }
    }

    enum TopicReference {
        case name(UnsafePointer<CChar>)
        case handle(OpaquePointer)
    }

    /// One `rd_kafka_produceva` call; librdkafka copies key and value (`RD_KAFKA_MSG_F_COPY`).
    /// The field list lives on the stack: no allocation per message.
    func produce(
        _ topic: TopicReference,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer,
        opaque: UnsafeMutableRawPointer
    ) -> OpaquePointer? {
        withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 5) { fields in
            var count = 0
            func add(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t) -> Void) {
                var field = rd_kafka_vu_t()
                field.vtype = type
                set(&field)
                fields.initializeElement(at: count, to: field)
                count += 1
            }
            func add(_ type: rd_kafka_vtype_t, bytes: UnsafeRawBufferPointer) {
                add(type) {
                    $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(emptyBytes))
                    $0.u.mem.size = bytes.count
                }
            }
            switch topic {
            case .name(let name): add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = name }
            case .handle(let handle): add(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = handle }
            }
            add(RD_KAFKA_VTYPE_VALUE, bytes: value)
            add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque }
            add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
            if let key { add(RD_KAFKA_VTYPE_KEY, bytes: key) }
            let error = rd_kafka_produceva(client.handle, fields.baseAddress, count)
            fields.baseAddress?.deinitialize(count: count)
            return error
        }
    }
}

/// Where empty keys and values point: librdkafka treats a NULL value as a tombstone (null),
/// which is not the same as an empty value. Never written, never read (length 0); allocated
/// once for the process. `nonisolated(unsafe)`: nothing ever writes through it, so threads
/// share it safely.
nonisolated(unsafe) private let emptyBytes = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

/// Delivery reports, called on the thread that polls (the poller, or one inside flush).
private func deliveryReportCallback(
    handle: OpaquePointer?,
    message: UnsafePointer<rd_kafka_message_t>?,
    opaque: UnsafeMutableRawPointer?
) {
    guard let message, let ticketPointer = message.pointee._private else { return }
    // Balances the passRetained in send()/sendAndWait(): each message has exactly one report.
    let ticket = Unmanaged<DeliveryReceiver>.fromOpaque(ticketPointer).takeRetainedValue()
    let report = message.pointee
    if report.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        ticket.complete(.delivered(partition: report.partition, offset: report.offset))
    } else {
        let topic = report.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        ticket.complete(
            .failed(.librdkafka(report.err, "delivery to topic \(topic) failed", fallback: .deliveryFailed))
        )
    }
}

/// A topic of one producer, opened once (`rd_kafka_topic_t`), for
/// ``KafkaProducer/sendAndWait(to:key:value:timeout:)``.
///
/// `@unchecked Sendable`: librdkafka topic handles are thread-safe; the class only holds
/// immutable references.
public final class KafkaTopic: @unchecked Sendable {
    /// The topic's name.
    public let name: String
    let handle: OpaquePointer
    /// Keeps the `rd_kafka_t` alive while the topic handle exists.
    private let client: KafkaClient

    init(name: String, handle: OpaquePointer, client: KafkaClient) {
        self.name = name
        self.handle = handle
        self.client = client
    }

    deinit {
        rd_kafka_topic_destroy(handle)
    }
}
