import Foundation
public import Kafka

/// What a consumer reports every few seconds: the lag of each assigned partition and its
/// counters, as one log line and as a status file that `scripts/stack status` prints.
///
/// The file is plain `name value` lines: `updated`, `pid`, the counters in the order given,
/// then `lag <topic>[<partition>] <messages>` per partition (`?` before the first fetch).
public struct ConsumerStatus: Sendable {
    /// The topic read (the log line names it once).
    public var topic: String
    /// Counters, in the order they are shown.
    public var counters: [(name: String, value: Int)]
    /// Lag per assigned partition, in partition order; nil when not known yet.
    public var lags: [(partition: KafkaPartition, lag: Int64?)]

    /// Computes the lag of each assigned partition from the consumer's cached watermarks
    /// (no broker round trip).
    /// - Parameters:
    ///   - consumer: The consumer.
    ///   - assigned: Its partitions.
    ///   - positions: The next offset to be processed per partition; a partition without
    ///     one has not been read yet, so everything still in it is behind.
    ///   - counters: The counters to show.
    public init(
        consumer: KafkaConsumer,
        assigned: some Sequence<KafkaPartition>,
        positions: [KafkaPartition: Int64],
        counters: [(name: String, value: Int)]
    ) {
        topic = consumer.topics.first ?? ""
        self.counters = counters
        lags = assigned.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.map { partition in
            guard let marks = consumer.cachedWatermarks(partition) else { return (partition, nil) }
            return (partition, max(0, marks.high - (positions[partition] ?? marks.low)))
        }
    }

    /// One line for the log: `lag <topic> 0=12 1=0 …; 10 enriched, 0 dead letters`.
    public var logLine: String {
        let parts = lags.map { "\($0.partition.partition)=\($0.lag.map(String.init) ?? "?")" }
        let counts = counters.map { "\($0.value) \($0.name.replacingOccurrences(of: "_", with: " "))" }
        return "lag \(topic) \(parts.joined(separator: " ")); \(counts.joined(separator: ", "))"
    }

    /// The status file's text.
    public var fileText: String {
        var lines = [
            "updated \(ISO8601DateFormatter().string(from: Date()))",
            "pid \(ProcessInfo.processInfo.processIdentifier)",
        ]
        lines += counters.map { "\($0.name) \($0.value)" }
        lines += lags.map { "lag \($0.partition) \($0.lag.map(String.init) ?? "?")" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the status file beside its place and renames it, so a reader never sees half
    /// a file.
    /// - Parameter path: The status file.
    /// - Throws: When the directory is not writable.
    public func write(to path: String) throws {
        let temporary = path + ".tmp"
        try Data(fileText.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
