/// A topic to create with ``KafkaAdmin/createTopics(_:timeout:)``.
public struct KafkaTopicSpec: Sendable {
    /// The topic name.
    public var name: String
    /// The number of partitions.
    public var partitions: Int
    /// How many brokers keep a copy of each partition; `-1` for the broker's default.
    public var replicationFactor: Int
    /// Topic configs, e.g. `["retention.ms": "-1", "cleanup.policy": "delete"]`.
    public var config: [String: String]

    /// Creates a topic description.
    /// - Parameters:
    ///   - name: The topic name.
    ///   - partitions: The number of partitions.
    ///   - replicationFactor: Copies of each partition; `-1` for the broker default.
    ///   - config: Topic configs.
    public init(name: String, partitions: Int, replicationFactor: Int = -1, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

/// A topic as the cluster's metadata describes it.
public struct KafkaTopicMetadata: Sendable, Hashable {
    /// The topic name.
    public let name: String
    /// How many partitions it has.
    public let partitionCount: Int

    /// Creates a description.
    public init(name: String, partitionCount: Int) {
        self.name = name
        self.partitionCount = partitionCount
    }
}
