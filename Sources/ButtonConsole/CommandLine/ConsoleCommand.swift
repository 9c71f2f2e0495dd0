public import ArgumentParser
import ButtonCLI
import Foundation
import Logging

/// `button-consume`'s command line. Here rather than in the executable so the tests parse it.
public struct ConsoleCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "button-consume",
        abstract: "Prints the button events in Kafka, one line each.",
        discussion: """
            Reads with a consumer group of its own that it never commits, so every run reads the range \
            it asks for. Other librdkafka properties (TLS: KAFKA_SECURITY_PROTOCOL=SSL, \
            KAFKA_SSL_CA_LOCATION, …) come from KAFKA_* environment variables, as for the other \
            programs. Exit status: 0 done, 1 Kafka failed while reading, 64 bad options, 69 the broker \
            or the registry did not answer at start.
            """,
        version: ButtonVersion.current
    )

    /// `--from-beginning` or `--from-end`; the last one given wins.
    public enum StartFlag: String, EnumerableFlag {
        case fromBeginning, fromEnd

        public static func help(for value: StartFlag) -> ArgumentHelp? {
            switch value {
            case .fromBeginning: "Read the topic from its first event (default)."
            case .fromEnd: "Read only events produced from now on."
            }
        }
    }

    /// The actions `--action` accepts.
    public enum Action: String, ExpressibleByArgument, CaseIterable, Sendable {
        case EnterPage, PressButton
    }

    @Flag(exclusivity: .chooseLast)
    public var start: StartFlag = .fromBeginning

    @Flag(name: [.customLong("follow"), .customShort("f")], help: "Keep waiting for new events (stop with Ctrl-C).")
    public var follow = false

    @Option(name: .customLong("action"), help: "Only events with this action (repeatable).")
    public var actions: [Action] = []

    @Option(
        name: .customLong("country"),
        help: ArgumentHelp("Only events from this ISO country code, e.g. DE (repeatable).", valueName: "code"),
        transform: ConsoleCommand.countryCode
    )
    public var countries: [String] = []

    @Option(name: .customLong("max"), help: ArgumentHelp("Stop after printing n events.", valueName: "n"))
    public var maxEvents: Int?

    @Option(name: .customLong("idle-ms"), help: "Without --follow, stop after this many ms without events.")
    public var idleMilliseconds = 2000

    @Option(help: "The topic read.")
    public var topic = "button_presses"

    /// Where Kafka and the registry are.
    @OptionGroup var stream: StreamOptions

    @Option(help: "How long the broker and the registry may take to answer at start.")
    public var connectTimeoutMs = 10_000

    public init() {}

    /// A two-letter code, upper-cased.
    static func countryCode(_ text: String) throws -> String {
        let code = text.uppercased()
        guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw ValidationError("want a two-letter ISO code such as DE")
        }
        return code
    }

    public func validate() throws {
        if let maxEvents, maxEvents <= 0 { throw ValidationError("--max takes a positive number, not \(maxEvents)") }
        guard idleMilliseconds > 0 else {
            throw ValidationError("--idle-ms takes a positive number of milliseconds, not \(idleMilliseconds)")
        }
        guard (100...600_000).contains(connectTimeoutMs) else {
            throw ValidationError("--connect-timeout-ms must be from 100 to 600000, not \(connectTimeoutMs)")
        }
    }

    /// The options as ``ConsoleConsumer`` takes them.
    public var options: ConsoleOptions {
        var options = ConsoleOptions()
        options.start = start == .fromEnd ? .end : .beginning
        options.follow = follow
        options.actions = Set(actions.map(\.rawValue))
        options.countries = Set(countries)
        options.maxEvents = maxEvents
        options.idleMilliseconds = idleMilliseconds
        options.topic = topic
        options.bootstrap = stream.bootstrap
        options.registryURL = stream.registry
        options.connectTimeoutMilliseconds = connectTimeoutMs
        return options
    }

    public func run() async throws {
        var logger = Logger(label: "button-consume")
        logger.logLevel = .warning
        let consumer = ConsoleConsumer(
            options: options,
            environment: ProcessInfo.processInfo.environment,
            logger: logger,
            output: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) },
            problem: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        )
        do {
            try await consumer.run()
        } catch let error as ConsoleError where error.isUnavailable {
            throw StartupFailure.unavailable(program: "button-consume", error.message)
        } catch let error as ConsoleError {
            throw ValidationError(error.message)
        } catch {
            StartupFailure.printLine(program: "button-consume", "\(error)")
            throw ExitCode.failure
        }
    }
}
