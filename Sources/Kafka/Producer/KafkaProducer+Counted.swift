internal import CRdKafka
internal import Synchronization

/// Counts the delivery reports of messages sent with
/// ``KafkaProducer/send(to:key:value:counter:)``: one object for any number of messages.
///
/// For producers that stream (the generator) rather than wait per message: a ticket per
/// message (a fresh object with a mutex and a condition) costs more than encoding the event.
public final class KafkaDeliveryCounter: Sendable {
    let receiver = CountingReceiver()

    public init() {}

    /// Messages the broker acknowledged.
    public var delivered: Int { receiver.delivered.load(ordering: .relaxed) }
    /// Messages that failed (timed out, refused, purged at close).
    public var failed: Int { receiver.failed.load(ordering: .relaxed) }
    /// The first failure's error, for the summary; nil while none failed.
    public var firstError: KafkaError? { receiver.firstError.withLock { $0 } }
}

/// The receiver behind ``KafkaDeliveryCounter``; the report callback releases one reference
/// per message as for any receiver.
final class CountingReceiver: DeliveryReceiver, @unchecked Sendable {
    let delivered = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let firstError = Mutex<KafkaError?>(nil)

    override func complete(_ result: KafkaDeliveryResult) {
        switch result {
        case .delivered:
            delivered.add(1, ordering: .relaxed)
        case .failed(let error):
            failed.add(1, ordering: .relaxed)
            firstError.withLock { if $0 == nil { $0 = error } }
        case .timedOut:
            failed.add(1, ordering: .relaxed)
        }
    }
}

extension KafkaProducer {
    /// Enqueues a message whose delivery report only updates `counter`; returns at once.
    /// - Parameters:
    ///   - topic: A handle from ``topic(_:)`` of this producer.
    ///   - key: The key bytes, or nil for none.
    ///   - value: The value bytes (copied by librdkafka).
    ///   - counter: Counts the report when it comes.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/queueFull`` when the local queue is full (wait
    ///   for reports and send again), ``KafkaError/Code/closed`` after ``close(timeout:)``.
    public func send(
        to topic: KafkaTopic,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer,
        counter: KafkaDeliveryCounter
    ) throws(KafkaError) {
        sendsInProgress.add(1, ordering: .sequentiallyConsistent)
        defer { sendsInProgress.subtract(1, ordering: .sequentiallyConsistent) }
        guard !closed.load(ordering: .sequentiallyConsistent) else {
            throw KafkaError(code: .closed, message: "the producer is closed")
        }
        let opaque = Unmanaged<DeliveryReceiver>.passRetained(counter.receiver).toOpaque()
        if let error = produce(.handle(topic.handle), key: key, value: value, opaque: opaque) {
            // Not taken: no delivery report will release this reference.
            Unmanaged<DeliveryReceiver>.fromOpaque(opaque).release()
            throw KafkaError.consuming(
                error,
                "cannot enqueue a message for topic \(topic.name)",
                fallback: .deliveryFailed
            )
        }
    }

    /// The topic's partition count, read from a broker: proves that the brokers answer and
    /// know the topic before anything is sent.
    /// - Parameters:
    ///   - topic: A handle from ``topic(_:)``.
    ///   - timeout: How long to wait for a broker.
    /// - Returns: The number of partitions.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/timedOut`` when no broker answered,
    ///   ``KafkaError/Code/unknownTopic`` when the cluster has no such topic.
    public func partitionCount(of topic: KafkaTopic, timeout: Duration) throws(KafkaError) -> Int {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        try KafkaError.check(
            rd_kafka_metadata(client.handle, 0, topic.handle, &metadata, timeout.kafkaMilliseconds),
            "cannot read the metadata of topic \(topic.name)"
        )
        guard let metadata else {
            throw KafkaError(code: .unknownTopic, message: "the brokers do not know topic \(topic.name)")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else {
            throw KafkaError(code: .unknownTopic, message: "the brokers do not know topic \(topic.name)")
        }
        let entry = metadata.pointee.topics[0]
        guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, entry.partition_cnt > 0 else {
            throw KafkaError(code: .unknownTopic, message: "the brokers do not know topic \(topic.name)")
        }
        return Int(entry.partition_cnt)
    }
}
