internal import CRdKafka
public import Logging

/// Cluster administration: creating topics and reading metadata.
///
/// `Sendable`: it only holds a thread-safe librdkafka handle (see `KafkaClient`).
public final class KafkaAdmin: Sendable {
    /// Internal, not private: the admin requests in `KafkaAdmin+*.swift` use it too.
    let client: KafkaClient
    private let poller: KafkaPoller

    /// Creates an admin client. It connects lazily.
    /// - Parameters:
    ///   - configuration: librdkafka properties; at least `bootstrap.servers`.
    ///   - logger: Receives librdkafka's log lines (at info and below).
    /// - Throws: ``KafkaError`` ``KafkaError/Code/configuration`` for bad properties.
    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "kafka.admin")) throws(KafkaError) {
        let conf = try configuration.makeNativeConfiguration()
        client = try KafkaClient(type: RD_KAFKA_PRODUCER, conf: conf, logger: logger)
        poller = KafkaPoller(client: client, name: "kafka-admin-poll")
    }

    deinit {
        poller.stop()
    }

    /// Creates topics; a topic that exists already counts as created (its settings are not
    /// compared or changed).
    ///
    /// librdkafka's mock cluster does not implement CreateTopics and names no controller: against
    /// it this throws ``KafkaError/Code/timedOut`` ("waiting for controller") once `timeout` has
    /// passed, so pass a short timeout where the mock is possible.
    /// - Parameters:
    ///   - specs: The topics.
    ///   - timeout: Upper bound for the whole request, including the brokers' work.
    /// - Throws: ``KafkaError`` naming each topic that could not be created.
    public func createTopics(_ specs: [KafkaTopicSpec], timeout: Duration = .seconds(30)) throws(KafkaError) {
        guard !specs.isEmpty else { return }
        var newTopics: [OpaquePointer?] = []
        defer {
            for topic in newTopics { rd_kafka_NewTopic_destroy(topic) }
        }
        for spec in specs {
            newTopics.append(try Self.makeNewTopic(spec))
        }
        let names = specs.map(\.name).joined(separator: ", ")
        let event = try request(
            RD_KAFKA_ADMIN_OP_CREATETOPICS,
            timeout: timeout,
            what: "create topics \(names)"
        ) { options, queue in
            newTopics.withUnsafeMutableBufferPointer { topics in
                rd_kafka_CreateTopics(client.handle, topics.baseAddress, topics.count, options, queue)
            }
        }
        defer { rd_kafka_event_destroy(event) }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(code: .other, message: "creating topics \(names) returned an unexpected event")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        var failures: [KafkaError] = []
        for index in 0..<count {
            guard let topicResult = results[index] else { continue }
            let err = rd_kafka_topic_result_error(topicResult)
            guard err != RD_KAFKA_RESP_ERR_NO_ERROR, err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else { continue }
            let name = String(cString: rd_kafka_topic_result_name(topicResult))
            let detail = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) }
            failures.append(.librdkafka(err, "cannot create topic \(name)", detail: detail))
        }
        try KafkaError.throwIfAny(failures)
    }

    /// Sends one admin request and waits for its result event; the caller destroys the event.
    ///
    /// One place for the options, the private queue and the wait that every admin request
    /// shares, and for turning a request-level error into a ``KafkaError``.
    /// - Parameters:
    ///   - operation: The librdkafka admin operation, for the options.
    ///   - timeout: Upper bound for the request, including the brokers' work.
    ///   - what: The request in words, for errors ("create topics a, b").
    ///   - send: Enqueues the request with these options on this queue.
    /// - Throws: ``KafkaError`` when no answer came in time or the request as a whole failed.
    func request(
        _ operation: rd_kafka_admin_op_t,
        timeout: Duration,
        what: String,
        send: (_ options: OpaquePointer, _ queue: OpaquePointer) -> Void
    ) throws(KafkaError) -> OpaquePointer {
        guard let options = rd_kafka_AdminOptions_new(client.handle, operation) else {
            throw KafkaError(code: .other, message: "rd_kafka_AdminOptions_new failed")
        }
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errorText = [CChar](repeating: 0, count: 512)
        let milliseconds = max(1, timeout.kafkaMilliseconds)
        _ = errorText.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_AdminOptions_set_request_timeout(options, milliseconds, buffer.baseAddress, buffer.count)
        }
        if operation == RD_KAFKA_ADMIN_OP_CREATETOPICS {
            // Only requests that change the cluster have an operation timeout.
            _ = errorText.withUnsafeMutableBufferPointer { buffer in
                rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds, buffer.baseAddress, buffer.count)
            }
        }
        guard let queue = rd_kafka_queue_new(client.handle) else {
            throw KafkaError(code: .other, message: "rd_kafka_queue_new failed")
        }
        defer { rd_kafka_queue_destroy(queue) }
        send(options, queue)
        // librdkafka enforces the request timeout itself; the extra second only guards a lost event.
        guard let event = rd_kafka_queue_poll(queue, milliseconds.addingReportingOverflow(1000).partialValue) else {
            throw KafkaError(code: .timedOut, message: "\(what): no answer in time")
        }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            var detail = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            rd_kafka_event_destroy(event)
            if detail.contains("controller") {
                // librdkafka's mock cluster names no controller, so requests wait for one in vain.
                detail +=
                    " (no controller: the cluster may be librdkafka's mock, which implements neither CreateTopics nor DescribeConfigs)"
            }
            throw KafkaError.librdkafka(eventError, "cannot \(what)", detail: detail)
        }
        return event
    }

    /// Lists the cluster's topics (including internal ones such as `__consumer_offsets`).
    /// - Parameter timeout: How long to wait for a broker's answer.
    /// - Returns: The topics, sorted by name.
    /// - Throws: ``KafkaError`` (e.g. ``KafkaError/Code/timedOut``) when no broker answered.
    public func metadata(timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaTopicMetadata] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        try KafkaError.check(
            rd_kafka_metadata(client.handle, 1, nil, &metadata, timeout.kafkaMilliseconds),
            "cannot read the cluster metadata"
        )
        guard let metadata else { return [] }
        defer { rd_kafka_metadata_destroy(metadata) }
        var topics: [KafkaTopicMetadata] = []
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[index]
            guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR, let name = topic.topic else { continue }
            topics.append(KafkaTopicMetadata(name: String(cString: name), partitionCount: Int(topic.partition_cnt)))
        }
        return topics.sorted { $0.name < $1.name }
    }

    private static func makeNewTopic(_ spec: KafkaTopicSpec) throws(KafkaError) -> OpaquePointer {
        guard let partitions = Int32(exactly: spec.partitions), let replication = Int32(exactly: spec.replicationFactor)
        else {
            throw KafkaError(
                code: .invalidArgument,
                message: "topic \(spec.name): partition or replica count too large"
            )
        }
        var errorText = [CChar](repeating: 0, count: 512)
        let newTopic = errorText.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_NewTopic_new(spec.name, partitions, replication, buffer.baseAddress, buffer.count)
        }
        guard let newTopic else {
            let detail = String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(code: .invalidArgument, message: "topic \(spec.name): \(detail)")
        }
        for name in spec.config.keys.sorted() {
            let err = rd_kafka_NewTopic_set_config(newTopic, name, spec.config[name] ?? "")
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                rd_kafka_NewTopic_destroy(newTopic)
                throw KafkaError.librdkafka(err, "topic \(spec.name): config \"\(name)\"", fallback: .configuration)
            }
        }
        return newTopic
    }
}
