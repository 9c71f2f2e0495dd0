internal import CRdKafka
public import Logging

/// librdkafka's in-process mock Kafka cluster: real Kafka-protocol brokers on 127.0.0.1 with
/// random ports, keeping data in memory, with fault injection for tests.
///
/// Other processes connect to ``bootstrapServers`` like to any cluster. The mock does not
/// implement the CreateTopics admin request, so topics are created with ``createTopic(_:partitions:replicationFactor:)``.
///
/// `@unchecked Sendable`: the mock cluster's API posts commands to its own thread under a lock,
/// and the handle that owns it is thread-safe.
///
/// Not part of the Kafka module's public API: it is SPI for the local broker (`LocalBroker`) and
/// its tests, which opt in with `@_spi(LocalBroker) import Kafka`. It stays in this module
/// because only the librdkafka wrapper may import `CRdKafka`, and it needs the wrapper's
/// internals (the client handle, the error funnel, error names); a separate module would have
/// to make those public instead. Production code importing `Kafka` does not see it.
@_spi(LocalBroker)
public final class KafkaMockCluster: @unchecked Sendable {
    private let client: KafkaClient
    private let cluster: OpaquePointer
    /// How many brokers the cluster has; their ids are `1...brokerCount`.
    public let brokerCount: Int
    /// The brokers' `host:port` list, comma-separated.
    public let bootstrapServers: String

    /// Starts the cluster.
    /// - Parameters:
    ///   - brokers: Number of brokers (at least 1).
    ///   - logger: Receives the mock's log lines.
    /// - Throws: ``KafkaError`` when the brokers could not be started.
    public init(brokers: Int, logger: Logger = Logger(label: "kafka.mock")) throws(KafkaError) {
        guard let count = Int32(exactly: brokers), count >= 1 else {
            throw KafkaError(
                code: .invalidArgument,
                message: "a mock cluster needs at least one broker, not \(brokers)"
            )
        }
        // The cluster needs a client handle to live in; a producer with no brokers of its own
        // never connects anywhere. The mock's connections take this handle's socket settings:
        // without TCP_NODELAY a response written while the previous one is unacknowledged
        // waits for the client's delayed ACK (40 ms on Linux).
        let conf = try KafkaConfiguration(["socket.nagle.disable": "true"]).makeNativeConfiguration()
        client = try KafkaClient(type: RD_KAFKA_PRODUCER, conf: conf, logger: logger)
        guard let cluster = rd_kafka_mock_cluster_new(client.handle, count) else {
            throw KafkaError(code: .other, message: "could not start a mock cluster with \(brokers) brokers")
        }
        self.cluster = cluster
        brokerCount = brokers
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    /// The broker ids, `1...brokerCount`.
    public var brokerIDs: [Int32] { (1...Int32(brokerCount)).map { $0 } }

    /// Creates a topic (an existing one is left as it is).
    /// - Parameters:
    ///   - name: The topic name.
    ///   - partitions: The number of partitions (at least 1).
    ///   - replicationFactor: Copies per partition, at most ``brokerCount``.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/invalidArgument`` for bad counts.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int) throws(KafkaError) {
        guard !name.isEmpty, let partitionCount = Int32(exactly: partitions), partitionCount >= 1,
            let replicas = Int32(exactly: replicationFactor), replicas >= 1, replicationFactor <= brokerCount
        else {
            throw KafkaError(
                code: .invalidArgument,
                message: "topic \"\(name)\": need a name, at least 1 partition and 1...\(brokerCount) replicas"
            )
        }
        try KafkaError.check(
            rd_kafka_mock_topic_create(cluster, name, partitionCount, replicas),
            "cannot create topic \(name)"
        )
    }

    /// Makes a broker unreachable: it closes its connections and refuses new ones.
    /// - Parameter id: The broker id (from 1).
    /// - Throws: ``KafkaError`` ``KafkaError/Code/invalidArgument`` for an unknown id.
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        try checkBroker(id)
        try KafkaError.check(rd_kafka_mock_broker_set_down(cluster, id), "cannot take broker \(id) down")
    }

    /// Brings a broker back up.
    /// - Parameter id: The broker id (from 1).
    /// - Throws: ``KafkaError`` ``KafkaError/Code/invalidArgument`` for an unknown id.
    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        try checkBroker(id)
        try KafkaError.check(rd_kafka_mock_broker_set_up(cluster, id), "cannot bring broker \(id) up")
    }

    /// Delays every response of a broker.
    /// - Parameters:
    ///   - brokerID: The broker id (from 1).
    ///   - milliseconds: The added round-trip time; 0 removes it.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/invalidArgument`` for an unknown id or a negative time.
    public func setRoundTripTime(brokerID: Int32, milliseconds: Int) throws(KafkaError) {
        try checkBroker(brokerID)
        guard let rtt = Int32(exactly: milliseconds), rtt >= 0 else {
            throw KafkaError(code: .invalidArgument, message: "round-trip time must be 0...\(Int32.max) ms")
        }
        try KafkaError.check(rd_kafka_mock_broker_set_rtt(cluster, brokerID, rtt), "cannot set broker \(brokerID) RTT")
    }

    /// Makes the next requests of one type fail, in order, with the given errors (on whichever
    /// broker receives them).
    /// - Parameters:
    ///   - api: The request type by name (`Produce`, `Fetch`, `Metadata`, … case-insensitive) or
    ///     number (ApiKey).
    ///   - errors: Kafka error names, e.g. `NOT_LEADER_OR_FOLLOWER`, `REQUEST_TIMED_OUT`
    ///     (librdkafka's names with or without `RD_KAFKA_RESP_ERR_`, or numbers). `_TRANSPORT`
    ///     makes the broker drop the connection.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/invalidArgument`` for an unknown API or error name.
    public func pushRequestErrors(api: String, errors: [String]) throws(KafkaError) {
        guard let apiKey = KafkaAPI.key(named: api) else {
            throw KafkaError(
                code: .invalidArgument,
                message: "unknown Kafka API \"\(api)\"; known: \(KafkaAPI.names.joined(separator: ", "))"
            )
        }
        var codes: [rd_kafka_resp_err_t] = []
        for name in errors {
            guard let code = KafkaErrorNames.code(named: name) else {
                throw KafkaError(code: .invalidArgument, message: "unknown Kafka error name \"\(name)\"")
            }
            codes.append(code)
        }
        guard !codes.isEmpty else { return }
        codes.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster, apiKey, buffer.count, buffer.baseAddress)
        }
    }

    /// Drops the errors still queued by ``pushRequestErrors(api:errors:)`` for one request type.
    /// - Parameter api: The request type by name or number.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/invalidArgument`` for an unknown API.
    public func clearRequestErrors(api: String) throws(KafkaError) {
        guard let apiKey = KafkaAPI.key(named: api) else {
            throw KafkaError(code: .invalidArgument, message: "unknown Kafka API \"\(api)\"")
        }
        rd_kafka_mock_clear_request_errors(cluster, apiKey)
    }

    private func checkBroker(_ id: Int32) throws(KafkaError) {
        guard id >= 1, id <= brokerCount else {
            throw KafkaError(code: .invalidArgument, message: "no broker \(id): broker ids are 1...\(brokerCount)")
        }
    }
}
