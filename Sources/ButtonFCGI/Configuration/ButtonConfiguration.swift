public import FastCGI
import Foundation
public import Geolocation
public import Kafka
public import PoolStatus
import PressPublishing

/// Settings of the `button-fcgi` worker pool, read once from the environment.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `BUTTON_LISTEN` | FastCGI socket: `unix:/path` or `host:port` | `unix:.run/button.sock` |
/// | `BUTTON_LISTEN_MODE` | octal mode of the unix socket; others get nothing | `0660` |
/// | `BUTTON_LISTEN_GROUP` | group of the unix socket: the group nginx's workers run as | the process's group |
/// | `FCGI_WEB_SERVER_ADDRS` | IPv4 addresses of the nginx hosts allowed to connect over TCP | `127.0.0.1` for a loopback listen, else required |
/// | `BUTTON_PROCESSES` | worker processes (N) | 2 |
/// | `BUTTON_THREADS` | threads per worker (M); each serves one nginx connection | 128 |
/// | `BUTTON_PROCESSES_MIN` / `BUTTON_PROCESSES_MAX` | bounds of TTOU/TTIN scaling and of the dynamic mode | 1 / 64 |
/// | `BUTTON_PM` | `static`: N processes unless scaled by TTIN/TTOU; `dynamic`: the master starts and drains processes to keep the idle threads between the spare bounds (PHP-FPM's `pm`); TTIN/TTOU are refused | `static` |
/// | `BUTTON_MIN_SPARE_THREADS` | dynamic: fewer idle threads start a process (at once, faster while the shortage lasts) | `BUTTON_THREADS` / 2 |
/// | `BUTTON_MAX_SPARE_THREADS` | dynamic: more idle threads for 10 s drain one process (never below the minimum spare threads) | 2 × `BUTTON_THREADS` |
/// | `BUTTON_KEEPALIVE` | nginx's upstream `keepalive` for this pool: N × M must exceed it × `BUTTON_NGINX_WORKERS`, at start and on every scale (keep-connection trap); 0: unchecked | 0 |
/// | `BUTTON_NGINX_WORKERS` | nginx's `worker_processes` (each keeps its own connections) | 1 |
/// | `BUTTON_MAX_REQUESTS` | a worker exits gracefully after about this many requests (up to 10 % more) and is replaced (`pm.max_requests`); 0: never | 0 |
/// | `BUTTON_DRAIN_TIMEOUT_MS` | how long a draining worker (TTOU, reload, upgrade, recycling, TERM) answers on the connections nginx keeps to it, waiting for nginx to close them, before cutting the rest; above nginx's upstream `keepalive_time` + `keepalive_timeout` + a request's longest time; 0: cut at once | 15000 |
/// | `BUTTON_FCGI_READ_TIMEOUT_MS` | the longest a worker thread waits on one nginx connection for a whole request to arrive (the idle wait on a kept connection included) or for its answer to be taken; past it the connection is shut down and the thread freed (libfcgi itself never times out: half a record would hold a thread for good). Keep it above nginx's upstream `keepalive_timeout`, so nginx always closes an idle kept connection first | 15000 |
/// | `BUTTON_ENV_FILE` | a file of `KEY=value` lines read over the environment at start and again on SIGHUP | none |
/// | `KAFKA_BOOTSTRAP` / `KAFKA_*` | librdkafka properties (see `KafkaConfiguration.fromEnvironment`) | required |
/// | `KAFKA_LINGER_MS` | librdkafka `linger.ms` | 0.5 |
/// | `KAFKA_RECONNECT_BACKOFF_MAX_MS` | librdkafka `reconnect.backoff.max.ms`: the longest wait before reconnecting to a broker that went away; presses are 503 until then | 1000 |
/// | `BUTTON_TOPIC` | topic | `button_presses` |
/// | `SCHEMA_REGISTRY_URL` | registry, credentials in the URL if needed | required |
/// | `BUTTON_SESSION_SECRET_FILE` | file holding the cookie signing secret (≥ 32 bytes) | required |
/// | `BUTTON_ACK_TIMEOUT_MS` | wait for Kafka's acknowledgement before a 503 | 2000 |
/// | `BUTTON_RETRY_AFTER` | `Retry-After` seconds of a 503 | 5 |
/// | `BUTTON_COHORTS` | cohorts to spread sessions over | 1 |
/// | `BUTTON_BOT_PRESSES_PER_SECOND` | a session with more presses than this within a second is marked `is_bot`; 0 never marks | 20 |
/// | `BUTTON_SECURE_COOKIES` | `1`: always `Secure` (TLS ends before nginx) | 0 |
/// | `BUTTON_FAKE_LOCATIONS` | `1`: private/loopback clients get a random public place | 0 |
/// | `BUTTON_FAKE_SEED` | seed of those fake places | 0 |
/// | `GEOIP_*` | offline geolocation database (see `GeolocationConfiguration`) | libloc |
/// | `BUTTON_METRICS` | `0`: record no per-request figures (status shows processes only) | 1 |
/// | `BUTTON_STATUS_ALLOW` | networks allowed to read `/status` (comma-separated CIDRs), checked on `REMOTE_ADDR` | `127.0.0.0/8,::1` |
/// | `BUTTON_CONSUMER_STATUS_FILES` | consumers' status files shown on `/status`: `name=path,…` | none |
/// | `BUTTON_SLOW_REQUEST_MS` | log requests at least this slow, with their phases; 0: off | 1000 |
/// | `BUTTON_REQUEST_TIMEOUT_MS` | a request's whole budget: 503 past it, the Kafka wait never longer; 0: off | 5000 |
/// | `KAFKA_STATISTICS_INTERVAL_MS` | librdkafka statistics for `/status` (with metrics on) | 5000 |
public struct ButtonConfiguration: Sendable {
    public var listen: ListenAddress
    /// Who may connect to `listen`: only nginx (see `ListenAccess`).
    public var listenAccess: ListenAccess
    public var processes: Int
    public var threads: Int
    /// Scaling bounds and the keep-connection guard.
    public var limits: PoolLimits
    /// The dynamic mode's spare threads (`BUTTON_PM=dynamic`); nil: static.
    public var dynamic: DynamicPoolSettings?
    /// Requests after which a worker is recycled; 0: never.
    public var maxRequests: Int
    /// How long a draining worker waits for nginx to close the connections it keeps.
    public var drainTimeout: Duration
    /// How long a request may take to arrive on a connection, or its answer to be taken.
    public var readTimeout: Duration
    public var kafka: KafkaConfiguration
    public var topic: String
    public var registryURL: String
    public var sessionSecret: [UInt8]
    public var ackTimeout: Duration
    public var retryAfterSeconds: Int
    public var cohorts: Int32
    /// More presses than this within one second mark a session as a bot (0: never).
    public var botPressesPerSecond: UInt32
    public var secureCookies: Bool
    public var fakeLocations: Bool
    public var fakeSeed: UInt64
    public var geolocation: GeolocationConfiguration
    /// Whether workers record per-request figures in the scoreboard.
    public var metrics: Bool
    /// Who may read `/status`.
    public var statusAllow: AddressAllowList
    /// Consumers' status files shown on `/status`.
    public var consumerStatusFiles: [(name: String, path: String)]
    /// Requests at least this slow are logged; nil: none.
    public var slowRequestThreshold: Duration?
    /// A request's whole budget; nil: only the ack timeout bounds it.
    public var requestTimeout: Duration?

