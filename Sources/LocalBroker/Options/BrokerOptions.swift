/// A topic the broker creates at start: `--topic name:partitions`.
public struct BrokerTopic: Sendable, Equatable {
    /// The topic name.
    public let name: String
    /// Its number of partitions.
    public let partitions: Int

    /// Creates a topic description.
    public init(name: String, partitions: Int) {
        self.name = name
        self.partitions = partitions
    }
}

/// How to run the local broker: `button-broker --brokers N --topic name:partitions …
/// --control PATH [--ready-file PATH]`.
public struct BrokerOptions: Sendable, Equatable {
    /// Number of mock brokers (1...9).
    public var brokers: Int
    /// Topics to create at start, with replication factor `min(3, brokers)`.
    public var topics: [BrokerTopic]
    /// Where the control socket listens.
    public var controlPath: String
    /// Where to publish `KAFKA_BOOTSTRAP` and `BROKER_CONTROL` once ready; `nil` for nowhere.
    public var readyFile: String?

    /// Creates options.
    public init(brokers: Int = 1, topics: [BrokerTopic] = [], controlPath: String, readyFile: String? = nil) {
        self.brokers = brokers
        self.topics = topics
        self.controlPath = controlPath
        self.readyFile = readyFile
    }

    /// The replication factor for created topics: `min(3, brokers)`.
    public var replicationFactor: Int { min(3, brokers) }
}

/// What the `button-broker` command line asks for.
public enum BrokerCommandLine: Sendable, Equatable {
    /// Run the broker until SIGTERM/SIGINT.
    case serve(BrokerOptions)
    /// `ctl --control PATH command…`: send one control command and print the reply.
    case control(path: String, command: String)
    /// `--help`.
    case help

    /// The usage text.
    public static let usage = """
        usage: button-broker --brokers 1|3 --topic NAME:PARTITIONS [--topic …] --control PATH [--ready-file PATH]
               button-broker ctl --control PATH COMMAND [ARG…]

        Runs librdkafka's mock Kafka cluster on 127.0.0.1 until SIGTERM/SIGINT. Once the topics exist it
        writes the ready file (atomically) with the lines KAFKA_BOOTSTRAP=host:port,… and BROKER_CONTROL=PATH.
        Control commands (one per line on the UNIX socket, one reply line "ok …" or "error: …"):
          ping | topics | create TOPIC PARTITIONS | down ID|all | up ID|all | rtt ID|all MS
          errors API COUNT ERROR_NAME     e.g. errors Produce 3 NOT_LEADER_OR_FOLLOWER
        """

    /// Parses the arguments after the program name.
    /// - Parameter arguments: e.g. `["--brokers", "3", "--topic", "button_presses:6", "--control", "/tmp/ctl"]`.
    /// - Returns: What to do.
    /// - Throws: ``BrokerUsageError`` naming the offending argument.
    public static func parse(_ arguments: [String]) throws(BrokerUsageError) -> BrokerCommandLine {
        if arguments.first == "ctl" {
            return try parseControl(Array(arguments.dropFirst()))
        }
        var brokers = 1
        var topics: [BrokerTopic] = []
        var controlPath: String?
        var readyFile: String?
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "-h", "--help":
                return .help
            case "--brokers":
                let value = try value(of: argument, from: &remaining)
                guard let count = Int(value), (1...9).contains(count) else {
                    throw BrokerUsageError("--brokers must be a number from 1 to 9, not \"\(value)\"")
                }
                brokers = count
            case "--topic":
                let topic = try parseTopic(try value(of: argument, from: &remaining))
                guard !topics.contains(where: { $0.name == topic.name }) else {
                    throw BrokerUsageError("topic \"\(topic.name)\" is given twice")
                }
                topics.append(topic)
            case "--control":
                controlPath = try value(of: argument, from: &remaining)
            case "--ready-file":
                readyFile = try value(of: argument, from: &remaining)
            default:
                throw BrokerUsageError("unknown argument \"\(argument)\"")
            }
        }
        guard let controlPath else {
            throw BrokerUsageError("--control PATH is required")
        }
        return .serve(BrokerOptions(brokers: brokers, topics: topics, controlPath: controlPath, readyFile: readyFile))
    }

    /// `NAME:PARTITIONS`, e.g. `button_presses:6`.
    static func parseTopic(_ text: String) throws(BrokerUsageError) -> BrokerTopic {
        guard let colon = text.lastIndex(of: ":") else {
            throw BrokerUsageError("--topic wants NAME:PARTITIONS, not \"\(text)\"")
        }
        let name = String(text[..<colon])
        guard TopicName.isValid(name) else {
            throw BrokerUsageError("invalid topic name \"\(name)\" (letters, digits, '.', '_', '-'; at most 249)")
        }
        guard let partitions = Int(text[text.index(after: colon)...]), (1...1000).contains(partitions) else {
            throw BrokerUsageError("--topic \(name): partitions must be a number from 1 to 1000")
        }
        return BrokerTopic(name: name, partitions: partitions)
    }

    private static func parseControl(_ arguments: [String]) throws(BrokerUsageError) -> BrokerCommandLine {
        var remaining = arguments[...]
        var path: String?
        var words: [String] = []
        while let argument = remaining.popFirst() {
            if argument == "--control", path == nil, words.isEmpty {
                path = try value(of: argument, from: &remaining)
            } else {
                words.append(argument)
            }
        }
        guard let path else { throw BrokerUsageError("ctl: --control PATH is required") }
        guard !words.isEmpty else { throw BrokerUsageError("ctl: no command given") }
        return .control(path: path, command: words.joined(separator: " "))
    }

    private static func value(
        of option: String,
        from remaining: inout ArraySlice<String>
    ) throws(BrokerUsageError) -> String {
        guard let value = remaining.popFirst(), !value.isEmpty else {
            throw BrokerUsageError("\(option) needs a value")
        }
        return value
    }
}

/// Kafka's rule for topic names.
enum TopicName {
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 249 && name != "." && name != ".."
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                        || ".-_".unicodeScalars.contains(scalar))
            }
    }
}

/// A bad `button-broker` command line.
public struct BrokerUsageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong.
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
