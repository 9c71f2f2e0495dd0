import FastCGI
import Foundation
public import Logging
import Session

/// Runs the stats pool: the master process, or one worker.
///
/// The pool is separate from the press workers (own processes, socket and nginx location),
/// so a room watching the stats never takes a thread or a core's share a press needs.
/// Each worker has its own panel cache, PostgreSQL connections and live tail.
public enum StatsApp {
    /// Runs until SIGTERM/SIGINT.
    /// - Throws: what prevents starting: the socket, or a worker that cannot start.
    public static func run(configuration: StatsConfiguration, logger: Logger) throws {
        if let fd = WorkerPool.inheritedListenFD {
            try runWorker(listenFD: fd, configuration: configuration, logger: logger)
            return
        }
        if case .failure(let problem) = loadMap(configuration.mapFile) {
            logger.warning("the map panel will say: \(problem)")
        }
        setenv("MALLOC_ARENA_MAX", "2", 0)
        try WorkerPool.runMaster(
            address: configuration.listen,
            access: configuration.listenAccess,
            configuration: WorkerPoolConfiguration(processes: configuration.processes),
            logger: logger
        )
    }

    static func loadMap(_ path: String) -> Result<WorldMap, MapProblem> {
        do {
            return .success(try WorldMap(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            return .failure(MapProblem(description: "\(error)"))
        }
    }

    struct MapProblem: Error, CustomStringConvertible {
        var description: String
    }

    static func runWorker(listenFD: Int32, configuration: StatsConfiguration, logger: Logger) throws {
        FastCGIServer.blockTerminationSignals()
        var logger = logger
        logger[metadataKey: "worker"] = "\(getpid())"
        var tail: LiveTail?
        do {
            let started = try LiveTail(
                configuration: configuration.kafka,
                topic: configuration.topic,
                registryURL: configuration.registryURL,
                capacity: configuration.streamSize * 4,
                logger: logger
            )
            started.start()
            tail = started
        } catch {
            // The page still works from PostgreSQL; the stream and Kafka's health say so.
            logger.error("the live tail cannot start: \(error)")
        }
        let map = loadMap(configuration.mapFile)
        let service = StatsService(
            analytics: AnalyticsQueries(
                client: ClickHouseClient(url: configuration.clickHouseURL, timeout: configuration.loadTimeout),
                final: configuration.clickHouseFinal
            ),
            points: PointQueries(
                pool: PostgresPool(dsn: configuration.postgresDSN, timeout: configuration.loadTimeout, logger: logger)
            ),
            tail: tail,
            map: try? map.get(),
            mapProblem: {
                if case .failure(let problem) = map { return "The map is not available: \(problem)" }
                return nil
            }(),
            cache: PanelCache(lifetime: configuration.cacheLifetime),
            codec: try SessionCookieCodec(secret: configuration.sessionSecret),
            timeout: configuration.queryTimeout,
            streamSize: configuration.streamSize,
            logger: logger
        )
        let server = FastCGIServer(
            listenFD: listenFD,
            configuration: FastCGIServerConfiguration(threads: configuration.threads, maxBodyBytes: 1024),
            logger: logger
        )
        try server.run { _ in ClosureHandler { service.handle($0) } }
        tail?.stop()
    }
}
