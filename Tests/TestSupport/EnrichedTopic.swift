public import Foundation

/// The enricher's side of the stack for tests: its output topics read with kcat (independent
/// of our Kafka module and of the enricher's own code), its log and status file, and the local
/// time of an instant computed by Python's `zoneinfo` from the system's tzdata (independent of
/// Foundation).
public struct EnrichedTopic: Sendable {
    public static let name = "button_presses_enriched"
    public static let deadLetters = "button_presses_enriched_dead_letters"

    public let stack: PressStack

    /// - Throws: when the stack is not up.
    public init() throws { stack = try PressStack() }

    /// Marks the end of the enriched topic.
    public func mark() throws -> TopicMark {
        try TopicMark(bootstrap: stack.bootstrap, topic: Self.name, partitions: 6)
    }

    /// Marks the end of the dead-letter topic.
    public func markDeadLetters() throws -> TopicMark {
        try TopicMark(bootstrap: stack.bootstrap, topic: Self.deadLetters, partitions: 1)
    }

    /// One enriched message: its key and its JSON object.
    public struct Message: @unchecked Sendable {
        // @unchecked: the object is a parsed JSON tree, never mutated.
        public let key: String?
        public let object: [String: Any]
        public let partition: Int32

        public subscript(_ field: String) -> Any? { object[field] }
        /// The source position the message names.
        public var source: Position? {
            guard let partition = object["source_partition"] as? Int, let offset = object["source_offset"] as? Int
            else { return nil }
            return Position(partition: Int32(partition), offset: Int64(offset))
        }
    }

    /// A position in `button_presses`.
    public struct Position: Hashable, Sendable, Comparable {
        public let partition: Int32
        public let offset: Int64
        public init(partition: Int32, offset: Int64) {
            self.partition = partition
            self.offset = offset
        }
        public static func < (a: Position, b: Position) -> Bool { (a.partition, a.offset) < (b.partition, b.offset) }
    }

    /// The messages of these sessions (by key) since the mark, waiting up to `timeout` for
    /// `expected` of them.
    /// - Throws: when a value is not a JSON object (the contract is broken).
    public func messages(
        since mark: TopicMark,
        sessions: [UUID],
        expected: Int,
        timeout: Duration = .seconds(15)
    ) throws -> [Message] {
        let keys = Set(sessions.map { $0.uuidString.lowercased() })
        return try mark.messages(keys: keys, expected: expected, timeout: timeout).map { raw in
            guard let object = try JSONSerialization.jsonObject(with: Data(raw.value)) as? [String: Any] else {
                throw StackEnvError(message: "not a JSON object: \(String(decoding: raw.value, as: UTF8.self))")
            }
            return Message(key: raw.key, object: object, partition: raw.partition)
        }
    }

    /// The dead-letter records since the mark, as JSON objects, waiting for `expected`.
    public func deadLetters(since mark: TopicMark, expected: Int) throws -> [[String: Any]] {
        try mark.messages(expected: expected).map { raw in
            guard let object = try JSONSerialization.jsonObject(with: Data(raw.value)) as? [String: Any] else {
                throw StackEnvError(message: "a dead letter is not a JSON object")
            }
            return object
        }
    }

    /// The enricher's status file.
    public var status: String {
        (try? String(contentsOfFile: "\(stack.runDir)/enricher.status", encoding: .utf8)) ?? ""
    }

    /// A counter of the status file, e.g. `enriched`.
    public func counter(_ name: String) -> Int? {
        status.split(separator: "\n").first { $0.hasPrefix("\(name) ") }.flatMap { Int($0.dropFirst(name.count + 1)) }
    }

    /// The enricher's log file.
    public var logPath: String { "\(stack.runDir)/logs/enricher.log" }

    /// The enricher's pid (from the stack's pid file).
    public func pid() throws -> pid_t {
        let text = try String(contentsOfFile: "\(stack.runDir)/pids/enricher.pid", encoding: .utf8)
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw StackEnvError(message: "no enricher pid")
        }
        return pid
    }

    /// Local hour and ISO weekday of µs timestamps in zones, by Python's `zoneinfo` (the
    /// system's tzdata), for checking the enricher's Foundation-based answers.
    public static func pythonLocalTimes(_ cases: [(micros: Int64, zone: String)]) throws -> [(hour: Int, weekday: Int)]
    {
        let script = """
            import datetime, json, sys, zoneinfo
            out = []
            for micros, zone in json.loads(sys.argv[1]):
                t = datetime.datetime.fromtimestamp(micros // 1000000, zoneinfo.ZoneInfo(zone))
                out.append([t.hour, t.isoweekday()])
            print(json.dumps(out))
            """
        let input = try JSONSerialization.data(withJSONObject: cases.map { [$0.micros, $0.zone] as [Any] })
        let result = try Command.run("/usr/bin/python3", ["-c", script, String(decoding: input, as: UTF8.self)])
        guard result.status == 0, let rows = try JSONSerialization.jsonObject(with: result.outputData) as? [[Int]]
        else {
            throw StackEnvError(message: "python zoneinfo failed: \(result.errors)")
        }
        return rows.map { ($0[0], $0[1]) }
    }
}

extension EnrichedTopic {
    /// Produces raw lines to `button_presses_enriched` with kcat, independently of any
    /// enricher: one message per line, keyed by `key` (so all land in one partition, in order).
    /// - Throws: when kcat fails.
    public static func produce(_ lines: [String], key: String, bootstrap: String) throws {
        guard lines.allSatisfy({ !$0.contains("\n") && !$0.contains("\t") }), !key.contains("\t") else {
            throw StackEnvError(message: "a kcat line holds no newline or tab")
        }
        let input = lines.map { "\(key)\t\($0)\n" }.joined()
        let result = try Command.run(
            "/usr/bin/kcat",
            ["-b", bootstrap, "-t", name, "-P", "-K", "\t", "-X", "linger.ms=0"],
            input: Data(input.utf8)
        )
        guard result.status == 0 else { throw StackEnvError(message: "kcat -P failed: \(result.errors)") }
    }
}
