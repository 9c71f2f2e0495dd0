import ArgumentParser
import ButtonCLI
import Foundation
import Kafka
import Logging
import TopicSetup

/// `button-topics`: the project's topic setup on a real Kafka cluster.
@main
struct ButtonTopics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "button-topics",
        abstract: "Creates the project's Kafka topic with the production settings and checks them.",
        discussion: """
            Kafka client properties (TLS for Aiven: KAFKA_SECURITY_PROTOCOL=SSL, KAFKA_SSL_CA_LOCATION, \
            KAFKA_SSL_CERTIFICATE_LOCATION, KAFKA_SSL_KEY_LOCATION) come from KAFKA_* environment \
            variables, as for the other programs; --bootstrap overrides KAFKA_BOOTSTRAP_SERVERS.
            """,
        version: ButtonVersion.current,
        subcommands: [Apply.self]
    )
}

/// `button-topics apply`: thin over ``TopicSetup/apply(_:admin:timeout:)``.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the topic unless it exists, read it back, report every difference from the plan.",
        discussion: """
            Exit status: 0 as planned (or a dry run), 1 differences found, 3 the cluster refused or a \
            request failed, 64 bad options.
            """
    )

    @Option(help: .environment("The brokers, host:port[,host:port…].", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP"))
    var bootstrap: String?

    @Option(help: "The topic name.")
    var topic = "button_presses"

    @Option(help: "Partitions.")
    var partitions = 3

    @Option(help: "Copies of each partition.")
    var replicationFactor = 3

    @Option(help: "min.insync.replicas (default: 2, or the replication factor when that is smaller).")
    var minInsyncReplicas: Int?

    @Option(help: "retention.ms: how long events are kept in all; -1 keeps them forever.")
    var retentionMs: Int64 = -1

    @Option(help: "local.retention.ms: how long events stay on the brokers' disks (tiered storage).")
    var localRetentionMs: Int64 = 86_400_000

    @Flag(help: "Leave tiered storage off (no remote.storage.enable, no local.retention.ms).")
    var noTieredStorage = false

    @Option(help: "Seconds each request may take.")
    var timeout = 30

    @Flag(help: "Print the plan and exit without connecting.")
    var dryRun = false

    func run() throws {
        let plan = TopicPlan(
            topic: topic,
            partitions: partitions,
            replicationFactor: replicationFactor,
            retentionMs: retentionMs,
            localRetentionMs: localRetentionMs,
            tieredStorage: !noTieredStorage,
            minInsyncReplicas: minInsyncReplicas ?? min(2, replicationFactor)
        )
        do {
            try plan.validate()
        } catch {
            throw ValidationError(error.message)
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        print("plan:")
        for line in plan.lines { print("  \(line)") }
        if dryRun {
            print("dry run: nothing sent")
            return
        }
        var configuration = KafkaConfiguration.fromEnvironment()
        if let bootstrap { configuration["bootstrap.servers"] = bootstrap }
        guard let servers = configuration["bootstrap.servers"], !servers.isEmpty else {
            throw ValidationError("no brokers: pass --bootstrap or set KAFKA_BOOTSTRAP_SERVERS")
        }
        // The admin client's own log lines (connection refused …) only at warning and above.
        var logger = Logger(label: "button-topics")
        logger.logLevel = .warning
        do {
            let admin = try KafkaAdmin(configuration: configuration, logger: logger)
            let report = try TopicSetup.apply(plan, admin: admin, timeout: .seconds(timeout))
            for line in report.lines(for: plan) { print(line) }
            if !report.differences.isEmpty { throw ExitCode(1) }
        } catch let error as TopicSetupError {
            FileHandle.standardError.write(Data("button-topics: \(error.message)\n".utf8))
            throw ExitCode(3)
        } catch let error as KafkaError {
            FileHandle.standardError.write(Data("button-topics: \(error.message)\n".utf8))
            throw ExitCode(3)
        }
    }
}
