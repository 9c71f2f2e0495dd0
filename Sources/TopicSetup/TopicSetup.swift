internal import Foundation
import Kafka

/// Applies a ``TopicPlan`` to a cluster and checks the result: creates the topic unless it
/// exists, then reads it back (metadata for partitions and replicas, DescribeConfigs for the
/// configs) and reports every way it differs from the plan. An existing topic is never changed.
public enum TopicSetup {
    /// What happened.
    public struct Report: Sendable, Equatable {
        /// Whether the topic existed before (then it was left as it was).
        public let existed: Bool
        /// How the topic differs from the plan; empty when it matches.
        public let differences: [TopicDifference]

        /// Creates a report.
        /// - Parameters:
        ///   - existed: Whether the topic existed before.
        ///   - differences: How it differs from the plan.
        public init(existed: Bool, differences: [TopicDifference]) {
            self.existed = existed
            self.differences = differences
        }

        /// The report in words, one line each.
        public func lines(for plan: TopicPlan) -> [String] {
            var lines = [
                existed
                    ? "topic \(plan.topic) exists already: left unchanged, checked against the plan"
                    : "topic \(plan.topic) created"
            ]
            if differences.isEmpty {
                lines.append(
                    "checked: \(plan.partitions) partitions, replication factor \(plan.replicationFactor), "
                        + "configs \(plan.configs.keys.sorted().joined(separator: ", ")): all as planned"
                )
            } else {
                lines.append("DIFFERENCES from the plan (\(differences.count)):")
                lines += differences.map { "  \($0)" }
            }
            return lines
        }
    }

    /// Runs the plan against a cluster.
    /// - Parameters:
    ///   - plan: The topic and its settings.
    ///   - admin: The cluster (``KafkaAdmin`` for a real one).
    ///   - timeout: Upper bound for each request.
    /// - Returns: Whether the topic existed, and how it differs from the plan.
    /// - Throws: ``TopicSetupError``: an invalid plan, a cluster without a controller (before
    ///   anything is sent that would wait for one), too few brokers, or a failed request.
    public static func apply(
        _ plan: TopicPlan,
        admin: some TopicAdministering,
        timeout: Duration = .seconds(30)
    ) throws(TopicSetupError) -> Report {
        try plan.validate()
        let cluster = try kafka("read the cluster metadata") { () throws(KafkaError) in
            try admin.describeCluster(timeout: timeout)
        }
        guard cluster.hasController else {
            let named = cluster.controllerID.map { "broker \($0)" } ?? "none"
            throw TopicSetupError(
                code: .noController,
                message: "the cluster cannot create or describe topics: its metadata names \(named) as the "
                    + "controller, but its brokers are \(cluster.brokerIDs.map(String.init).joined(separator: ", ")). "
                    + "librdkafka's mock cluster (the local stack's broker) is such a cluster: it implements "
                    + "neither CreateTopics nor DescribeConfigs. Nothing was sent or changed."
            )
        }
        let existed = cluster.topic(plan.topic) != nil
        if !existed {
            guard cluster.brokerIDs.count >= plan.replicationFactor else {
                throw TopicSetupError(
                    code: .tooFewBrokers,
                    message: "replication factor \(plan.replicationFactor) needs at least that many brokers; "
                        + "the cluster has \(cluster.brokerIDs.count). Nothing was created."
                )
            }
            try kafka("create topic \(plan.topic)") { () throws(KafkaError) in
                try admin.createTopics([plan.spec], timeout: timeout)
            }
        }
        let layout = try awaitLayout(of: plan.topic, admin: admin, timeout: timeout)
        let configs = try kafka("read the configs of \(plan.topic) back") { () throws(KafkaError) in
            try admin.describeTopicConfigs([plan.topic], timeout: timeout)[plan.topic] ?? [:]
        }
        return Report(existed: existed, differences: TopicDifference.between(plan, layout: layout, configs: configs))
    }

    /// The topic's layout once the metadata shows it: a new topic reaches every broker's
    /// metadata cache a moment after CreateTopics returns.
    static func awaitLayout(
        of topic: String,
        admin: some TopicAdministering,
        timeout: Duration
    ) throws(TopicSetupError) -> KafkaTopicLayout {
        let deadline = ContinuousClock.now + timeout
        while true {
            let cluster = try kafka("read the metadata of \(topic)") { () throws(KafkaError) in
                try admin.describeCluster(timeout: timeout)
            }
            if let layout = cluster.topic(topic), layout.partitionCount > 0 { return layout }
            guard ContinuousClock.now < deadline else {
                throw TopicSetupError(code: .notCreated, message: "topic \(topic) is not in the cluster's metadata")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    private static func kafka<T>(
        _ what: String,
        _ body: () throws(KafkaError) -> T
    ) throws(TopicSetupError) -> T {
        do {
            return try body()
        } catch {
            throw TopicSetupError(code: .kafka, message: "cannot \(what): \(error.message)", underlying: error)
        }
    }
}
