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
    private let client: KafkaClient
    private let poller: KafkaPoller
    private let closed = Atomic<Bool>(false)
    /// Sends between their `closed` check and the end of `rd_kafka_produceva`; `close()` waits
    /// for them so that every enqueued message gets its delivery report before destruction.
    private let sendsInProgress = Atomic<Int>(0)
    private let closeResult = Mutex<Bool?>(nil)

    /// Creates the producer. It connects lazily, so a wrong address shows up as failed
    /// deliveries, not here.
    /// - Parameters:
    ///   - configuration: librdkafka properties; at least `bootstrap.servers`.
    ///   - messageTimeout: Sets `message.timeout.ms`: how long librdkafka keeps retrying a message
    ///     before reporting it failed. `nil` keeps the configuration's value (librdkafka's default
    ///     is 300 s).
    ///   - logger: Receives librdkafka's log lines (at info and below).
    /// - Throws: ``KafkaError`` ``KafkaError/Code/configuration`` for an unknown property, an invalid
    ///   value, `enable.idempotence` set to anything but `true`, or unreadable TLS files.
    public init(
        configuration: KafkaConfiguration,
        messageTimeout: Duration? = nil,
        logger: Logger = Logger(label: "kafka.producer")
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
        client = try KafkaClient(type: RD_KAFKA_PRODUCER, conf: conf, logger: logger)
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
            withNonNullBytes(value) { valuePointer, valueCount in
                withNonNullBytes(key ?? []) { keyPointer, keyCount in
                    var fields = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: key == nil ? 4 : 5)
                    fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                    fields[0].u.cstr = topicName
                    fields[1].vtype = RD_KAFKA_VTYPE_VALUE
                    fields[1].u.mem.ptr = valuePointer
                    fields[1].u.mem.size = valueCount
                    fields[2].vtype = RD_KAFKA_VTYPE_OPAQUE
                    fields[2].u.ptr = opaque
                    fields[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    fields[3].u.i = RD_KAFKA_MSG_F_COPY
                    if key != nil {
                        fields[4].vtype = RD_KAFKA_VTYPE_KEY
                        fields[4].u.mem.ptr = keyPointer
                        fields[4].u.mem.size = keyCount
                    }
                    return rd_kafka_produceva(client.handle, fields, fields.count)
                }
            }
        }
    }
}

/// Calls `body` with a pointer that is not NULL even for no bytes: librdkafka treats a NULL
/// value as a tombstone (null), which is not the same as an empty value.
private func withNonNullBytes<R>(
    _ bytes: [UInt8],
    _ body: (UnsafeMutableRawPointer?, Int) -> R
) -> R {
    let storage = bytes.isEmpty ? [0] : bytes
    return storage.withUnsafeBytes { buffer in
        // librdkafka copies the bytes (RD_KAFKA_MSG_F_COPY) and never writes through the pointer.
        body(UnsafeMutableRawPointer(mutating: buffer.baseAddress), bytes.count)
    }
}

/// Delivery reports, called on the thread that polls (the poller, or one inside flush).
private func deliveryReportCallback(
    handle: OpaquePointer?,
    message: UnsafePointer<rd_kafka_message_t>?,
    opaque: UnsafeMutableRawPointer?
) {
    guard let message, let ticketPointer = message.pointee._private else { return }
    // Balances the passRetained in send(): each message has exactly one delivery report.
    let ticket = Unmanaged<DeliveryTicket>.fromOpaque(ticketPointer).takeRetainedValue()
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
