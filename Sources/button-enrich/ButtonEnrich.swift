import ArgumentParser
import ButtonCLI
import ConsumerSupport
import Enricher
import Foundation
import Logging

/// `button-enrich`: button_presses (Avro) → button_presses_enriched (JSON). Configured by the
/// environment (`EnricherConfiguration`); each option overrides its variable.
@main
struct ButtonEnrich: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "button-enrich",
        abstract: "Adds place, time zone and local time to every button event, for ClickHouse.",
        discussion: """
            Runs until SIGTERM/SIGINT, then waits for the acknowledgements, commits and exits 0. Every \
            setting comes from its environment variable unless its option is given; other librdkafka \
            properties come from KAFKA_* variables. Exit status: 0 stopped, 1 failed while running, \
            64 bad options, 69 the broker did not answer at start, 78 a bad environment variable.
            """,
        version: ButtonVersion.current
    )

    @OptionGroup var stream: StreamOptions

    @Option(help: .environment("Topic read; default button_presses.", "ENRICH_SOURCE_TOPIC"))
    var sourceTopic: String?

    @Option(help: .environment("Topic written; default button_presses_enriched.", "ENRICH_TARGET_TOPIC"))
    var targetTopic: String?

    @Option(
        help: .environment(
            "Topic for messages that cannot be enriched; default button_presses_enriched_dead_letters.",
            "ENRICH_DEAD_LETTER_TOPIC"
        )
    )
    var deadLetterTopic: String?

    @Option(help: .environment("Consumer group; default button-enrich.", "ENRICH_GROUP"))
    var group: String?

    @Option(
        help: .environment(
            "How often acknowledged positions are committed, 10–600000; default 1000.",
            "ENRICH_COMMIT_INTERVAL_MS"
        )
    )
    var commitIntervalMs: Int?

    @Option(
        help: .environment("Produced messages awaiting acknowledgement at most; default 50000.", "ENRICH_MAX_IN_FLIGHT")
    )
    var maxInFlight: Int?

    @Option(help: .environment("How long the producer retries a message; default 30000.", "ENRICH_DELIVERY_TIMEOUT_MS"))
    var deliveryTimeoutMs: Int?

    @Option(
        help: .environment(
            "How often the lag is logged and the status file written; default 5000.",
            "ENRICH_LAG_INTERVAL_MS"
        )
    )
    var lagIntervalMs: Int?

    @Option(
        help: .environment(
            "File rewritten with the lag and counters; default none.",
            "ENRICH_STATUS_FILE",
            valueName: "path"
        )
    )
    var statusFile: String?

    @Option(
        help: .environment(
            "tzdata's zone table; default /usr/share/zoneinfo/zone.tab.",
            "ENRICH_ZONE_TAB",
            valueName: "path"
        )
    )
    var zoneTab: String?

    @Option(
        help: .environment(
            "How long the broker may take to answer at start, 0 waits forever; default 10000.",
            "ENRICH_START_TIMEOUT_MS"
        )
    )
    var startTimeoutMs: Int?

    var overrides: EnvironmentOverrides {
        var overrides = EnvironmentOverrides()
        stream.apply(to: &overrides)
        overrides.set("ENRICH_SOURCE_TOPIC", option: "--source-topic", to: sourceTopic)
        overrides.set("ENRICH_TARGET_TOPIC", option: "--target-topic", to: targetTopic)
        overrides.set("ENRICH_DEAD_LETTER_TOPIC", option: "--dead-letter-topic", to: deadLetterTopic)
        overrides.set("ENRICH_GROUP", option: "--group", to: group)
        overrides.set("ENRICH_COMMIT_INTERVAL_MS", option: "--commit-interval-ms", to: commitIntervalMs)
        overrides.set("ENRICH_MAX_IN_FLIGHT", option: "--max-in-flight", to: maxInFlight)
        overrides.set("ENRICH_DELIVERY_TIMEOUT_MS", option: "--delivery-timeout-ms", to: deliveryTimeoutMs)
        overrides.set("ENRICH_LAG_INTERVAL_MS", option: "--lag-interval-ms", to: lagIntervalMs)
        overrides.set("ENRICH_STATUS_FILE", option: "--status-file", to: statusFile)
        overrides.set("ENRICH_ZONE_TAB", option: "--zone-tab", to: zoneTab)
        overrides.set("ENRICH_START_TIMEOUT_MS", option: "--start-timeout-ms", to: startTimeoutMs)
        return overrides
    }

    func run() async throws {
        let configuration = try overrides.configuration(program: "button-enrich") {
            try EnricherConfiguration(environment: $0)
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "button-enrich")
        let stop = StopFlag()
        let sources = stop.setOnTerminationSignals()
        defer { withExtendedLifetime(sources) {} }
        do {
            try await PressEnricher(configuration: configuration, logger: logger).run(shouldStop: { stop.isSet })
        } catch let error as UnavailableAtStart {
            throw StartupFailure.unavailable(program: "button-enrich", error.message)
        } catch {
            logger.error("enricher failed: \(error)")
            throw ExitCode.failure
        }
    }
}
