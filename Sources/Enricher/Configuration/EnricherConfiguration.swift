public import Kafka
import Places

/// Settings of `button-enrich`, read once from the environment.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `KAFKA_BOOTSTRAP` / `KAFKA_*` | librdkafka properties for the consumer and the producer | required |
/// | `SCHEMA_REGISTRY_URL` | registry the writer schemas are read from | required |
/// | `ENRICH_SOURCE_TOPIC` | topic read | `button_presses` |
/// | `ENRICH_TARGET_TOPIC` | topic the enriched JSON goes to | `button_presses_enriched` |
/// | `ENRICH_DEAD_LETTER_TOPIC` | topic for messages that cannot be enriched | `button_presses_enriched_dead_letters` |
/// | `ENRICH_GROUP` | consumer group; enrichers in one group share the partitions | `button-enrich` |
/// | `ENRICH_COMMIT_INTERVAL_MS` | how often acknowledged positions are committed | 1000 |
/// | `ENRICH_MAX_IN_FLIGHT` | produced messages awaiting their acknowledgement, at most | 50000 |
/// | `ENRICH_DELIVERY_TIMEOUT_MS` | how long the producer retries a message before it is read again | 30000 |
/// | `ENRICH_LAG_INTERVAL_MS` | how often the lag is logged and the status file written | 5000 |
/// | `ENRICH_STATUS_FILE` | file rewritten with the lag and counters (none when empty) | none |
/// | `ENRICH_ZONE_TAB` | tzdata's zone table | `/usr/share/zoneinfo/zone.tab` |
/// | `ENRICH_START_TIMEOUT_MS` | how long the broker may take to answer at start; 0 waits forever | 10000 |
///
/// The producer's `linger.ms` is 5 unless `KAFKA_LINGER_MS` says otherwise: the enricher
/// waits for no single acknowledgement, so batching costs it nothing.
public struct EnricherConfiguration: Sendable {
    public var kafka: KafkaConfiguration
    public var registryURL: String
    public var sourceTopic: String
    public var targetTopic: String
    public var deadLetterTopic: String
    public var group: String
    public var commitInterval: Duration
    public var maxInFlight: Int
    public var deliveryTimeout: Duration
    public var lagInterval: Duration
    public var statusFile: String?
    public var zoneTab: String
    /// How long the broker may take to answer at start; nil waits forever.
    public var startTimeout: Duration?

    /// The producer's properties: the common ones plus `linger.ms`.
    public var producerKafka: KafkaConfiguration {
        var configuration = kafka
        if configuration["linger.ms"] == nil && configuration["queue.buffering.max.ms"] == nil {
            configuration.properties["linger.ms"] = "5"
        }
        return configuration
    }

    /// Reads and checks the configuration.
    /// - Parameter environment: The process environment.
    /// - Throws: ``EnricherConfigurationError`` naming the variable at fault.
    public init(environment: [String: String]) throws(EnricherConfigurationError) {
        func number(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws(EnricherConfigurationError) -> Int
        {
            guard let text = environment[key], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw EnricherConfigurationError(
                    "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'"
                )
            }
            return value
        }
        func text(_ key: String, _ fallback: String) throws(EnricherConfigurationError) -> String {
            guard let value = environment[key], !value.isEmpty else { return fallback }
            // Kafka topic and group names: letters, digits, '.', '_', '-'.
            guard value.count <= 249,
                value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
            else {
                throw EnricherConfigurationError("\(key) must be a Kafka name (letters, digits, . _ -), not '\(value)'")
            }
            return value
        }
        kafka = KafkaConfiguration.fromEnvironment(environment)
        guard kafka["bootstrap.servers"]?.isEmpty == false else {
            throw EnricherConfigurationError("KAFKA_BOOTSTRAP (or KAFKA_BOOTSTRAP_SERVERS) must name the Kafka brokers")
        }
        guard let registry = environment["SCHEMA_REGISTRY_URL"], !registry.isEmpty else {
            throw EnricherConfigurationError("SCHEMA_REGISTRY_URL must name the schema registry")
        }
        registryURL = registry
        sourceTopic = try text("ENRICH_SOURCE_TOPIC", "button_presses")
        targetTopic = try text("ENRICH_TARGET_TOPIC", "button_presses_enriched")
        deadLetterTopic = try text("ENRICH_DEAD_LETTER_TOPIC", "button_presses_enriched_dead_letters")
        group = try text("ENRICH_GROUP", "button-enrich")
        // Writing into the topic it reads would feed the enricher its own output forever.
        guard targetTopic != sourceTopic else {
            throw EnricherConfigurationError(
                "ENRICH_TARGET_TOPIC must differ from ENRICH_SOURCE_TOPIC ('\(sourceTopic)')"
            )
        }
        guard deadLetterTopic != sourceTopic && deadLetterTopic != targetTopic else {
            throw EnricherConfigurationError(
                "ENRICH_DEAD_LETTER_TOPIC must differ from ENRICH_SOURCE_TOPIC and ENRICH_TARGET_TOPIC"
            )
        }
        commitInterval = .milliseconds(try number("ENRICH_COMMIT_INTERVAL_MS", 1000, 10...600_000))
        maxInFlight = try number("ENRICH_MAX_IN_FLIGHT", 50_000, 1...1_000_000)
        deliveryTimeout = .milliseconds(try number("ENRICH_DELIVERY_TIMEOUT_MS", 30_000, 1000...3_600_000))
        lagInterval = .milliseconds(try number("ENRICH_LAG_INTERVAL_MS", 5000, 100...3_600_000))
        statusFile = environment["ENRICH_STATUS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        zoneTab = environment["ENRICH_ZONE_TAB"].flatMap { $0.isEmpty ? nil : $0 } ?? ZoneTable.systemPath
        let start = try number("ENRICH_START_TIMEOUT_MS", 10_000, 0...3_600_000)
        startTimeout = start == 0 ? nil : .milliseconds(start)
    }
}

/// A configuration problem, reported before anything starts.
public struct EnricherConfigurationError: Error, CustomStringConvertible, Equatable {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
