public import Kafka

/// Settings of `button-sink`, read once from the environment.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `PG_DSN` | libpq connection string of the database written to | required |
/// | `KAFKA_BOOTSTRAP` / `KAFKA_*` | librdkafka properties (see `KafkaConfiguration.fromEnvironment`) | required |
/// | `SCHEMA_REGISTRY_URL` | registry the writer schemas are read from | required |
/// | `SINK_TOPIC` | topic read | `button_presses` |
/// | `SINK_GROUP` | consumer group; sinks in one group share the partitions | `button-sink` |
/// | `SINK_BATCH_MAX` | events per transaction at most | 5000 |
/// | `SINK_BATCH_WAIT_MS` | how long the first event of a batch waits for others | 200 |
/// | `SINK_LAG_INTERVAL_MS` | how often the lag is logged and the status file written | 5000 |
/// | `SINK_STATUS_FILE` | file rewritten with the lag and counters (none when empty) | none |
/// | `SINK_WRITE_METHOD` | `copy` (COPY into a staging table) or `insert` (multi-row INSERT) | `copy` |
/// | `SINK_START_TIMEOUT_MS` | how long PostgreSQL and the broker may take to answer at start; 0 waits forever | 10000 |
public struct SinkConfiguration: Sendable {
    public var postgresDSN: String
    public var kafka: KafkaConfiguration
    public var registryURL: String
    public var topic: String
    public var group: String
    public var batchMax: Int
    public var batchWait: Duration
    public var lagInterval: Duration
    public var statusFile: String?
    /// How batches are written; COPY is the default because `bench/sink` measured it faster.
    public var writeMethod: SinkStore.Method
    /// How long PostgreSQL and the broker may take to answer at start; nil waits forever.
    public var startTimeout: Duration?

    /// Reads and checks the configuration.
    /// - Parameter environment: The process environment.
    /// - Throws: ``SinkConfigurationError`` naming the variable at fault (never the DSN,
    ///   which may hold a password).
    public init(environment: [String: String]) throws {
        func number(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = environment[key], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw SinkConfigurationError(
                    "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'"
                )
            }
            return value
        }
        guard let dsn = environment["PG_DSN"], !dsn.isEmpty else {
            throw SinkConfigurationError("PG_DSN must name the PostgreSQL database (a libpq connection string)")
        }
        postgresDSN = dsn
        kafka = KafkaConfiguration.fromEnvironment(environment)
        guard kafka["bootstrap.servers"]?.isEmpty == false else {
            throw SinkConfigurationError("KAFKA_BOOTSTRAP (or KAFKA_BOOTSTRAP_SERVERS) must name the Kafka brokers")
        }
        guard let registry = environment["SCHEMA_REGISTRY_URL"], !registry.isEmpty else {
            throw SinkConfigurationError("SCHEMA_REGISTRY_URL must name the schema registry")
        }
        registryURL = registry
        topic = environment["SINK_TOPIC"].flatMap { $0.isEmpty ? nil : $0 } ?? "button_presses"
        group = environment["SINK_GROUP"].flatMap { $0.isEmpty ? nil : $0 } ?? "button-sink"
        // 5000 rows of 10 columns stay far below PostgreSQL's limits and a COPY of about 1 MB.
        batchMax = try number("SINK_BATCH_MAX", 5000, 1...100_000)
        // The wait plus a transaction must stay under the 1 s a lone press may take.
        batchWait = .milliseconds(try number("SINK_BATCH_WAIT_MS", 200, 0...800))
        lagInterval = .milliseconds(try number("SINK_LAG_INTERVAL_MS", 5000, 100...3_600_000))
        statusFile = environment["SINK_STATUS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let method = environment["SINK_WRITE_METHOD"].flatMap { $0.isEmpty ? nil : $0 } ?? "copy"
        guard let writeMethod = SinkStore.Method(rawValue: method) else {
            throw SinkConfigurationError("SINK_WRITE_METHOD must be copy or insert, not '\(method)'")
        }
        self.writeMethod = writeMethod
        // A sink that cannot reach its servers at start says so and exits (its supervisor
        // restarts it); 0 keeps the old wait for an operator who prefers it.
        let start = try number("SINK_START_TIMEOUT_MS", 10_000, 0...3_600_000)
        startTimeout = start == 0 ? nil : .milliseconds(start)
    }
}

/// A configuration problem, reported before anything starts.
public struct SinkConfigurationError: Error, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension SinkConfigurationError {
    /// `PG_DSN` is not set.
    public static let missingDSN = SinkConfigurationError(
        "PG_DSN must name the PostgreSQL database (a libpq connection string)"
    )
}
