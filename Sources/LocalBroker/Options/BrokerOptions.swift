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

extension BrokerTopic {
    /// Parses `NAME:PARTITIONS`, e.g. `button_presses:6` (the value of `--topic`).
    /// - Parameter text: The option's value.
    /// - Throws: ``BrokerTopicError`` saying what is wrong; ArgumentParser names the option.
    public init(parsing text: String) throws(BrokerTopicError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw BrokerTopicError("want NAME:PARTITIONS")
        }
        let name = String(text[..<colon])
        guard TopicName.isValid(name) else {
            throw BrokerTopicError("invalid topic name \"\(name)\" (letters, digits, '.', '_', '-'; at most 249)")
        }
        guard let partitions = Int(text[text.index(after: colon)...]), (1...1000).contains(partitions) else {
            throw BrokerTopicError("partitions of \(name) must be a number from 1 to 1000")
        }
        self.init(name: name, partitions: partitions)
    }
}

/// A `--topic` value that is not `NAME:PARTITIONS`.
public struct BrokerTopicError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong.
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
