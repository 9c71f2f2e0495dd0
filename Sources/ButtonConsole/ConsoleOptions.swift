/// Command-line options of `button-consume`.
public struct ConsoleOptions: Sendable, Equatable {
    public enum Start: Sendable, Equatable { case beginning, end }

    public var start: Start = .beginning
    public var follow = false
    public var actions: Set<String> = []
    public var countries: Set<String> = []
    public var maxEvents: Int?
    public var idleMilliseconds = 2000
    public var topic = "button_presses"
    public var bootstrap: String?
    public var registryURL: String?

    public static let usage = """
        usage: button-consume [options]
          --from-beginning      read the topic from its first event (default)
          --from-end            read only events produced from now on
          --follow, -f          keep waiting for new events (stop with Ctrl-C)
          --action NAME         only EnterPage or PressButton events (repeatable)
          --country CODE        only events from this ISO country code (repeatable)
          --max N               stop after printing N events
          --idle-ms MS          without --follow, stop after MS ms without events (default 2000)
          --topic NAME          topic (default button_presses)
          --bootstrap HOSTS     Kafka brokers (default: $KAFKA_BOOTSTRAP; other librdkafka
                                properties come from KAFKA_* variables)
          --registry URL        schema registry (default: $SCHEMA_REGISTRY_URL)
        """

    public init() {}

    /// Parses arguments (without the program name).
    /// - Throws: `ConsoleError` with a message saying what is wrong.
    public init(arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        func value(_ flag: String) throws -> String {
            guard let next = iterator.next(), !next.hasPrefix("--") else {
                throw ConsoleError("\(flag) needs a value")
            }
            return next
        }
        while let argument = iterator.next() {
            switch argument {
            case "--from-beginning": start = .beginning
            case "--from-end": start = .end
            case "--follow", "-f": follow = true
            case "--action":
                let action = try value(argument)
                guard ["EnterPage", "PressButton"].contains(action) else {
                    throw ConsoleError("--action must be EnterPage or PressButton, not '\(action)'")
                }
                actions.insert(action)
            case "--country":
                let code = try value(argument).uppercased()
                guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                    throw ConsoleError("--country takes a two-letter ISO code such as DE")
                }
                countries.insert(code)
            case "--max":
                guard let number = Int(try value(argument)), number > 0 else {
                    throw ConsoleError("--max takes a positive number")
                }
                maxEvents = number
            case "--idle-ms":
                guard let number = Int(try value(argument)), number > 0 else {
                    throw ConsoleError("--idle-ms takes a positive number of milliseconds")
                }
                idleMilliseconds = number
            case "--topic": topic = try value(argument)
            case "--bootstrap": bootstrap = try value(argument)
            case "--registry": registryURL = try value(argument)
            case "--help", "-h": throw ConsoleError(Self.usage, isHelp: true)
            default: throw ConsoleError("unknown option '\(argument)'\n\(Self.usage)")
            }
        }
    }
}

/// A usage or start-up problem of the console consumer.
public struct ConsoleError: Error, CustomStringConvertible {
    public let message: String
    /// `--help` was asked for: print the message and exit 0.
    public let isHelp: Bool
    init(_ message: String, isHelp: Bool = false) {
        self.message = message
        self.isHelp = isHelp
    }
    public var description: String { message }
}
