public import Kafka

/// One way the topic on the cluster differs from the plan.
public struct TopicDifference: Sendable, Equatable, CustomStringConvertible {
    /// What differs: `partitions`, `replication factor` or a config name.
    public let setting: String
    /// The planned value.
    public let planned: String
    /// What the cluster reported, with where a config's value comes from.
    public let found: String

    /// Creates a difference.
    public init(setting: String, planned: String, found: String) {
        self.setting = setting
        self.planned = planned
        self.found = found
    }

    public var description: String { "\(setting): planned \(planned), found \(found)" }

    /// Compares what the cluster reported with the plan.
    /// - Parameters:
    ///   - plan: The plan.
    ///   - layout: The topic's partitions and replicas from the metadata.
    ///   - configs: The topic's configs from DescribeConfigs.
    /// - Returns: The differences, partitions and replication first, then configs by name.
    public static func between(
        _ plan: TopicPlan,
        layout: KafkaTopicLayout,
        configs: [String: KafkaConfigEntry]
    ) -> [TopicDifference] {
        var differences: [TopicDifference] = []
        if layout.partitionCount != plan.partitions {
            differences.append(
                TopicDifference(setting: "partitions", planned: "\(plan.partitions)", found: "\(layout.partitionCount)")
            )
        }
        let replicas = Set(layout.replicaCounts)
        if replicas != [plan.replicationFactor] {
            differences.append(
                TopicDifference(
                    setting: "replication factor",
                    planned: "\(plan.replicationFactor)",
                    found: replicas.sorted().map(String.init).joined(separator: "/")
                )
            )
        }
        for name in plan.configs.keys.sorted() {
            let planned = plan.configs[name] ?? ""
            guard let entry = configs[name] else {
                // e.g. remote.storage.enable on a cluster without tiered storage.
                differences.append(
                    TopicDifference(setting: name, planned: planned, found: "not reported by the broker")
                )
                continue
            }
            if entry.value != planned {
                differences.append(
                    TopicDifference(
                        setting: name,
                        planned: planned,
                        found: "\(entry.value ?? "no value") (\(entry.source))"
                    )
                )
            }
        }
        return differences
    }
}
