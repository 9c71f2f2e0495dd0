import Foundation

/// A position in a topic (each partition's end offset), and reading what came after it.
///
/// Tests mark the topic before they act and read only the newer messages, so they never
/// wade through (or race the in-memory broker's eviction of) everything older. Uses kcat,
/// a client independent of our Kafka module.
public struct TopicMark: Sendable {
    public let bootstrap: String
    public let topic: String
    public let offsets: [Int32: Int64]

    /// One message after the mark.
    public struct Message: Sendable {
        public let partition: Int32
        public let offset: Int64
        public let key: String?
        public let value: [UInt8]
    }

    /// Marks the current end of every partition.
    public init(bootstrap: String, topic: String = "button_presses", partitions: Int32 = 6) throws {
        self.bootstrap = bootstrap
        self.topic = topic
        let text = try Self.kcat(["-b", bootstrap, "-Q"] + (0..<partitions).flatMap { ["-t", "\(topic):\($0):-1"] })
        var offsets: [Int32: Int64] = [:]
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
            // "button_presses [3] offset 1234"
            let parts = line.split(separator: " ")
            guard parts.count == 4, let partition = Int32(parts[1].dropFirst().dropLast()), let offset = Int64(parts[3])
            else { continue }
            offsets[partition] = offset
        }
        guard offsets.count == Int(partitions) else {
            throw StackEnvError(message: "kcat could not read the end offsets of \(topic)")
        }
        self.offsets = offsets
    }

    /// Messages appended since the mark whose key is one of `keys` (all when nil), waiting
    /// up to `timeout` for at least `expected` of them.
    public func messages(
        keys: Set<String>? = nil,
        expected: Int = 0,
        timeout: Duration = .seconds(15)
    ) throws
        -> [Message]
    {
        let deadline = ContinuousClock.now + timeout
        while true {
            var result: [Message] = []
            for (partition, start) in offsets.sorted(by: { $0.key < $1.key }) {
                let raw = try Self.kcat([
                    "-b", bootstrap, "-C", "-t", topic, "-p", "\(partition)", "-o", "\(start)", "-e", "-q",
                    "-f", "%o|%K|%k|%S|%s",
                ])
                result += try Self.parse(raw, partition: partition).filter {
                    keys == nil || keys?.contains($0.key ?? "") == true
                }
            }
            if result.count >= expected || ContinuousClock.now > deadline { return result }
            Thread.sleep(forTimeInterval: 0.3)
        }
    }

    /// How many messages were appended since the mark.
    public func count() throws -> Int {
        try TopicMark(bootstrap: bootstrap, topic: topic, partitions: Int32(offsets.count)).offsets
            .reduce(0) { $0 + Int($1.value - (offsets[$1.key] ?? 0)) }
    }

    /// Parses kcat's `%o|%K|%k|%S|%s` records: lengths make binary values unambiguous.
    static func parse(_ data: [UInt8], partition: Int32) throws -> [Message] {
        var messages: [Message] = []
        var index = 0
        func number() throws -> Int {
            var digits = ""
            while index < data.count, data[index] != UInt8(ascii: "|") {
                digits.append(Character(UnicodeScalar(data[index])))
                index += 1
            }
            index += 1
            guard let value = Int(digits) else { throw StackEnvError(message: "unexpected kcat output") }
            return value
        }
        func bytes(_ count: Int) -> [UInt8] {
            let end = min(data.count, index + max(0, count))
            defer { index = end }
            return Array(data[index..<end])
        }
        while index < data.count {
            let offset = try number()
            let keyLength = try number()
            let key = keyLength >= 0 ? String(decoding: bytes(keyLength), as: UTF8.self) : nil
            index += 1  // '|'
            let valueLength = try number()
            messages.append(Message(partition: partition, offset: Int64(offset), key: key, value: bytes(valueLength)))
        }
        return messages
    }

    static func kcat(_ arguments: [String]) throws -> [UInt8] {
        let result = try Command.run("/usr/bin/kcat", arguments)
        guard result.status == 0 else {
            throw StackEnvError(message: "kcat \(arguments.joined(separator: " ")) failed: \(result.errors)")
        }
        return Array(result.outputData)
    }
}
