internal import CRdKafka

extension KafkaAdmin {
    /// The cluster as its metadata describes it: the brokers, the controller, and each topic's
    /// partitions with their replica counts.
    ///
    /// Admin requests that change or describe topics go to the controller. A cluster whose
    /// controller is not one of its brokers cannot answer them: librdkafka's mock cluster says
    /// broker 0 while its brokers are numbered from 1 (``KafkaClusterDescription/hasController``).
    /// - Parameter timeout: How long to wait for a broker's answer.
    /// - Returns: The description; topics sorted by name, internal ones included.
    /// - Throws: ``KafkaError`` (e.g. ``KafkaError/Code/timedOut``) when no broker answered.
    public func describeCluster(timeout: Duration = .seconds(10)) throws(KafkaError) -> KafkaClusterDescription {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        try KafkaError.check(
            rd_kafka_metadata(client.handle, 1, nil, &metadata, timeout.kafkaMilliseconds),
            "cannot read the cluster metadata"
        )
        guard let metadata else {
            throw KafkaError(code: .other, message: "the cluster metadata was empty")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let brokers = (0..<Int(metadata.pointee.broker_cnt)).map { metadata.pointee.brokers[$0].id }
        var topics: [KafkaTopicLayout] = []
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[index]
            guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR, let name = topic.topic else { continue }
            let replicas = (0..<Int(topic.partition_cnt)).map { Int(topic.partitions[$0].replica_cnt) }
            topics.append(KafkaTopicLayout(name: String(cString: name), replicaCounts: replicas))
        }
        // The metadata just read is cached: this returns at once.
        let controller = rd_kafka_controllerid(client.handle, 0)
        return KafkaClusterDescription(
            brokerIDs: brokers.sorted(),
            controllerID: controller >= 0 ? controller : nil,
            topics: topics.sorted { $0.name < $1.name }
        )
    }
}

/// What ``KafkaAdmin/describeCluster(timeout:)`` found.
public struct KafkaClusterDescription: Sendable, Hashable {
    /// The brokers' ids, ascending.
    public let brokerIDs: [Int32]
    /// The controller's id as the metadata names it; nil when it names none.
    public let controllerID: Int32?
    /// The topics, sorted by name.
    public let topics: [KafkaTopicLayout]

    /// Creates a description.
    /// - Parameters:
    ///   - brokerIDs: The brokers' ids.
    ///   - controllerID: The controller's id, nil when none is named.
    ///   - topics: The topics.
    public init(brokerIDs: [Int32], controllerID: Int32?, topics: [KafkaTopicLayout]) {
        self.brokerIDs = brokerIDs
        self.controllerID = controllerID
        self.topics = topics
    }

    /// Whether the controller the metadata names is one of the brokers, so that CreateTopics
    /// and DescribeConfigs can be answered.
    public var hasController: Bool { controllerID.map(brokerIDs.contains) ?? false }

    /// The topic with this name, if the cluster has it.
    public func topic(_ name: String) -> KafkaTopicLayout? { topics.first { $0.name == name } }
}

/// A topic's partitions and their replicas, from the cluster's metadata.
public struct KafkaTopicLayout: Sendable, Hashable {
    /// The topic name.
    public let name: String
    /// The number of replicas of each partition, by partition id.
    public let replicaCounts: [Int]

    /// Creates a layout.
    /// - Parameters:
    ///   - name: The topic name.
    ///   - replicaCounts: The replica count of each partition, by partition id.
    public init(name: String, replicaCounts: [Int]) {
        self.name = name
        self.replicaCounts = replicaCounts
    }

    /// How many partitions the topic has.
    public var partitionCount: Int { replicaCounts.count }
}
