import ArgumentParser
import ButtonCLI
import Foundation
import Logging
import SchemaRegistryServer

/// `button-registry`: the schema registry (Confluent REST subset) as a FastCGI pool behind nginx.
/// Configured by the environment (`RegistryConfiguration`); each option overrides its variable.
/// The workers are copies of this executable started with the same arguments.
@main
struct ButtonRegistry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "button-registry",
        abstract: "The schema registry (Confluent REST subset) as a FastCGI responder behind nginx.",
        discussion: """
            Applies its PostgreSQL migrations, then keeps its worker processes on the socket until \
            SIGTERM/SIGINT. Every setting comes from its environment variable unless its option is \
            given. Exit status: 0 stopped, 1 could not start (PostgreSQL, the socket), 64 bad options, \
            78 a bad environment variable.
            """,
        version: ButtonVersion.current
    )

    @Option(
        help: .environment(
            "FastCGI socket, unix:/path or host:port; default unix:.run/registry.sock.",
            "REGISTRY_LISTEN",
            valueName: "address"
        )
    )
    var listen: String?

    @Option(
        help: .environment("The unix socket's mode, octal; default 0660.", "REGISTRY_LISTEN_MODE", valueName: "mode")
    )
    var listenMode: String?

    @Option(
        help: .environment(
            "The unix socket's group (nginx's); default the process's.",
            "REGISTRY_LISTEN_GROUP",
            valueName: "group"
        )
    )
    var listenGroup: String?

    @Option(
        name: .customLong("pg-dsn"),
        help: .environment(
            "libpq connection string (other users see options in ps: prefer the variable for a password).",
            "REGISTRY_PG_DSN",
            "PG_DSN",
            valueName: "dsn"
        )
    )
    var postgresDSN: String?

    @Option(help: .environment("Worker processes, 1–256; default 1.", "REGISTRY_PROCESSES"))
    var processes: Int?

    @Option(help: .environment("Threads per worker, 1–256; default 16.", "REGISTRY_THREADS"))
    var threads: Int?

    var overrides: EnvironmentOverrides {
        var overrides = EnvironmentOverrides()
        overrides.set("REGISTRY_LISTEN", option: "--listen", to: listen)
        overrides.set("REGISTRY_LISTEN_MODE", option: "--listen-mode", to: listenMode)
        overrides.set("REGISTRY_LISTEN_GROUP", option: "--listen-group", to: listenGroup)
        overrides.set("REGISTRY_PG_DSN", option: "--pg-dsn", to: postgresDSN)
        overrides.set("REGISTRY_PROCESSES", option: "--processes", to: processes)
        overrides.set("REGISTRY_THREADS", option: "--threads", to: threads)
        return overrides
    }

    func run() throws {
        let configuration = try overrides.configuration(program: "button-registry") {
            try RegistryConfiguration(environment: $0)
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "button-registry")
        logger.logLevel = .info
        do {
            try RegistryApp.run(configuration: configuration, logger: logger)
        } catch {
            StartupFailure.printLine(program: "button-registry", "cannot start: \(error)")
            throw ExitCode.failure
        }
    }
}
