import ArgumentParser
import ButtonCLI
import Foundation
import Logging
import Stats

/// `button-stats`: the stats pool, FastCGI behind nginx, panels from PostgreSQL and ClickHouse.
/// Configured by the environment (`StatsConfiguration`); each option overrides its variable.
/// The workers are copies of this executable started with the same arguments.
@main
struct ButtonStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "button-stats",
        abstract: "The stats page's FastCGI pool: panels from PostgreSQL and ClickHouse, a live tail from Kafka.",
        discussion: """
            Runs until SIGTERM/SIGINT. A store that is away does not stop it: its panels say so and \
            come back with the store. Every setting comes from its environment variable unless its \
            option is given; other librdkafka properties come from KAFKA_* variables. Exit status: \
            0 stopped, 1 could not start (the socket), 64 bad options, 78 a bad environment variable.
            """,
        version: ButtonVersion.current
    )

    @Option(
        help: .environment(
            "FastCGI socket, unix:/path or host:port; default unix:.run/stats.sock.",
            "STATS_LISTEN",
            valueName: "address"
        )
    )
    var listen: String?

    @Option(help: .environment("The unix socket's mode, octal; default 0660.", "STATS_LISTEN_MODE", valueName: "mode"))
    var listenMode: String?

    @Option(
        help: .environment(
            "The unix socket's group (nginx's); default the process's.",
            "STATS_LISTEN_GROUP",
            valueName: "group"
        )
    )
    var listenGroup: String?

    @Option(help: .environment("Worker processes, 1–64; default 1.", "STATS_PROCESSES"))
    var processes: Int?

    @Option(help: .environment("Threads per worker, 1–1024; default 64.", "STATS_THREADS"))
    var threads: Int?

    @Option(
        name: .customLong("pg-dsn"),
        help: .environment(
            "libpq connection string (other users see options in ps: prefer the variable for a password).",
            "PG_DSN",
            valueName: "dsn"
        )
    )
    var postgresDSN: String?

    @Option(
        name: .customLong("clickhouse-url"),
        help: .environment("ClickHouse's HTTP interface.", "CLICKHOUSE_URL", valueName: "url")
    )
    var clickHouseURL: String?

    @Option(
        help: .environment(
            "Longest wait for a store before a partial page, 50–60000; default 2000.",
            "STATS_QUERY_TIMEOUT_MS"
        )
    )
    var queryTimeoutMs: Int?

    @Option(
        help: .environment(
            "How long a panel's queries may run in the background; default 30000.",
            "STATS_LOAD_TIMEOUT_MS"
        )
    )
    var loadTimeoutMs: Int?

    @Option(
        help: .environment(
            "How long a panel's result is reused, 0 queries every request; default 2000.",
            "STATS_CACHE_MS"
        )
    )
    var cacheMs: Int?

    @Option(
        name: .customLong("clickhouse-final"),
        help: .environment(
            "1: aggregates read FINAL (exact before merges, ten times the cost); default 0.",
            "STATS_CLICKHOUSE_FINAL",
            valueName: "0|1"
        )
    )
    var clickHouseFinal: String?

    @Option(help: .environment("Events the live stream shows, 1–200; default 15.", "STATS_STREAM_SIZE"))
    var streamSize: Int?

    @Option(
        help: .environment(
            "The projected country shapes; default static/vendor/world-110m.json.",
            "STATS_MAP_FILE",
            valueName: "path"
        )
    )
    var mapFile: String?

    /// Kafka (the live tail) and the registry.
    @OptionGroup var stream: StreamOptions

    @Option(help: .environment("The press topic the live tail reads; default button_presses.", "BUTTON_TOPIC"))
    var topic: String?

    @Option(
        help: .environment(
            "The press cookie's secret, to show this session's panels.",
            "BUTTON_SESSION_SECRET_FILE",
            valueName: "path"
        )
    )
    var sessionSecretFile: String?

    var overrides: EnvironmentOverrides {
        var overrides = EnvironmentOverrides()
        overrides.set("STATS_LISTEN", option: "--listen", to: listen)
        overrides.set("STATS_LISTEN_MODE", option: "--listen-mode", to: listenMode)
        overrides.set("STATS_LISTEN_GROUP", option: "--listen-group", to: listenGroup)
        overrides.set("STATS_PROCESSES", option: "--processes", to: processes)
        overrides.set("STATS_THREADS", option: "--threads", to: threads)
        overrides.set("PG_DSN", option: "--pg-dsn", to: postgresDSN)
        overrides.set("CLICKHOUSE_URL", option: "--clickhouse-url", to: clickHouseURL)
        overrides.set("STATS_QUERY_TIMEOUT_MS", option: "--query-timeout-ms", to: queryTimeoutMs)
        overrides.set("STATS_LOAD_TIMEOUT_MS", option: "--load-timeout-ms", to: loadTimeoutMs)
        overrides.set("STATS_CACHE_MS", option: "--cache-ms", to: cacheMs)
        overrides.set("STATS_CLICKHOUSE_FINAL", option: "--clickhouse-final", to: clickHouseFinal)
        overrides.set("STATS_STREAM_SIZE", option: "--stream-size", to: streamSize)
        overrides.set("STATS_MAP_FILE", option: "--map-file", to: mapFile)
        stream.apply(to: &overrides)
        overrides.set("BUTTON_TOPIC", option: "--topic", to: topic)
        overrides.set("BUTTON_SESSION_SECRET_FILE", option: "--session-secret-file", to: sessionSecretFile)
        return overrides
    }

    func run() throws {
        let configuration = try overrides.configuration(program: "button-stats") {
            try StatsConfiguration(environment: $0)
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "button-stats")
        logger.logLevel = .info
        do {
            try StatsApp.run(configuration: configuration, logger: logger)
        } catch {
            StartupFailure.printLine(program: "button-stats", "cannot start: \(error)")
            throw ExitCode.failure
        }
    }
}
