public import FastCGI
public import Logging
import Postgres
import SchemaRegistry

#if canImport(Glibc)
import Glibc
#endif

/// Settings of the `button-registry` executable, from the environment.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `REGISTRY_LISTEN` | FastCGI address: `unix:/path` or `host:port` | `unix:.run/registry.sock` |
/// | `REGISTRY_LISTEN_MODE` | octal mode of the unix socket; others get nothing | `0660` |
/// | `REGISTRY_LISTEN_GROUP` | group of the unix socket: the group nginx's workers run as | the process's group |
/// | `FCGI_WEB_SERVER_ADDRS` | IPv4 addresses of the nginx hosts allowed to connect over TCP | `127.0.0.1` for a loopback listen, else required |
/// | `REGISTRY_PG_DSN` (or `PG_DSN`) | PostgreSQL connection string | required |
/// | `REGISTRY_PROCESSES` | worker processes | 1 |
/// | `REGISTRY_THREADS` | threads per worker | 16 |
public struct RegistryConfiguration: Sendable {
    public var listen: ListenAddress
    /// Who may connect to `listen`: only nginx (see `ListenAccess`).
    public var listenAccess: ListenAccess
    public var databaseURL: String
    public var processes: Int
    public var threads: Int

    /// Reads the configuration.
    /// - Throws: `RegistryConfigurationError` naming the variable that is missing or invalid.
    public init(environment: [String: String]) throws {
        do {
            listen = try ListenAddress(parsing: environment["REGISTRY_LISTEN"] ?? "unix:.run/registry.sock")
        } catch {
            throw RegistryConfigurationError(message: "REGISTRY_LISTEN: \(error)")
        }
        do {
            listenAccess = try ListenAccess(environment: environment, prefix: "REGISTRY")
            // Checked now, so a TCP listen without allowed peers fails before anything starts.
            _ = try listenAccess.webServerAddresses(for: listen)
        } catch {
            throw RegistryConfigurationError(message: "\(error)")
        }
        guard let dsn = environment["REGISTRY_PG_DSN"] ?? environment["PG_DSN"], !dsn.isEmpty else {
            throw RegistryConfigurationError(message: "REGISTRY_PG_DSN (or PG_DSN) must name the PostgreSQL database")
        }
        databaseURL = dsn
        processes = try Self.positive(environment, "REGISTRY_PROCESSES", default: 1)
        threads = try Self.positive(environment, "REGISTRY_THREADS", default: 16)
    }

    private static func positive(_ environment: [String: String], _ key: String, default value: Int) throws -> Int {
        guard let text = environment[key] else { return value }
        guard let number = Int(text), (1...256).contains(number) else {
            throw RegistryConfigurationError(message: "\(key) must be a number from 1 to 256, not '\(text)'")
        }
        return number
    }
}

/// A configuration problem, reported before anything starts.
public struct RegistryConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Runs the registry: as the master (migrate, then supervise workers) or as one worker.
public enum RegistryApp {
    /// Runs until SIGTERM/SIGINT.
    /// - Throws: configuration, database or socket errors that prevent starting.
    public static func run(configuration: RegistryConfiguration, logger: Logger) throws {
        if let fd = WorkerPool.inheritedListenFD {
            try runWorker(listenFD: fd, configuration: configuration, logger: logger)
            return
        }
        // Migrate once, before any worker takes requests.
        let connection = try PostgresConnection(dsn: configuration.databaseURL, logger: logger)
        try PostgresRegistryStore.migrate(connection)
        connection.close()
        try WorkerPool.runMaster(
            address: configuration.listen,
            access: configuration.listenAccess,
            configuration: WorkerPoolConfiguration(processes: configuration.processes),
            logger: logger
        )
    }

    static func runWorker(listenFD: Int32, configuration: RegistryConfiguration, logger: Logger) throws {
        // Before any thread exists (librdkafka's, Foundation's): see blockTerminationSignals.
        FastCGIServer.blockTerminationSignals()
        var workerLogger = logger
        workerLogger[metadataKey: "worker"] = "\(getpid())"
        let server = FastCGIServer(
            listenFD: listenFD,
            configuration: FastCGIServerConfiguration(threads: configuration.threads, maxBodyBytes: 1 << 20),
            logger: workerLogger
        )
        let dsn = configuration.databaseURL
        try server.run { [workerLogger] _ in
            RegistryHandler(dsn: dsn, logger: workerLogger)
        }
    }
}

/// One thread's registry handler, owning its PostgreSQL connection.
///
/// The connection is opened on first use and reopened after a failure, so the registry
/// starts (and recovers) while PostgreSQL is unavailable and answers 500 meanwhile.
struct RegistryHandler: FastCGIHandler {
    let dsn: String
    let logger: Logger
    private var connection: PostgresConnection?

    init(dsn: String, logger: Logger) {
        self.dsn = dsn
        self.logger = logger
    }

    mutating func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        guard let connection = openConnection() else { return RegistryRouter.response(for: .storeFailed()) }
        let store = PostgresRegistryStore(connection: connection)
        let router = RegistryRouter(service: RegistryService(store: store, logger: logger))
        return router.handle(request)
    }

    /// The thread's connection, opened now if it is not open yet; nil when PostgreSQL is out of reach.
    private mutating func openConnection() -> PostgresConnection? {
        if let connection { return connection }
        do {
            let opened = try PostgresConnection(dsn: dsn, logger: logger)
            connection = opened
            return opened
        } catch {
            logger.error("registry cannot reach PostgreSQL", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
