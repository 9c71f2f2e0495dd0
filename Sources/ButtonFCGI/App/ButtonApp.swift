import ButtonEvents
import FastCGI
import Foundation
import Geolocation
import Kafka
public import Logging
import POSIXSupport
import PoolStatus
import PressPublishing
import SchemaRegistry
import Session

#if canImport(Glibc)
import Glibc
#endif

/// Runs the press workers: the master process, or one worker.
///
/// The master registers the event schema once (so a worker restart never depends on the
/// registry), passes the id to the workers in `BUTTON_SCHEMA_ID`, and supervises them.
/// Each worker opens its own Kafka producer and geolocation database and serves until
/// SIGTERM, then finishes in-flight requests and flushes the producer.
public enum ButtonApp {
    static let schemaIDVariable = "BUTTON_SCHEMA_ID"
    /// What a draining worker is called in `ps` and `pgrep` (15 bytes at most).
    public static let drainingProcessName = "button-draining"

    /// Runs until SIGTERM/SIGINT.
    ///
    /// The master reads `BUTTON_ENV_FILE` again on SIGHUP (over the environment it started
    /// with), checks the result as at start, and hands it to the workers it starts from then
    /// on; a reload whose settings don't check out is refused and the pool keeps serving.
    /// The listen address and the schema id are the master's for its whole life.
    /// - Parameters:
    ///   - configuration: the settings.
    ///   - environment: the environment they were read from (the process's when nil); the
    ///     workers get it.
    ///   - logger: where the master's and the workers' events go.
    /// - Throws: what prevents starting: configuration, registry, Kafka or socket errors.
    public static func run(
        configuration: ButtonConfiguration,
        environment: [String: String]? = nil,
        logger: Logger
    ) throws {
        if let fd = WorkerPool.inheritedListenFD {
            try runWorker(listenFD: fd, configuration: configuration, logger: logger)
            return
        }
        let started = environment ?? ProcessInfo.processInfo.environment
        // The listening socket first: one handed over by systemd or spawn-fcgi wins over BUTTON_LISTEN.
        let listen = try ListenSource.resolve(address: configuration.listen, environment: started)
        // Fail fast on a broken geolocation setup before spawning anything.
        _ = try configuration.geolocation.makeGeolocator()
        let schemaID = try registerSchema(configuration: configuration, logger: logger)
        logger.info("event schema registered", metadata: ["subject": "\(PressEvent.subject)", "id": "\(schemaID)"])
        // The scoreboard of /status: made here, inherited by every worker the pool spawns
        // (its descriptor is not close-on-exec, and its number travels in the workers'
        // environment), so WorkerPool needs to know nothing of it.
        let board = try Scoreboard.create(layout: PressMetrics.layout(), metricsEnabled: configuration.metrics)
        // Read again on every reload: the environment the master started with, under the file.
        let original = ProcessInfo.processInfo.environment
        func workerEnvironment(_ environment: [String: String]) -> [String: String] {
            var environment = environment
            environment[schemaIDVariable] = String(schemaID)
            environment[Scoreboard.descriptorVariable] = String(board.descriptor)
            // The workers use what the master checked; they don't read the file themselves.
            environment.removeValue(forKey: EnvironmentFile.variable)
            // glibc gives busy threads malloc arenas of their own (up to 8 per core); the request
            // threads allocate little, and two arenas keep a worker's resident memory down. Read
            // by glibc when a worker starts; an operator's own setting wins.
            if environment["MALLOC_ARENA_MAX"] == nil { environment["MALLOC_ARENA_MAX"] = "2" }
            return environment
        }
        let reload = { () throws -> WorkerPoolReload in
            let environment = try ButtonConfiguration.environment(overlaying: original)
            let next = try ButtonConfiguration(environment: environment)
            _ = try next.geolocation.makeGeolocator()
            if next.listen != configuration.listen {
                logger.warning("BUTTON_LISTEN changed; the socket stays until the master restarts")
            }
            logger.info(
                "configuration read again",
                metadata: ["processes": "\(next.processes)", "threads": "\(next.threads)"]
            )
            return WorkerPoolReload(environment: workerEnvironment(environment), configuration: poolSettings(next))
        }
        try WorkerPool.runMaster(
            listen: listen,
            access: configuration.listenAccess,
            configuration: poolSettings(configuration),
            environment: workerEnvironment(started),
            reload: reload,
            // Dynamic mode's view of the threads: the scoreboard the workers already keep for
            // /status, so the pool itself needs no scoreboard of its own.
            loadProbe: { pids in
                let load = board.threadLoad(of: pids)
                return PoolLoad(busyThreads: load.busy, idleThreads: load.idle, processes: load.processes)
            },
            logger: logger
        )
    }

    static func poolSettings(_ configuration: ButtonConfiguration) -> WorkerPoolConfiguration {
        // The master kills a worker that takes longer than its own drain deadline plus the
        // Kafka flush after it (10 s) and a margin.
        let drainSeconds = Int(configuration.drainTimeout.components.seconds) + 1
        return WorkerPoolConfiguration(
            processes: configuration.processes,
            drainTimeoutSeconds: max(30, drainSeconds + 15),
            limits: configuration.limits,
            dynamic: configuration.dynamic
        )
    }

