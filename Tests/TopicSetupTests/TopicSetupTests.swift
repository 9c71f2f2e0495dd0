import Kafka
import Synchronization
import Testing
import TopicSetup

/// A cluster in memory that records what it was asked: the seam's other side. The real
/// cluster side cannot run here (the local broker implements neither CreateTopics nor
/// DescribeConfigs); what is tested is what the setup sends, in which order, and what it
/// makes of the answers.
final class RecordingCluster: TopicAdministering, Sendable {
    struct State {
        var brokers: [Int32] = [1, 2, 3]
        var controller: Int32? = 1
        var topics: [String: KafkaTopicLayout] = [:]
        var configs: [String: [String: KafkaConfigEntry]] = [:]
        var created: [KafkaTopicSpec] = []
        var calls: [String] = []
        /// How many metadata reads after a create still miss the new topic (propagation).
        var metadataLag = 0
    }
    let state = Mutex(State())

    func describeCluster(timeout: Duration) throws(KafkaError) -> KafkaClusterDescription {
        state.withLock { state in
            state.calls.append("metadata")
            var topics = Array(state.topics.values)
            if state.metadataLag > 0, let last = state.created.last {
                state.metadataLag -= 1
                topics.removeAll { $0.name == last.name }
            }
            return KafkaClusterDescription(
                brokerIDs: state.brokers,
                controllerID: state.controller,
                topics: topics.sorted { $0.name < $1.name }
            )
        }
    }

    func createTopics(_ specs: [KafkaTopicSpec], timeout: Duration) throws(KafkaError) {
        state.withLock { state in
            state.calls.append("create")
            for spec in specs {
                state.created.append(spec)
                state.topics[spec.name] = KafkaTopicLayout(
                    name: spec.name,
                    replicaCounts: Array(repeating: spec.replicationFactor, count: spec.partitions)
                )
                state.configs[spec.name] = [:]
                for (name, value) in spec.config {
                    state.configs[spec.name]?[name] = KafkaConfigEntry(
                        name: name,
                        value: value,
                        source: "DYNAMIC_TOPIC_CONFIG"
                    )
                }
            }
        }
    }

    func describeTopicConfigs(
        _ topics: [String],
        timeout: Duration
    ) throws(KafkaError) -> [String: [String: KafkaConfigEntry]] {
        state.withLock { state in
            state.calls.append("describeConfigs \(topics.joined(separator: ","))")
            return state.configs.filter { topics.contains($0.key) }
        }
    }
}

@Suite struct TopicPlanTests {
    @Test func defaultPlanIsTheOriginalSetup() throws {
        let plan = TopicPlan()
        try plan.validate()
        let spec = plan.spec
        #expect(spec.name == "button_presses")
        #expect(spec.partitions == 3)
        #expect(spec.replicationFactor == 3)
        #expect(
            spec.config == [
                "cleanup.policy": "delete",
                "retention.ms": "-1",
                "local.retention.ms": "86400000",
                "remote.storage.enable": "true",
                "min.insync.replicas": "2",
            ]
        )
        #expect(plan.lines.first == "create topic button_presses")
        #expect(plan.lines.contains("    remote.storage.enable=true"))
    }

    @Test func withoutTieredStorageNoRemoteConfigs() {
        let plan = TopicPlan(tieredStorage: false)
        #expect(plan.configs["remote.storage.enable"] == nil)
        #expect(plan.configs["local.retention.ms"] == nil)
        #expect(plan.configs["retention.ms"] == "-1")
    }

    @Test(arguments: [
        (TopicPlan(partitions: 0), "partitions"),
        (TopicPlan(replicationFactor: 0, minInsyncReplicas: 0), "replication factor"),
        (TopicPlan(replicationFactor: 1), "min.insync.replicas"),
        (TopicPlan(retentionMs: 3_600_000, localRetentionMs: 86_400_000), "cannot keep events longer"),
        (TopicPlan(localRetentionMs: 0), "local.retention.ms"),
        (TopicPlan(topic: "bad topic"), "topic names"),
        (TopicPlan(retentionMs: -5), "retention.ms"),
    ])
    func invalidPlansAreNamed(plan: TopicPlan, words: String) {
        #expect {
            try plan.validate()
        } throws: { error in
            guard let error = error as? TopicSetupError else { return false }
            return error.code == .invalidPlan && error.message.contains(words)
        }
    }
}

