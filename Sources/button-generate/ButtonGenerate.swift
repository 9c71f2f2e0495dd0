import ArgumentParser
import ButtonCLI
import ConsumerSupport
import Foundation
import Generator
import Geolocation
import Kafka
import Logging
import Places

/// `button-generate`: fake sessions straight to Kafka, as the workers would produce them.
@main
struct ButtonGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "button-generate",
        abstract: "Produces fake button sessions to Kafka exactly as the press workers do.",
        discussion: """
            Live mode (default): sessions now, each an EnterPage and 1…--max-presses presses 0.5–5 s \
            apart, placed by a random public IPv4 or IPv6 address (a third IPv6) that the workers' \
            geolocation database locates; the address is then dropped. cohort is null (fake data).

            Backfill (--backfill): --days of history ending at --until, as a story: the button goes \
            viral in one country, reaches the others over days, follows each country's daily rhythm \
            in its local time, then gets boring (fewer sessions, fewer presses). As fast as the \
            broker takes it unless --rate is given.

            The same --seed and options give the same events byte for byte (in live mode when \
            --start fixes the clock). Other librdkafka settings come from KAFKA_* variables as for \
            the workers (e.g. KAFKA_LINGER_MS); geolocation from GEOIP_MMDB / GEOIP_LIBLOC_DB; the \
            backfill's time zones from ENRICH_ZONE_TAB (default /usr/share/zoneinfo/zone.tab), as \
            for the enricher.

            Exit status: 0 done (also after Ctrl-C: what was produced is flushed and summarised), \
            1 some events were not acknowledged, 64 bad options, 69 the registry or the brokers \
            cannot be reached or refuse, 66 the geolocation database or zone table cannot be read.
            """,
        version: ButtonVersion.current
    )

    @Option(
        help: "Sessions to generate (live: 10 unless --count or --duration; backfill: over the span, default 30000)."
    )
    var numSessions: Int?

    @Option(help: "The most presses in one session; each session has 1…N, uniformly.")
    var maxPresses = 10

    @Flag(help: "Live mode: keep generating until stopped (Ctrl-C), --count or --duration.")
    var forever = false

    @Option(
        name: [.customShort("k"), .customLong("kafka-uri")],
        help: ArgumentHelp(
            "Kafka brokers, host:port[,host:port…] \(EnvironmentDefault.note("KAFKA_BOOTSTRAP", "KAFKA_SERVICE_URI")).",
            valueName: "brokers"
        )
    )
    var kafkaURI: String = EnvironmentDefault.string("KAFKA_BOOTSTRAP", "KAFKA_SERVICE_URI") ?? ""

    @Option(
        name: [.customShort("s"), .customLong("schema-uri")],
        help: ArgumentHelp(
            "Schema registry URL, credentials in it if needed (never shown) "
                + "\(EnvironmentDefault.note("SCHEMA_REGISTRY_URL", "SCHEMA_REGISTRY_URI")).",
            valueName: "url"
        )
    )
    var schemaURIOption: String?

    /// The option, else the environment. Not an option default: `--help` shows defaults, and
    /// the URL may hold the registry's password.
    var schemaURI: String {
        schemaURIOption ?? EnvironmentDefault.string("SCHEMA_REGISTRY_URL", "SCHEMA_REGISTRY_URI") ?? ""
    }

    @Option(
        name: [.customShort("d"), .customLong("certs-dir")],
        help: ArgumentHelp(
            "Folder with ca.pem, service.cert and service.key: TLS client certificates (Aiven). Plain when absent.",
            valueName: "folder"
        )
    )
    var certsDir: String?

    @Option(help: "The topic to produce to.")
    var topic = "button_presses"

    @Option(help: "Events per second (paced); default as fast as the broker takes them.")
    var rate: Double?

    @Option(help: "Stop after this many events.")
    var count: Int?

    @Option(help: "Stop after this long: seconds, or with a unit (90s, 5m, 2h).")
    var duration: String?

    @Option(help: "Seed of every random choice (default: a random one, printed in the summary).")
    var seed: UInt64?

    @Option(help: "Live mode: put the sessions on a virtual clock from this ISO 8601 time (deterministic with --seed).")
    var start: String?

    @Flag(help: "Write history with past timestamps, shaped like a story, instead of live sessions.")
    var backfill = false

    @Option(help: "Backfill: days of history.")
    var days = 28

    @Option(help: "Backfill: the end of the history, ISO 8601 (default: now).")
    var until: String?

    mutating func validate() throws {
        if let numSessions, numSessions < 1 { throw ValidationError("--num-sessions must be at least 1") }
        guard (1...500).contains(maxPresses) else { throw ValidationError("--max-presses must be from 1 to 500") }
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let duration, Self.parseDuration(duration) == nil {
            throw ValidationError("--duration must be a positive number of seconds, or like 90s, 5m, 2h")
        }
        if let start, Self.parseTime(start) == nil {
            throw ValidationError("--start must be an ISO 8601 time, e.g. 2026-11-01T12:00:00Z")
        }
        if let until, Self.parseTime(until) == nil {
            throw ValidationError("--until must be an ISO 8601 time, e.g. 2026-11-01T00:00:00Z")
        }
        guard (1...366).contains(days) else { throw ValidationError("--days must be from 1 to 366") }
        if backfill {
            if forever { throw ValidationError("--forever is for live mode, not --backfill") }
            if start != nil { throw ValidationError("--start is for live mode; a backfill ends at --until") }
        } else {
            if until != nil { throw ValidationError("--until needs --backfill") }
            if forever && numSessions != nil {
                throw ValidationError("--forever and --num-sessions exclude each other")
            }
        }
        guard !kafkaURI.isEmpty else {
            throw ValidationError("--kafka-uri is required (or set KAFKA_BOOTSTRAP)")
        }
        guard !schemaURI.isEmpty else {
            throw ValidationError("--schema-uri is required (or set SCHEMA_REGISTRY_URL)")
        }
        guard let url = URL(string: schemaURI), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            url.host?.isEmpty == false
        else {
            throw ValidationError("--schema-uri must be http(s)://[user:password@]host[:port]")
        }
        if let certsDir {
            for file in ["ca.pem", "service.cert", "service.key"] {
                let path = URL(fileURLWithPath: certsDir).appendingPathComponent(file).path
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw ValidationError("--certs-dir: cannot read \(file) in \(certsDir)")
                }
            }
        }
    }

    func run() throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let logger = Logger(label: "button-generate")
        let environment = ProcessInfo.processInfo.environment
        let kafka = GeneratorConfiguration.kafka(environment: environment, brokers: kafkaURI, certificates: certsDir)
        do {
            try kafka.validate()
        } catch {
            throw ValidationError("a KAFKA_* setting is not valid: \(error.message)")
        }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let mode: GeneratorConfiguration.Mode =
            backfill
            ? .backfill(days: days, until: until.flatMap(Self.parseTime) ?? now)
            : .live(start: start.flatMap(Self.parseTime))
        let seed = seed ?? UInt64.random(in: 0...UInt64.max)
        let configuration = GeneratorConfiguration(
            mode: mode,
            kafka: kafka,
            registryURL: schemaURI,
            topic: topic,
            // Live: the original generator's 10 sessions, unless another limit (or none) is asked for.
            sessions: numSessions ?? (backfill || forever || count != nil || duration != nil ? nil : 10),
            maxPresses: maxPresses,
            count: count,
            duration: duration.flatMap(Self.parseDuration),
            rate: rate,
            seed: seed,
            geolocation: GeolocationConfiguration(environment: environment),
            zoneTab: environment["ENRICH_ZONE_TAB"].flatMap { $0.isEmpty ? nil : $0 } ?? ZoneTable.systemPath,
            progress: ProgressReporter.styleForStandardError()
        )
        let stop = StopFlag()
        let signals = stop.setOnTerminationSignals()
        defer { withExtendedLifetime(signals) {} }
        let outcome: GeneratorRun.Outcome
        do {
            outcome = try GeneratorRun.run(configuration, stop: stop, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("button-generate: \(error.message)\n".utf8))
            throw ExitCode(error.code == .places ? 66 : 69)
        }
        print(ProgressReporter.summary(outcome.counts, seed: seed, interrupted: outcome.interrupted))
        if outcome.counts.failed > 0 || outcome.counts.acknowledged < outcome.counts.sent {
            let reason = outcome.firstFailure.map { ": \($0)" } ?? ""
            FileHandle.standardError.write(
                Data(
                    "button-generate: \(outcome.counts.sent - outcome.counts.acknowledged) events not acknowledged\(reason)\n"
                        .utf8
                )
            )
            throw ExitCode(1)
        }
    }

    /// `90`, `90s`, `5m`, `2h` → a duration.
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = text
        var scale = 1.0
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = String(text.dropLast(suffix.count))
            scale = factor
            break
        }
        guard let value = Double(number), value > 0, value.isFinite else { return nil }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    /// ISO 8601 with or without fractional seconds → µs since the epoch.
    static func parseTime(_ text: String) -> Int64? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = plain.date(from: text) ?? fractional.date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }
}
