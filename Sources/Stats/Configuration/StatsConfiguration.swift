public import FastCGI
public import Foundation
public import Kafka

/// Settings of the `button-stats` pool, read once from the environment.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `STATS_LISTEN` | FastCGI socket: `unix:/path` or `host:port` | `unix:.run/stats.sock` |
/// | `STATS_LISTEN_MODE`, `STATS_LISTEN_GROUP` | unix socket mode and group (nginx's) | `0660`, the process's group |
/// | `STATS_PROCESSES` | worker processes (each has its own panel cache and asks the stores itself) | 1 |
/// | `STATS_THREADS` | threads per worker; each serves one nginx connection | 64 |
/// | `PG_DSN` | PostgreSQL (point lookups: this session, latest events) | required |
/// | `CLICKHOUSE_URL` | ClickHouse's HTTP interface (aggregates) | required |
/// | `STATS_QUERY_TIMEOUT_MS` | how long a request waits for a store before a partial page | 2000 |
/// | `STATS_LOAD_TIMEOUT_MS` | how long a panel's queries may run in the background | 30000 |
/// | `STATS_CACHE_MS` | how long a panel's result is reused; 0 runs every request's queries | 2000 |
/// | `STATS_CLICKHOUSE_FINAL` | `1`: aggregates read `FINAL` (exact before merges, ten times the cost) | 0 |
/// | `STATS_STREAM_SIZE` | events the live stream shows | 15 |
/// | `STATS_MAP_FILE` | projected country shapes (`scripts/fetch-map`) | `static/vendor/world-110m.json` |
/// | `KAFKA_BOOTSTRAP` / `KAFKA_*` | librdkafka properties of the live tail | required |
/// | `BUTTON_TOPIC` | the press topic the live tail reads | `button_presses` |
/// | `SCHEMA_REGISTRY_URL` | registry, to decode the tail's events | required |
/// | `BUTTON_SESSION_SECRET_FILE` | the cookie secret, to read "this session" from the press cookie | required |
public struct StatsConfiguration: Sendable {
    public var listen: ListenAddress
    public var listenAccess: ListenAccess
    public var processes: Int
    public var threads: Int
    public var postgresDSN: String
    public var clickHouseURL: URL
    public var queryTimeout: Duration
    public var loadTimeout: Duration
    public var cacheLifetime: Duration
    public var clickHouseFinal: Bool
    public var streamSize: Int
    public var mapFile: String
    public var kafka: KafkaConfiguration
    public var topic: String
    public var registryURL: String
    public var sessionSecret: [UInt8]

    /// Reads and checks the configuration.
    /// - Throws: `StatsConfigurationError` naming the variable at fault (never a secret's value).
    public init(environment: [String: String]) throws {
        func number(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = environment[key], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw StatsConfigurationError(
                    "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'"
                )
            }
            return value
        }
        func required(_ key: String, _ what: String) throws -> String {
            guard let value = environment[key], !value.isEmpty else {
                throw StatsConfigurationError("\(key) must name \(what)")
            }
            return value
        }
        do {
            listen = try ListenAddress(parsing: environment["STATS_LISTEN"] ?? "unix:.run/stats.sock")
            listenAccess = try ListenAccess(environment: environment, prefix: "STATS")
            _ = try listenAccess.webServerAddresses(for: listen)
        } catch {
            throw StatsConfigurationError("STATS_LISTEN: \(error)")
        }
        processes = try number("STATS_PROCESSES", 1, 1...64)
        threads = try number("STATS_THREADS", 64, 1...1024)
        postgresDSN = try required("PG_DSN", "the PostgreSQL database")
        let clickHouse = try required("CLICKHOUSE_URL", "ClickHouse's HTTP interface, e.g. http://127.0.0.1:8123")
        guard let url = URL(string: clickHouse), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw StatsConfigurationError("CLICKHOUSE_URL must be an http(s) URL, e.g. http://127.0.0.1:8123")
        }
        clickHouseURL = url
        queryTimeout = .milliseconds(try number("STATS_QUERY_TIMEOUT_MS", 2000, 50...60_000))
        // A query may take longer than a request waits: it finishes in the background and
        // serves the next requests (millions of events take seconds on ClickHouse 18.16).
        loadTimeout = .milliseconds(try number("STATS_LOAD_TIMEOUT_MS", 30_000, 100...600_000))
        cacheLifetime = .milliseconds(try number("STATS_CACHE_MS", 2000, 0...3_600_000))
        switch environment["STATS_CLICKHOUSE_FINAL"] ?? "0" {
        case "1", "true", "yes", "on": clickHouseFinal = true
        case "0", "false", "no", "off", "": clickHouseFinal = false
        default: throw StatsConfigurationError("STATS_CLICKHOUSE_FINAL must be 1 or 0")
        }
        streamSize = try number("STATS_STREAM_SIZE", 15, 1...200)
        mapFile = environment["STATS_MAP_FILE"] ?? "static/vendor/world-110m.json"
        kafka = KafkaConfiguration.fromEnvironment(environment)
        guard kafka["bootstrap.servers"]?.isEmpty == false else {
            throw StatsConfigurationError("KAFKA_BOOTSTRAP (or KAFKA_BOOTSTRAP_SERVERS) must name the Kafka brokers")
        }
        topic = environment["BUTTON_TOPIC"] ?? "button_presses"
        registryURL = try required("SCHEMA_REGISTRY_URL", "the schema registry")
        let secretFile = try required("BUTTON_SESSION_SECRET_FILE", "a file with the cookie secret")
        guard let secret = FileManager.default.contents(atPath: secretFile) else {
            throw StatsConfigurationError("cannot read the session secret file \(secretFile)")
        }
        sessionSecret = Array(secret).filter { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        guard sessionSecret.count >= 32 else {
            throw StatsConfigurationError("the session secret in \(secretFile) must be at least 32 bytes")
        }
    }
}

/// A configuration problem, reported before anything starts.
public struct StatsConfigurationError: Error, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