@Suite struct TopicSetupApplyTests {
    @Test func createsThenReadsBackAndFindsNoDifference() throws {
        let cluster = RecordingCluster()
        cluster.state.withLock { $0.metadataLag = 2 }
        let report = try TopicSetup.apply(TopicPlan(), admin: cluster, timeout: .seconds(5))
        #expect(report == TopicSetup.Report(existed: false, differences: []))
        let state = cluster.state.withLock { $0 }
        #expect(state.created.map(\.name) == ["button_presses"])
        #expect(state.created.first?.config == TopicPlan().configs)
        // metadata, create, metadata until the topic shows (2 misses), then DescribeConfigs.
        #expect(
            state.calls == ["metadata", "create", "metadata", "metadata", "metadata", "describeConfigs button_presses"]
        )
        #expect(report.lines(for: TopicPlan()).last?.contains("all as planned") == true)
    }

    @Test func clusterWithoutControllerIsRefusedBeforeAnythingIsSent() {
        // What librdkafka's mock cluster reports: controller 0, brokers numbered from 1.
        let cluster = RecordingCluster()
        cluster.state.withLock {
            $0.brokers = [1]
            $0.controller = 0
        }
        #expect {
            try TopicSetup.apply(TopicPlan(), admin: cluster)
        } throws: { error in
            guard let error = error as? TopicSetupError else { return false }
            return error.code == .noController && error.message.contains("names broker 0 as the controller")
                && error.message.contains("mock") && error.message.contains("Nothing was sent")
        }
        #expect(cluster.state.withLock { $0.calls } == ["metadata"])
    }

    @Test func tooFewBrokersForTheReplicationFactor() {
        let cluster = RecordingCluster()
        cluster.state.withLock { $0.brokers = [1, 2] }
        #expect {
            try TopicSetup.apply(TopicPlan(), admin: cluster)
        } throws: { error in
            (error as? TopicSetupError)?.code == .tooFewBrokers
        }
        #expect(cluster.state.withLock { $0.created.isEmpty })
    }

    @Test func existingTopicIsLeftAloneAndEveryDifferenceReported() throws {
        let cluster = RecordingCluster()
        cluster.state.withLock { state in
            state.topics["button_presses"] = KafkaTopicLayout(
                name: "button_presses",
                replicaCounts: [2, 2, 2, 2, 2, 2]
            )
            state.configs["button_presses"] = [
                "cleanup.policy": KafkaConfigEntry(name: "cleanup.policy", value: "delete", source: "DEFAULT_CONFIG"),
                "retention.ms": KafkaConfigEntry(name: "retention.ms", value: "604800000", source: "DEFAULT_CONFIG"),
                "min.insync.replicas": KafkaConfigEntry(
                    name: "min.insync.replicas",
                    value: "2",
                    source: "DYNAMIC_TOPIC_CONFIG"
                ),
                "remote.storage.enable": KafkaConfigEntry(
                    name: "remote.storage.enable",
                    value: "false",
                    source: "DEFAULT_CONFIG"
                ),
            ]
        }
        let report = try TopicSetup.apply(TopicPlan(), admin: cluster)
        #expect(report.existed)
        #expect(cluster.state.withLock { $0.created.isEmpty }, "an existing topic is never changed")
        #expect(
            report.differences.map(\.description) == [
                "partitions: planned 3, found 6",
                "replication factor: planned 3, found 2",
                "local.retention.ms: planned 86400000, found not reported by the broker",
                "remote.storage.enable: planned true, found false (DEFAULT_CONFIG)",
                "retention.ms: planned -1, found 604800000 (DEFAULT_CONFIG)",
            ]
        )
        let lines = report.lines(for: TopicPlan())
        #expect(lines.first?.contains("exists already") == true)
        #expect(lines.contains("DIFFERENCES from the plan (5):"))
    }

    @Test func kafkaFailuresCarryTheStep() {
        struct Failing: TopicAdministering {
            func describeCluster(timeout: Duration) throws(KafkaError) -> KafkaClusterDescription {
                throw KafkaError(code: .timedOut, message: "Local: Timed out")
            }
            func createTopics(_ specs: [KafkaTopicSpec], timeout: Duration) throws(KafkaError) {}
            func describeTopicConfigs(
                _ topics: [String],
                timeout: Duration
            ) throws(KafkaError) -> [String: [String: KafkaConfigEntry]] { [:] }
        }
        #expect {
            try TopicSetup.apply(TopicPlan(), admin: Failing())
        } throws: { error in
            guard let error = error as? TopicSetupError else { return false }
            return error.code == .kafka && error.message == "cannot read the cluster metadata: Local: Timed out"
                && error.underlying?.code == .timedOut
        }
    }
}
