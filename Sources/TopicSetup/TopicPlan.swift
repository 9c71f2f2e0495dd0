public import Kafka

/// The topic the project's setup creates on a real cluster, and how: the original workshop's
/// settings (3 partitions, replicated, tiered storage) unless told otherwise.
public struct TopicPlan: Sendable, Equatable {
    /// The topic name; `button_presses` by default.
    public var topic: String
    /// Partitions; 3 by default, as the original setup.
    public var partitions: Int
    /// Copies of each partition; 3 by default, so one broker can fail while writes go on.
    public var replicationFactor: Int
    /// How long the topic keeps events in all (`retention.ms`, -1 = forever): a new consumer can
    /// replay the whole history. Tiered storage makes that affordable.
    public var retentionMs: Int64
    /// How long events stay on the brokers' own disks before only the remote tier has them
    /// (`local.retention.ms`); 1 day by default.
    public var localRetentionMs: Int64
    /// Whether the topic uses tiered storage (`remote.storage.enable`).
    public var tieredStorage: Bool
    /// Replicas that must have a write before it is acknowledged (`min.insync.replicas`); with
    /// the producers' `acks=all`, 2 of 3 keeps an acknowledged press through one broker's loss.
    public var minInsyncReplicas: Int

    /// Creates a plan; the defaults are the production settings.
    public init(
        topic: String = "button_presses",
        partitions: Int = 3,
        replicationFactor: Int = 3,
        retentionMs: Int64 = -1,
        localRetentionMs: Int64 = 86_400_000,
        tieredStorage: Bool = true,
        minInsyncReplicas: Int = 2
    ) {
        self.topic = topic
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.retentionMs = retentionMs
        self.localRetentionMs = localRetentionMs
        self.tieredStorage = tieredStorage
        self.minInsyncReplicas = minInsyncReplicas
    }

    /// The topic configs the plan sets.
    public var configs: [String: String] {
        var configs = [
            // Tiered storage supports deletion only, not compaction.
            "cleanup.policy": "delete",
            "retention.ms": "\(retentionMs)",
            "min.insync.replicas": "\(minInsyncReplicas)",
        ]
        if tieredStorage {
            configs["remote.storage.enable"] = "true"
            configs["local.retention.ms"] = "\(localRetentionMs)"
        }
        return configs
    }

    /// The CreateTopics request the plan makes: what ``KafkaAdmin/createTopics(_:timeout:)`` sends.
    public var spec: KafkaTopicSpec {
        KafkaTopicSpec(name: topic, partitions: partitions, replicationFactor: replicationFactor, config: configs)
    }

    /// Checks that the numbers make sense together before anything is sent.
    /// - Throws: ``TopicSetupError/Code/invalidPlan`` naming the first problem.
    public func validate() throws(TopicSetupError) {
        func invalid(_ message: String) -> TopicSetupError { TopicSetupError(code: .invalidPlan, message: message) }
        if topic.isEmpty || topic.count > 249
            || !topic.unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isAlphabetic || "0123456789._-".unicodeScalars.contains($0))
            })
        {
            throw invalid("topic \"\(topic)\": Kafka topic names are 1 to 249 of a-z A-Z 0-9 . _ -")
        }
        if partitions < 1 { throw invalid("partitions must be at least 1, not \(partitions)") }
        if replicationFactor < 1 { throw invalid("replication factor must be at least 1, not \(replicationFactor)") }
        if minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor {
            throw invalid(
                "min.insync.replicas must be between 1 and the replication factor (\(replicationFactor)), not \(minInsyncReplicas)"
            )
        }
        if retentionMs < -1 { throw invalid("retention.ms must be -1 (forever) or positive, not \(retentionMs)") }
        if tieredStorage {
            if localRetentionMs < -2 || localRetentionMs == 0 {
                throw invalid("local.retention.ms must be -2 (= retention.ms), -1 or positive, not \(localRetentionMs)")
            }
            if retentionMs != -1, localRetentionMs > retentionMs || localRetentionMs == -1 {
                throw invalid(
                    "local.retention.ms (\(localRetentionMs)) cannot keep events longer than retention.ms (\(retentionMs))"
                )
            }
        }
    }

    /// The plan in words, one line each, as `button-topics apply --dry-run` prints it.
    public var lines: [String] {
        [
            "create topic \(topic)", "  partitions: \(partitions)", "  replication factor: \(replicationFactor)",
            "  configs:",
        ]
            + configs.keys.sorted().map { "    \($0)=\(configs[$0] ?? "")" }
            + [
                "then read it back (metadata: partitions and replicas; DescribeConfigs: the configs above)"
                    + " and report every difference"
            ]
    }
}
