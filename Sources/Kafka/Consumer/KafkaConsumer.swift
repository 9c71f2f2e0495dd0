internal import CRdKafka
public import Logging
internal import Synchronization

/// A consumer-group member that commits offsets only when told to.
///
/// `enable.auto.commit=false` and `enable.auto.offset.store=false`: a message counts as consumed
/// once ``commit(_:)`` (or ``commit()``) returned, so a crash before that re-delivers it to the
/// group (at-least-once). Partition EOF is not reported.
///
/// `Sendable`: the handle's wrapper is (librdkafka handles are thread-safe) and the closed flag is
/// in a `Mutex`. Poll from one thread at a time to keep message order per partition.
public final class KafkaConsumer: Sendable {
    let client: KafkaClient
    private let closed = Mutex<Bool>(false)
    /// The consumer group.
    public let groupID: String
    /// The subscribed topics.
    public let topics: [String]

    /// Joins `groupID` and subscribes to `topics`. Partitions are assigned asynchronously during
    /// the first ``poll(timeout:)`` calls.
    /// - Parameters:
    ///   - configuration: librdkafka properties; at least `bootstrap.servers`.
    ///   - groupID: The consumer group (`group.id`).
    ///   - topics: The topics to subscribe to.
    ///   - startFrom: Where to start on partitions without a committed offset (`auto.offset.reset`).
    ///   - logger: Receives librdkafka's log lines (at info and below).
    /// - Throws: ``KafkaError`` ``KafkaError/Code/configuration`` for bad properties,
    ///   ``KafkaError/Code/invalidArgument`` when the subscription is refused.
    public init(
        configuration: KafkaConfiguration,
        groupID: String,
        topics: [String],
        startFrom: KafkaStartOffset = .earliest,
        logger: Logger = Logger(label: "kafka.consumer")
    ) throws(KafkaError) {
        let overrides = [
            "group.id": groupID,
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "enable.partition.eof": "false",
            "auto.offset.reset": startFrom == .earliest ? "earliest" : "latest",
        ]
        let conf = try configuration.makeNativeConfiguration(overrides: overrides)
        client = try KafkaClient(type: RD_KAFKA_CONSUMER, conf: conf, logger: logger)
        self.groupID = groupID
        self.topics = topics
        rd_kafka_poll_set_consumer(client.handle)
        guard let list = rd_kafka_topic_partition_list_new(Int32(topics.count)) else {
            throw KafkaError(code: .other, message: "out of memory")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        try KafkaError.check(rd_kafka_subscribe(client.handle, list), "cannot subscribe to \(topics)")
    }

    deinit {
        close()
    }

    /// Waits up to `timeout` for the next message.
    /// - Parameter timeout: How long to wait at most.
    /// - Returns: The message, or `nil` when none arrived in time (or only a transient
    ///   connection problem, which is logged and retried by librdkafka).
    /// - Throws: ``KafkaError`` for consumer errors the caller must see (e.g.
    ///   ``KafkaError/Code/unknownTopic``, ``KafkaError/Code/fatal``, ``KafkaError/Code/closed``).
    public func poll(timeout: Duration) throws(KafkaError) -> KafkaMessage? {
        guard !isClosed else { throw KafkaError(code: .closed, message: "the consumer is closed") }
        guard let pointer = rd_kafka_consumer_poll(client.handle, timeout.kafkaMilliseconds) else { return nil }
        defer { rd_kafka_message_destroy(pointer) }
        let message = pointer.pointee
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        guard message.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let detail = message.payload.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: message.len), as: UTF8.self)
            }
            switch message.err {
            case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                return nil
            case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
                RD_KAFKA_RESP_ERR__TIMED_OUT:
                client.logger.info(
                    "Kafka consumer: \(detail ?? "transient error"), retrying",
                    metadata: [KafkaLogKey.error: "\(String(cString: rd_kafka_err2name(message.err)))"]
                )
                return nil
            default:
                if let fatal = client.fatalClientError() { throw fatal }
                let context = topic.isEmpty ? "consumer error" : "consumer error on topic \(topic)"
                throw KafkaError.librdkafka(message.err, context, detail: detail)
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(pointer, &timestampType)
        return KafkaMessage(
            topic: topic,
            partition: message.partition,
            offset: message.offset,
            key: message.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.key_len)) },
            value: message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.len)) } ?? [],
            timestamp: timestamp >= 0 ? timestamp : nil
        )
    }

    /// Commits `message.offset + 1` for the message's partition and waits for the broker.
    /// - Parameter message: The last message processed in its partition.
    /// - Throws: ``KafkaError`` when the commit failed (e.g. ``KafkaError/Code/consumerGroup`` after
    ///   the partition was reassigned).
    public func commit(_ message: KafkaMessage) throws(KafkaError) {
        guard !isClosed else { throw KafkaError(code: .closed, message: "the consumer is closed") }
        guard let list = rd_kafka_topic_partition_list_new(1) else {
            throw KafkaError(code: .other, message: "out of memory")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let entry = rd_kafka_topic_partition_list_add(list, message.topic, message.partition)
        entry?.pointee.offset = message.offset + 1
        try commit(list, "\(message.topic)[\(message.partition)]@\(message.offset + 1)")
    }

    /// Commits explicit positions (the next offset to read per partition) and waits for the
    /// broker: for a consumer that commits only what its own downstream work has finished,
    /// which may lag behind what it has read.
    /// - Parameter offsets: The next offset to read, per partition. Empty: nothing to do.
    /// - Throws: ``KafkaError`` when the commit failed (e.g. ``KafkaError/Code/consumerGroup``
    ///   after a partition was reassigned).
    public func commit(_ offsets: [KafkaPartition: Int64]) throws(KafkaError) {
        guard !isClosed else { throw KafkaError(code: .closed, message: "the consumer is closed") }
        guard !offsets.isEmpty else { return }
        guard let list = rd_kafka_topic_partition_list_new(Int32(offsets.count)) else {
            throw KafkaError(code: .other, message: "out of memory")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        }
        try commit(list, "\(offsets.count) partitions")
    }

    /// Commits the current position (next offset to read) of every assigned partition that has
    /// one, and waits for the broker. Does nothing when there is nothing to commit.
    /// - Throws: ``KafkaError`` when the commit failed.
    public func commit() throws(KafkaError) {
        guard !isClosed else { throw KafkaError(code: .closed, message: "the consumer is closed") }
        var assigned: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try KafkaError.check(rd_kafka_assignment(client.handle, &assigned), "cannot read the assignment")
        guard let assigned else { return }
        defer { rd_kafka_topic_partition_list_destroy(assigned) }
        try KafkaError.check(rd_kafka_position(client.handle, assigned), "cannot read the positions")
        guard let positions = rd_kafka_topic_partition_list_new(assigned.pointee.cnt) else {
            throw KafkaError(code: .other, message: "out of memory")
        }
        defer { rd_kafka_topic_partition_list_destroy(positions) }
        for index in 0..<Int(assigned.pointee.cnt) {
            let partition = assigned.pointee.elems[index]
            guard partition.offset >= 0, let topic = partition.topic else { continue }
            rd_kafka_topic_partition_list_add(positions, topic, partition.partition)?.pointee.offset = partition.offset
        }
        guard positions.pointee.cnt > 0 else { return }
        try commit(positions, "current positions")
    }

    /// Leaves the group (committing nothing) and stops fetching. Idempotent; `deinit` calls it.
    public func close() {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        let err = rd_kafka_consumer_close(client.handle)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            client.logger.info(
                "Kafka consumer close: \(String(cString: rd_kafka_err2str(err)))",
                metadata: [KafkaLogKey.error: "\(String(cString: rd_kafka_err2name(err)))"]
            )
        }
    }

    private var isClosed: Bool { closed.withLock { $0 } }

    private func commit(
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>,
        _ what: String
    ) throws(KafkaError) {
        let err = rd_kafka_commit(client.handle, list, 0)
        if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
        try KafkaError.check(err, "cannot commit \(what)")
        for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let partition = list.pointee.elems[index]
            let topic = partition.topic.map { String(cString: $0) } ?? "?"
            throw KafkaError.librdkafka(partition.err, "cannot commit \(topic)[\(partition.partition)]")
        }
    }
}