    /// Registers `PressEvent.schemaJSON`, waiting up to 30 s for a registry that is starting,
    /// restarting or overloaded (no connection, 5xx, 408, 429; its `Retry-After` honoured).
    /// An answer that waiting cannot change (409 incompatible, 422 invalid) stops start-up at once.
    static func registerSchema(configuration: ButtonConfiguration, logger: Logger) throws -> Int32 {
        let client = try SchemaRegistryClient(url: configuration.registryURL)
        let outcome = blocking {
            try await PressSchemaRegistration.register(client: client, patience: .seconds(30), logger: logger)
        }
        switch outcome {
        case .success(let id): return id
        case .failure(let error): throw ButtonConfigurationError("\(error)")
        }
    }

    static func runWorker(listenFD: Int32, configuration: ButtonConfiguration, logger: Logger) throws {
        // Before any thread exists (librdkafka's, Foundation's): see blockTerminationSignals.
        FastCGIServer.blockTerminationSignals()
        var logger = logger
        logger[metadataKey: "worker"] = "\(getpid())"
        guard let text = ProcessInfo.processInfo.environment[schemaIDVariable], let schemaID = Int32(text) else {
            throw ButtonConfigurationError("\(schemaIDVariable) is not set: workers are started by the master")
        }
        let geolocator = try configuration.geolocation.makeGeolocator()
        let fake =
            configuration.fakeLocations ? FakeLocationPicker(geolocator: geolocator, seed: configuration.fakeSeed) : nil
        // A worker from a binary upgrade may bring another layout than the master's board:
        // it serves without /status figures rather than fail and be restarted in a loop.
        let board: Scoreboard?
        do {
            board = try Scoreboard.inherited(
                layout: PressMetrics.layout(),
                environment: ProcessInfo.processInfo.environment
            )
        } catch {
            logger.warning("not shown on /status: \(error)")
            board = nil
        }
        let slot = board?.claimProcessSlot(threads: configuration.threads)
        if board != nil && slot == nil {
            logger.warning("every scoreboard slot is taken; this worker is not shown on /status")
        }
        defer { slot?.release() }
        let metrics =
            configuration.metrics
            ? board.map { PressMetrics(factory: ScoreboardMetricsFactory(board: $0), layout: $0.layout) } : nil
        // librdkafka's statistics, reduced to a few gauges in this worker's slot.
        var statistics: (@Sendable ([UInt8]) -> Void)?
        if metrics != nil, let slot {
            statistics = { json in
                if let figures = KafkaStatistics(json: json) { slot.storeKafkaStatistics(figures) }
            }
        }
        let producer = try KafkaProducer(
            configuration: configuration.kafka,
            // librdkafka stops retrying about when the client gets its 503, so a press the
            // client was told failed rarely shows up later.
            messageTimeout: configuration.messageTimeout,
            logger: logger,
            statistics: statistics
        )
        let service = PressService(
            codec: try SessionCookieCodec(secret: configuration.sessionSecret),
            locator: GeoAddressLocator(geolocator: geolocator, fakeLocations: fake),
            publisher: try KafkaEventPublisher(producer: producer, topic: configuration.topic),
            schemaID: schemaID,
            settings: PressService.Settings(
                ackTimeout: configuration.ackTimeout,
                retryAfterSeconds: configuration.retryAfterSeconds,
                cohorts: configuration.cohorts,
                alwaysSecureCookies: configuration.secureCookies,
                requestTimeout: configuration.requestTimeout,
                botPressesPerSecond: configuration.botPressesPerSecond
            ),
            logger: logger,
            metrics: metrics
        )
        let status = StatusEndpoint(
            board: board,
            listenFD: listenFD,
            allow: configuration.statusAllow,
            consumers: configuration.consumerStatusFiles
        )
        let slowLog = configuration.slowRequestThreshold.map { SlowRequestLog(threshold: $0, logger: logger) }
        let server = FastCGIServer(
            listenFD: listenFD,
            configuration: FastCGIServerConfiguration(
                threads: configuration.threads,
                maxBodyBytes: 4096,
                maxRequests: configuration.maxRequests,
                drainTimeout: configuration.drainTimeout,
                readTimeout: configuration.readTimeout
            ),
            logger: logger
        )
        if let board, slot?.index == 0 {
            // One worker samples the listen queue every second, so its longest length is
            // seen between scrapes too; the netlink read costs microseconds.
            _ = try? NativeThread(stackSize: 64 * 1024) {
                while true {
                    if let queue = ListenQueue.read(listening: listenFD) { board.noteListenQueue(queue.length) }
                    sleep(1)
                }
            }
        }
        slot?.setState(.serving)
        // Busy threads are counted for the figures, and in dynamic mode also without them: the
        // master sizes the pool by them.
        let countThreads = metrics != nil || configuration.dynamic != nil
        try server.run(
            onDrain: {
                slot?.setState(.draining)
                // `scripts/stack scale` (and an operator's `ps`) count the serving workers
                // apart from the draining ones, as nginx's "worker process is shutting down".
                ProcessName.set(drainingProcessName)
            },
            makeHandler: { index in
                WorkerRequestHandler(
                    service: service,
                    status: status,
                    metrics: metrics,
                    thread: countThreads ? slot?.thread(index) : nil,
                    slowLog: slowLog
                )
            }
        )
        // In-flight requests are answered; everything they produced is acknowledged. Flush
        // anything else librdkafka still holds before exiting.
        if !producer.close(timeout: .seconds(10)) {
            logger.error("Kafka producer did not flush within 10 s")
        }
    }

    /// Runs async work from a plain thread and waits for it.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return box.get() ?? .failure(ButtonConfigurationError("no result"))
    }
}

/// Hands a result from a task to the waiting thread; the semaphore orders the accesses.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private var value: Result<T, any Error>?
    func set(_ result: Result<T, any Error>) { value = result }
    func get() -> Result<T, any Error>? { value }
}