    /// Reads and checks the configuration.
    /// - Throws: `ButtonConfigurationError` naming the variable at fault (never its value
    ///   when it is secret).
    public init(environment: [String: String]) throws {
        func number(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = environment[key], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw ButtonConfigurationError(
                    "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'"
                )
            }
            return value
        }
        func flag(_ key: String) throws -> Bool {
            switch environment[key]?.lowercased() ?? "0" {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off", "": return false
            default: throw ButtonConfigurationError("\(key) must be 1 or 0")
            }
        }
        do {
            listen = try ListenAddress(parsing: environment["BUTTON_LISTEN"] ?? "unix:.run/button.sock")
        } catch {
            throw ButtonConfigurationError("BUTTON_LISTEN: \(error)")
        }
        do {
            listenAccess = try ListenAccess(environment: environment, prefix: "BUTTON")
            // Checked now, so a TCP listen without allowed peers fails before anything starts.
            _ = try listenAccess.webServerAddresses(for: listen)
        } catch {
            throw ButtonConfigurationError("\(error)")
        }
        processes = try number("BUTTON_PROCESSES", 2, 1...64)
        threads = try number("BUTTON_THREADS", 128, 1...1024)
        let minimum = try number("BUTTON_PROCESSES_MIN", 1, 1...64)
        let maximum = try number("BUTTON_PROCESSES_MAX", 64, 1...64)
        guard minimum <= processes, processes <= maximum else {
            throw ButtonConfigurationError(
                "BUTTON_PROCESSES (\(processes)) must lie within BUTTON_PROCESSES_MIN (\(minimum)) and BUTTON_PROCESSES_MAX (\(maximum))"
            )
        }
        let keepalive = try number("BUTTON_KEEPALIVE", 0, 0...100_000)
        let nginxWorkers = try number("BUTTON_NGINX_WORKERS", 1, 1...1024)
        limits = PoolLimits(
            minimum: minimum,
            maximum: maximum,
            threadsPerProcess: threads,
            keptConnections: keepalive * nginxWorkers
        )
        if let problem = limits.problem(with: processes) {
            throw ButtonConfigurationError("BUTTON_PROCESSES × BUTTON_THREADS: \(problem)")
        }
        switch environment["BUTTON_PM"] ?? "" {
        case "", "static":
            dynamic = nil
        case "dynamic":
            let spare = DynamicPoolSettings.defaultSpareThreads(threads: threads, maximumProcesses: maximum)
            let settings = DynamicPoolSettings(
                minSpareThreads: try number("BUTTON_MIN_SPARE_THREADS", spare.minimum, 1...1_000_000),
                maxSpareThreads: try number("BUTTON_MAX_SPARE_THREADS", spare.maximum, 1...1_000_000)
            )
            if let problem = settings.problem(limits: limits) { throw ButtonConfigurationError(problem) }
            dynamic = settings
        case let other:
            throw ButtonConfigurationError(
                "BUTTON_PM must be static or dynamic (ondemand is not built), not '\(other)'"
            )
        }
        maxRequests = try number("BUTTON_MAX_REQUESTS", 0, 0...1_000_000_000)
        drainTimeout = .milliseconds(try number("BUTTON_DRAIN_TIMEOUT_MS", 15_000, 0...600_000))
        readTimeout = .milliseconds(try number("BUTTON_FCGI_READ_TIMEOUT_MS", 15_000, 100...3_600_000))
        // Shared with the generator, so generated traffic is produced exactly as presses are.
        kafka = PressProducerSettings.configuration(environment: environment)
        guard kafka["bootstrap.servers"]?.isEmpty == false else {
            throw ButtonConfigurationError("KAFKA_BOOTSTRAP (or KAFKA_BOOTSTRAP_SERVERS) must name the Kafka brokers")
        }
        topic = environment["BUTTON_TOPIC"] ?? "button_presses"
        guard let registry = environment["SCHEMA_REGISTRY_URL"], !registry.isEmpty else {
            throw ButtonConfigurationError("SCHEMA_REGISTRY_URL must name the schema registry")
        }
        registryURL = registry
        guard let secretFile = environment["BUTTON_SESSION_SECRET_FILE"], !secretFile.isEmpty else {
            throw ButtonConfigurationError("BUTTON_SESSION_SECRET_FILE must name a file with the cookie secret")
        }
        guard let secret = FileManager.default.contents(atPath: secretFile) else {
            throw ButtonConfigurationError("cannot read the session secret file \(secretFile)")
        }
        let trimmed = Array(secret).filter { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        guard trimmed.count >= 32 else {
            throw ButtonConfigurationError("the session secret in \(secretFile) must be at least 32 bytes")
        }
        sessionSecret = trimmed
        ackTimeout = .milliseconds(try number("BUTTON_ACK_TIMEOUT_MS", 2000, 50...60_000))
        retryAfterSeconds = try number("BUTTON_RETRY_AFTER", 5, 1...3600)
        cohorts = Int32(try number("BUTTON_COHORTS", 1, 1...1000))
        botPressesPerSecond = UInt32(try number("BUTTON_BOT_PRESSES_PER_SECOND", 20, 0...100_000))
        secureCookies = try flag("BUTTON_SECURE_COOKIES")
        fakeLocations = try flag("BUTTON_FAKE_LOCATIONS")
        guard let seed = UInt64(environment["BUTTON_FAKE_SEED"] ?? "0") else {
            throw ButtonConfigurationError("BUTTON_FAKE_SEED must be a whole number")
        }
        fakeSeed = seed
        geolocation = GeolocationConfiguration(environment: environment)
        metrics = (environment["BUTTON_METRICS"] ?? "").isEmpty ? true : try flag("BUTTON_METRICS")
        do {
            statusAllow = try environment["BUTTON_STATUS_ALLOW"].map { try AddressAllowList(parsing: $0) } ?? .loopback
        } catch {
            throw ButtonConfigurationError("BUTTON_STATUS_ALLOW: \(error)")
        }
        consumerStatusFiles = try (environment["BUTTON_CONSUMER_STATUS_FILES"] ?? "").split(separator: ",").map {
            let parts = $0.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("/") else {
                throw ButtonConfigurationError(
                    "BUTTON_CONSUMER_STATUS_FILES must be name=/absolute/path pairs separated by commas, not '\($0)'"
                )
            }
            return (name: parts[0], path: parts[1])
        }
        let slow = try number("BUTTON_SLOW_REQUEST_MS", 1000, 0...600_000)
        slowRequestThreshold = slow == 0 ? nil : .milliseconds(slow)
        let budget = try number("BUTTON_REQUEST_TIMEOUT_MS", 5000, 0...60_000)
        if budget != 0 && budget < 10 {
            throw ButtonConfigurationError(
                "BUTTON_REQUEST_TIMEOUT_MS must be 0 (off) or from 10 to 60000, not '\(budget)'"
            )
        }
        requestTimeout = budget == 0 ? nil : .milliseconds(budget)
        if metrics && kafka["statistics.interval.ms"] == nil { kafka["statistics.interval.ms"] = "5000" }
    }

    /// How long librdkafka keeps trying to deliver an event: never longer than the client
    /// waits for it, so a press the client was told failed rarely shows up later.
    public var messageTimeout: Duration { min(ackTimeout, requestTimeout ?? ackTimeout) }
}

/// A configuration problem, reported before anything starts.
public struct ButtonConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ButtonConfiguration {
    /// The environment with the file named by `BUTTON_ENV_FILE` (if any) read over it.
    /// - Throws: `ButtonConfigurationError` when the file cannot be read or has a bad line.
    public static func environment(overlaying base: [String: String]) throws -> [String: String] {
        guard let path = base[EnvironmentFile.variable], !path.isEmpty else { return base }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ButtonConfigurationError("cannot read \(EnvironmentFile.variable) \(path)")
        }
        do {
            let settings = try EnvironmentFile.parse(String(decoding: data, as: UTF8.self))
            return base.merging(settings) { $1 }
        } catch {
            throw ButtonConfigurationError("\(EnvironmentFile.variable) \(path): \(error)")
        }
    }
}
