internal import CRdKafka

extension KafkaAdmin {
    /// Reads topics' configs back from the cluster (the DescribeConfigs request).
    ///
    /// librdkafka sends DescribeConfigs for topics to the controller. librdkafka's mock cluster
    /// names no controller (its metadata says broker 0; its brokers are 1…n) and does not
    /// implement the request: against it this throws ``KafkaError/Code/timedOut`` once `timeout`
    /// has passed. ``describeCluster(timeout:)`` tells that case apart beforehand.
    /// - Parameters:
    ///   - topics: The topic names.
    ///   - timeout: Upper bound for the request.
    /// - Returns: Each topic's configs by name, every config the broker reports (defaults too).
    /// - Throws: ``KafkaError`` when the request fails, or naming each topic the broker could not
    ///   describe (e.g. ``KafkaError/Code/unknownTopic``).
    public func describeTopicConfigs(
        _ topics: [String],
        timeout: Duration = .seconds(30)
    ) throws(KafkaError) -> [String: [String: KafkaConfigEntry]] {
        guard !topics.isEmpty else { return [:] }
        var resources: [OpaquePointer?] = []
        defer {
            for resource in resources { rd_kafka_ConfigResource_destroy(resource) }
        }
        for topic in topics {
            guard let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic) else {
                throw KafkaError(code: .invalidArgument, message: "topic \(topic): not a valid config resource")
            }
            resources.append(resource)
        }
        let names = topics.joined(separator: ", ")
        let event = try request(
            RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
            timeout: timeout,
            what: "describe the configs of \(names)"
        ) { options, queue in
            resources.withUnsafeMutableBufferPointer { buffer in
                rd_kafka_DescribeConfigs(client.handle, buffer.baseAddress, buffer.count, options, queue)
            }
        }
        defer { rd_kafka_event_destroy(event) }
        guard let result = rd_kafka_event_DescribeConfigs_result(event) else {
            throw KafkaError(code: .other, message: "describing \(names) returned an unexpected event")
        }
        var count = 0
        guard let described = rd_kafka_DescribeConfigs_result_resources(result, &count) else { return [:] }
        var configs: [String: [String: KafkaConfigEntry]] = [:]
        var failures: [KafkaError] = []
        for index in 0..<count {
            guard let resource = described[index] else { continue }
            let name = String(cString: rd_kafka_ConfigResource_name(resource))
            let err = rd_kafka_ConfigResource_error(resource)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                let detail = rd_kafka_ConfigResource_error_string(resource).map { String(cString: $0) }
                failures.append(.librdkafka(err, "cannot describe the configs of \(name)", detail: detail))
                continue
            }
            var entryCount = 0
            var entries: [String: KafkaConfigEntry] = [:]
            if let list = rd_kafka_ConfigResource_configs(resource, &entryCount) {
                for entryIndex in 0..<entryCount {
                    guard let entry = list[entryIndex] else { continue }
                    let value = Self.entry(entry)
                    entries[value.name] = value
                }
            }
            configs[name] = entries
        }
        try KafkaError.throwIfAny(failures)
        return configs
    }

    private static func entry(_ entry: OpaquePointer) -> KafkaConfigEntry {
        let source = rd_kafka_ConfigEntry_source(entry)
        return KafkaConfigEntry(
            name: String(cString: rd_kafka_ConfigEntry_name(entry)),
            // A sensitive value is never sent by the broker: nil, like an unset one.
            value: rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) },
            source: rd_kafka_ConfigSource_name(source).map { String(cString: $0) } ?? "\(source.rawValue)",
            isDefault: rd_kafka_ConfigEntry_is_default(entry) != 0,
            isSensitive: rd_kafka_ConfigEntry_is_sensitive(entry) != 0
        )
    }
}

/// One config of a resource as the broker reports it (DescribeConfigs).
public struct KafkaConfigEntry: Sendable, Hashable {
    /// The config's name, e.g. `retention.ms`.
    public let name: String
    /// Its value; nil when unset or sensitive (brokers never send sensitive values).
    public let value: String?
    /// Where the value comes from, librdkafka's name for it: `DYNAMIC_TOPIC_CONFIG` for a value
    /// set on the topic, `DEFAULT_CONFIG`, `STATIC_BROKER_CONFIG`, …
    public let source: String
    /// Whether the value is the default.
    public let isDefault: Bool
    /// Whether the value is sensitive.
    public let isSensitive: Bool

    /// Creates an entry.
    /// - Parameters:
    ///   - name: The config's name.
    ///   - value: Its value, nil when unset or sensitive.
    ///   - source: Where the value comes from.
    ///   - isDefault: Whether it is the default.
    ///   - isSensitive: Whether it is sensitive.
    public init(name: String, value: String?, source: String, isDefault: Bool = false, isSensitive: Bool = false) {
        self.name = name
        self.value = value
        self.source = source
        self.isDefault = isDefault
        self.isSensitive = isSensitive
    }
}
