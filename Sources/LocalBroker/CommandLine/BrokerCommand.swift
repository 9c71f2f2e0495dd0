public import ArgumentParser
import ButtonCLI
import Logging

/// `button-broker [serve]`: runs librdkafka's mock cluster until SIGTERM/SIGINT;
/// `button-broker ctl` sends it one control command. Here rather than in the executable so the
/// tests parse it. `serve` is the default, so the stack's `button-broker --brokers 1 …` works.
public struct BrokerCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "button-broker",
        abstract: "The local stack's Kafka: librdkafka's mock cluster on 127.0.0.1, with a control socket.",
        // `serve` is the default subcommand: the generated usage would end in "<subcommand>".
        usage: """
            button-broker [serve] --control <path> [--brokers <n>] [--topic <name:partitions> …] [--ready-file <path>]
              button-broker ctl [--control <path>] <command> …
            """,
        discussion: """
            button-broker [serve] --control PATH [--brokers N] [--topic NAME:PARTITIONS …] [--ready-file PATH] \
            runs the brokers until SIGTERM/SIGINT and, once the topics exist, writes the ready file with \
            KAFKA_BOOTSTRAP=host:port,… and BROKER_CONTROL=PATH. button-broker ctl [--control PATH] \
            COMMAND sends one control command (--control falls back to BROKER_CONTROL). \
            See button-broker help serve, button-broker help ctl.
            """,
        version: ButtonVersion.current,
        subcommands: [BrokerServeCommand.self, BrokerControlCommand.self],
        defaultSubcommand: BrokerServeCommand.self
    )

    public init() {}
}

/// `button-broker [serve] --control PATH …`: the brokers until SIGTERM/SIGINT.
public struct BrokerServeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the mock brokers on 127.0.0.1 until SIGTERM/SIGINT (the default).",
        discussion: """
            Once the topics exist it writes the ready file (atomically) with the lines \
            KAFKA_BOOTSTRAP=host:port,… and BROKER_CONTROL=PATH. Created topics get the replication \
            factor min(3, brokers).
            """
    )

    /// Number of mock brokers.
    @Option(help: "Number of mock brokers, 1 to 9.")
    public var brokers = 1

    /// Topics to create at start.
    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "A topic to create at start (repeatable), e.g. button_presses:6.",
            valueName: "name:partitions"
        ),
        transform: { try BrokerTopic(parsing: $0) }
    )
    public var topics: [BrokerTopic] = []

    /// The control socket's path. Required, but checked by ``checkedOptions()`` when it runs:
    /// ArgumentParser reports a missing required option (and runs `validate()`) before an
    /// unknown one, which would hide a typo.
    @Option(
        name: .customLong("control"),
        help: ArgumentHelp("Where the control socket listens (required).", valueName: "path")
    )
    public var controlPath: String?

    /// Where to publish the addresses once ready.
    @Option(help: ArgumentHelp("Where to write KAFKA_BOOTSTRAP and BROKER_CONTROL once ready.", valueName: "path"))
    public var readyFile: String?

    public init() {}

    public func validate() throws {
        guard (1...9).contains(brokers) else {
            throw ValidationError("--brokers must be a number from 1 to 9, not \(brokers)")
        }
        var seen: Set<String> = []
        for topic in topics where !seen.insert(topic.name).inserted {
            throw ValidationError("--topic \(topic.name) is given twice")
        }
    }

    /// What to run, as the broker's service takes it.
    /// - Throws: `ValidationError` (exit 64) when `--control` is missing or empty.
    public func checkedOptions() throws -> BrokerOptions {
        guard let controlPath else { throw ValidationError("--control PATH is required") }
        guard !controlPath.isEmpty else { throw ValidationError("--control needs a path") }
        return BrokerOptions(brokers: brokers, topics: topics, controlPath: controlPath, readyFile: readyFile)
    }

    public func run() throws {
        let options = try checkedOptions()
        let status = LocalBroker.run(options: options, logger: Logger(label: "button-broker"))
        if status != 0 { throw ExitCode(status) }
    }
}

/// `button-broker ctl [--control PATH] COMMAND [ARG…]`: one control command, its reply printed.
public struct BrokerControlCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Send one command to a running broker's control socket and print the reply.",
        discussion: """
            Commands (one reply line, "ok …" or "error: …"; exit 1 on an error reply):
              ping | topics | create TOPIC PARTITIONS | down ID|all | up ID|all | rtt ID|all MS
              errors API COUNT ERROR_NAME     e.g. errors Produce 3 NOT_LEADER_OR_FOLLOWER
            """
    )

    /// The control socket's path; `BROKER_CONTROL` when not given.
    @Option(
        name: .customLong("control"),
        help: .environment("The broker's control socket.", "BROKER_CONTROL", valueName: "path")
    )
    public var controlPath: String?

    /// The command's words; everything after the first word belongs to the command.
    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("The command and its arguments.", valueName: "command")
    )
    public var words: [String] = []

    public init() {}

    /// The socket path: the option, else `BROKER_CONTROL`.
    public func resolvedControlPath(environment: [String: String]? = nil) -> String? {
        Self.controlPath(option: controlPath, environment: environment)
    }

    /// The socket path from the option, else from `BROKER_CONTROL` in `environment` (the
    /// process's own when nil). Static so that it is testable without parsing a command line.
    public static func controlPath(option: String?, environment: [String: String]? = nil) -> String? {
        if let option { return option }
        if let environment { return EnvironmentDefault.string("BROKER_CONTROL", environment: environment) }
        return EnvironmentDefault.string("BROKER_CONTROL")
    }

    /// The one-line command sent.
    public var command: String { words.joined(separator: " ") }

    public func validate() throws {
        guard !words.isEmpty else { throw ValidationError("no command given (try: ping)") }
        guard resolvedControlPath()?.isEmpty == false else {
            throw ValidationError("--control PATH is required (or set BROKER_CONTROL)")
        }
    }

    public func run() throws {
        guard let path = resolvedControlPath() else { throw ExitCode.validationFailure }
        let reply: String
        do {
            reply = try BrokerControlClient(path: path).send(command)
        } catch {
            StartupFailure.printLine(program: "button-broker ctl", "\(error)")
            throw ExitCode(StartupFailure.unavailableStatus)
        }
        print(reply)
        if reply.hasPrefix("error:") { throw ExitCode.failure }
    }
}
