import ArgumentParser
import ButtonCLI
import ConsumerSupport
import Foundation
import Logging
import PressSink

/// `button-sink`: Kafka → PostgreSQL until SIGTERM/SIGINT; `button-sink migrate` applies the
/// migrations and exits. Configured by the environment (`SinkConfiguration`); each option
/// overrides its variable.
@main
struct ButtonSink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "button-sink",
        abstract:
            "Kafka → PostgreSQL: stores every button event once, with the Kafka positions in the same transaction.",
        // Running without a subcommand starts the sink: say so rather than ArgumentParser's
        // generated "<subcommand>", which reads as if one were required.
        usage: """
            button-sink [--pg-dsn <dsn>] [--bootstrap <hosts>] [--registry <url>] [--topic <topic>] [<options>]
              button-sink migrate [--pg-dsn <dsn>]
            """,
        discussion: """
            Runs until SIGTERM/SIGINT, then writes the batch in hand and exits 0. Every setting comes \
            from its environment variable unless its option is given; other librdkafka properties come \
            from KAFKA_* variables. Exit status: 0 stopped, 1 failed while running, 64 bad options, \
            69 PostgreSQL or the broker did not answer at start, 78 a bad environment variable.
            """,
        version: ButtonVersion.current,
        subcommands: [Migrate.self]
    )

    @Option(
        name: .customLong("pg-dsn"),
        help: .environment(
            "libpq connection string (other users see options in ps: prefer the variable for a password).",
            "PG_DSN",
            valueName: "dsn"
        )
    )
    var postgresDSN: String?

    @OptionGroup var stream: StreamOptions

    @Option(help: .environment("Topic read; default button_presses.", "SINK_TOPIC"))
    var topic: String?

    @Option(
        help: .environment(
            "Consumer group; sinks in one group share the partitions; default button-sink.",
            "SINK_GROUP"
        )
    )
    var group: String?

    @Option(help: .environment("Events per transaction at most, 1–100000; default 5000.", "SINK_BATCH_MAX"))
    var batchMax: Int?

    @Option(
        help: .environment("How long a batch's first event waits for more, 0–800; default 200.", "SINK_BATCH_WAIT_MS")
    )
    var batchWaitMs: Int?

    @Option(
        help: .environment(
            "How often the lag is logged and the status file written; default 5000.",
            "SINK_LAG_INTERVAL_MS"
        )
    )
    var lagIntervalMs: Int?

    @Option(
        help: .environment(
            "File rewritten with the lag and counters; default none.",
            "SINK_STATUS_FILE",
            valueName: "path"
        )
    )
    var statusFile: String?

    @Option(help: .environment("copy or insert; default copy.", "SINK_WRITE_METHOD", valueName: "method"))
    var writeMethod: String?

    @Option(
        help: .environment(
            "How long PostgreSQL and the broker may take to answer at start, 0 waits forever; default 10000.",
            "SINK_START_TIMEOUT_MS"
        )
    )
    var startTimeoutMs: Int?

    var overrides: EnvironmentOverrides {
        var overrides = EnvironmentOverrides()
        overrides.set("PG_DSN", option: "--pg-dsn", to: postgresDSN)
        stream.apply(to: &overrides)
        overrides.set("SINK_TOPIC", option: "--topic", to: topic)
        overrides.set("SINK_GROUP", option: "--group", to: group)
        overrides.set("SINK_BATCH_MAX", option: "--batch-max", to: batchMax)
        overrides.set("SINK_BATCH_WAIT_MS", option: "--batch-wait-ms", to: batchWaitMs)
        overrides.set("SINK_LAG_INTERVAL_MS", option: "--lag-interval-ms", to: lagIntervalMs)
        overrides.set("SINK_STATUS_FILE", option: "--status-file", to: statusFile)
        overrides.set("SINK_WRITE_METHOD", option: "--write-method", to: writeMethod)
        overrides.set("SINK_START_TIMEOUT_MS", option: "--start-timeout-ms", to: startTimeoutMs)
        return overrides
    }

    func run() async throws {
        let configuration = try overrides.configuration(program: "button-sink") {
            try SinkConfiguration(environment: $0)
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "button-sink")
        let stop = StopFlag()
        let sources = stop.setOnTerminationSignals()
        defer { withExtendedLifetime(sources) {} }
        do {
            try await PressSink(configuration: configuration, logger: logger).run(shouldStop: { stop.isSet })
        } catch let error as UnavailableAtStart {
            throw StartupFailure.unavailable(program: "button-sink", error.message)
        } catch {
            logger.error("sink failed: \(error)")
            throw ExitCode.failure
        }
    }
}

/// `button-sink migrate`: the migrations, then exit (the stack runs it before the sink).
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the PostgreSQL migrations and exit.",
        discussion: "Exit status: 0 applied or up to date, 1 failed, 64 bad options, 78 no database named."
    )

    @Option(
        name: .customLong("pg-dsn"),
        help: .environment("libpq connection string.", "PG_DSN", valueName: "dsn")
    )
    var postgresDSN: String?

    func run() throws {
        guard let dsn = postgresDSN ?? EnvironmentDefault.string("PG_DSN") else {
            throw StartupFailure.configuration(
                program: "button-sink migrate",
                SinkConfigurationError.missingDSN.message
            )
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        do {
            try PressSink.migrate(dsn: dsn, logger: Logger(label: "button-sink"))
        } catch {
            StartupFailure.printLine(program: "button-sink migrate", "\(error)")
            throw ExitCode.failure
        }
    }
}
