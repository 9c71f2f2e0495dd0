import ButtonEvents
import FastCGI
import Foundation
import Geolocation
import Kafka
public import Logging
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

    /// Runs until SIGTERM/SIGINT.
    /// - Throws: what prevents starting: configuration, registry, Kafka or socket errors.
    public static func run(configuration: ButtonConfiguration, logger: Logger) throws {
        if let fd = WorkerPool.inheritedListenFD {
            try runWorker(listenFD: fd, configuration: configuration, logger: logger)
            return
        }
        // Fail fast on a broken geolocation setup before spawning anything.
        _ = try configuration.geolocation.makeGeolocator()
        let schemaID = try registerSchema(configuration: configuration, logger: logger)
        setenv(schemaIDVariable, String(schemaID), 1)
        // glibc gives busy threads malloc arenas of their own (up to 8 per core); the request
        // threads allocate little, and two arenas keep a worker's resident memory down. Read
        // by glibc when a worker starts; an operator's own setting wins.
        setenv("MALLOC_ARENA_MAX", "2", 0)
        logger.info("event schema registered", metadata: ["subject": "\(PressEvent.subject)", "id": "\(schemaID)"])
        try WorkerPool.runMaster(
            address: configuration.listen,
            access: configuration.listenAccess,
            configuration: WorkerPoolConfiguration(processes: configuration.processes),
            logger: logger
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
        let producer = try KafkaProducer(
            configuration: configuration.kafka,
            // librdkafka stops retrying about when the client gets its 503, so a press the
            // client was told failed rarely shows up later.
            messageTimeout: configuration.ackTimeout,
            logger: logger
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
                botPressesPerSecond: configuration.botPressesPerSecond
            ),
            logger: logger
        )
        let server = FastCGIServer(
            listenFD: listenFD,
            configuration: FastCGIServerConfiguration(threads: configuration.threads, maxBodyBytes: 4096),
            logger: logger
        )
        try server.run { _ in ClosureHandler { service.handle($0) } }
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
