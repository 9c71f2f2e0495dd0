public import Kafka

/// What the topic setup needs from a cluster: the seam that lets its steps be tested without
/// one (a real cluster that creates topics is not available here: the local broker is
/// librdkafka's mock, which implements neither CreateTopics nor DescribeConfigs).
public protocol TopicAdministering {
    /// The brokers, the controller and the topics' layouts.
    func describeCluster(timeout: Duration) throws(KafkaError) -> KafkaClusterDescription
    /// Creates topics; an existing topic counts as created.
    func createTopics(_ specs: [KafkaTopicSpec], timeout: Duration) throws(KafkaError)
    /// Each topic's configs as the broker reports them.
    func describeTopicConfigs(
        _ topics: [String],
        timeout: Duration
    ) throws(KafkaError) -> [String: [String: KafkaConfigEntry]]
}

extension KafkaAdmin: TopicAdministering {}
