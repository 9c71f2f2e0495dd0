internal import CRdKafka

/// A partition of a topic.
public struct KafkaPartition: Hashable, Sendable, CustomStringConvertible {
    /// The topic.
    public let topic: String
    /// The partition number.
    public let partition: Int32

    /// - Parameters:
    ///   - topic: The topic.
    ///   - partition: The partition number.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

extension KafkaConsumer {
    /// The partitions currently assigned to this member of the group.
    /// - Throws: ``KafkaError`` when librdkafka cannot report the assignment.
    public func assignment() throws(KafkaError) -> [KafkaPartition] {
        var assigned: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try KafkaError.check(rd_kafka_assignment(client.handle, &assigned), "cannot read the assignment")
        guard let assigned else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(assigned) }
        return (0..<Int(assigned.pointee.cnt)).compactMap { index in
            let entry = assigned.pointee.elems[index]
            guard let topic = entry.topic else { return nil }
            return KafkaPartition(topic: String(cString: topic), partition: entry.partition)
        }
    }

    /// Moves the fetch position of an assigned partition; messages already fetched for it are
    /// discarded, so the next message of the partition ``poll(timeout:)`` returns is at `offset`.
    ///
    /// Used by consumers that keep their positions outside Kafka (e.g. in the database they
    /// write to, in the same transaction as the data).
    /// - Parameters:
    ///   - partition: An assigned partition.
    ///   - offset: The next offset to read.
    /// - Throws: ``KafkaError`` when the partition is not assigned or the seek fails.
    public func seek(_ partition: KafkaPartition, to offset: Int64) throws(KafkaError) {
        guard let list = rd_kafka_topic_partition_list_new(1) else {
            throw KafkaError(code: .other, message: "out of memory")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        let error = rd_kafka_seek_partitions(client.handle, list, 5000)
        if let error {
            let code = rd_kafka_error_code(error)
            rd_kafka_error_destroy(error)
            throw KafkaError.librdkafka(code, "cannot seek \(partition) to \(offset)")
        }
        let entry = list.pointee.elems[0]
        try KafkaError.check(entry.err, "cannot seek \(partition) to \(offset)")
    }

    /// The low and high watermarks (first offset still stored, offset of the next message to be
    /// written) of a partition as last seen by this consumer's fetches; no broker round trip.
    /// - Parameter partition: The partition.
    /// - Returns: nil when the consumer has not fetched the partition yet.
    public func cachedWatermarks(_ partition: KafkaPartition) -> (low: Int64, high: Int64)? {
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_get_watermark_offsets(client.handle, partition.topic, partition.partition, &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return (low, high)
    }

    /// The low and high watermarks of a partition, asked of the partition's leader.
    /// - Parameters:
    ///   - partition: The partition.
    ///   - timeout: How long to wait for the broker.
    /// - Throws: ``KafkaError`` when the broker does not answer in time.
    public func queryWatermarks(
        _ partition: KafkaPartition,
        timeout: Duration
    ) throws(KafkaError) -> (
        low: Int64, high: Int64
    ) {
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_query_watermark_offsets(
            client.handle,
            partition.topic,
            partition.partition,
            &low,
            &high,
            timeout.kafkaMilliseconds
        )
        try KafkaError.check(err, "cannot read the watermarks of \(partition)")
        return (low, high)
    }
}

extension KafkaConsumer {
    /// The group's committed offsets of some partitions, asked of the group coordinator.
    /// - Parameters:
    ///   - partitions: The partitions.
    ///   - timeout: How long to wait for the coordinator.
    /// - Returns: The committed offset (the next to read) of each partition that has one.
    /// - Throws: ``KafkaError`` when the coordinator does not answer in time.
    public func committed(
        _ partitions: [KafkaPartition],
        timeout: Duration
    ) throws(KafkaError) -> [KafkaPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else {
            throw KafkaError(code: .other, message: "out of memory")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in partitions { rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition) }
        try KafkaError.check(
            rd_kafka_committed(client.handle, list, timeout.kafkaMilliseconds),
            "cannot read the committed offsets"
        )
        var offsets: [KafkaPartition: Int64] = [:]
        for index in 0..<Int(list.pointee.cnt) {
            let entry = list.pointee.elems[index]
            guard let topic = entry.topic, entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, entry.offset >= 0 else { continue }
            offsets[KafkaPartition(topic: String(cString: topic), partition: entry.partition)] = entry.offset
        }
        return offsets
    }

    /// The id of the cluster the consumer is connected to, as the brokers report it.
    ///
    /// Offsets name messages only within one cluster's log: a consumer that keeps positions
    /// outside Kafka stores this id with them, to notice a different (or emptied) cluster.
    /// - Parameter timeout: How long to wait for metadata.
    /// - Returns: nil when no broker answered in time or the broker reports none.
    public func clusterID(timeout: Duration) -> String? {
        guard let pointer = rd_kafka_clusterid(client.handle, timeout.kafkaMilliseconds) else { return nil }
        defer { rd_kafka_mem_free(client.handle, pointer) }
        return String(cString: pointer)
    }
}
