public import Kafka

/// The events and dead letters read since the last commit, and the offsets they cover.
///
/// Pure bookkeeping: the sink adds what it read in partition order and asks when to write.
/// A batch is written when it holds `maximum` messages, or when its oldest message has
/// waited `wait`, so a lone press is stored quickly and a backlog is written in big batches.
public struct SinkBatch: Sendable {
    public let maximum: Int
    public let wait: Duration
    public private(set) var rows: [PressRow] = []
    public private(set) var deadLetters: [DeadLetter] = []
    /// Per partition: the first offset in the batch and the next offset after it.
    public private(set) var ranges: [KafkaPartition: Range<Int64>] = [:]
    /// When the first message of the batch was added.
    public private(set) var startedAt: ContinuousClock.Instant?

    /// - Parameters:
    ///   - maximum: Messages per batch at most.
    ///   - wait: How long the first message waits for others.
    public init(maximum: Int, wait: Duration) {
        self.maximum = maximum
        self.wait = wait
    }

    /// Messages in the batch (rows and dead letters).
    public var count: Int { rows.count + deadLetters.count }
    public var isEmpty: Bool { count == 0 }

    /// Adds an event, unless the batch already holds its position.
    /// - Returns: false when the message was a second copy and was left out.
    @discardableResult
    public mutating func add(_ row: PressRow, at now: ContinuousClock.Instant) -> Bool {
        guard !holds(row.partition, row.offset) else { return false }
        rows.append(row)
        cover(row.partition, row.offset, now)
        return true
    }

    /// Adds a dead letter, unless the batch already holds its position.
    /// - Returns: false when the message was a second copy and was left out.
    @discardableResult
    public mutating func add(_ letter: DeadLetter, at now: ContinuousClock.Instant) -> Bool {
        guard !holds(letter.partition, letter.offset) else { return false }
        deadLetters.append(letter)
        cover(letter.partition, letter.offset, now)
        return true
    }

    /// Whether a position is already in the batch. The sink adds each partition's messages
    /// in offset order with no gaps, so a partition's range holds exactly its messages; a
    /// message inside it was read twice (a partition sought back after a rebalance while its
    /// earlier messages still waited here) and must not be written twice.
    public func holds(_ partition: KafkaPartition, _ offset: Int64) -> Bool {
        ranges[partition]?.contains(offset) ?? false
    }

    /// Whether the batch should be written now.
    public func isDue(at now: ContinuousClock.Instant) -> Bool {
        guard let startedAt else { return false }
        return count >= maximum || now - startedAt >= wait
    }

    /// How long a poll may block before the batch is due (at most `limit`).
    public func pollTimeout(at now: ContinuousClock.Instant, limit: Duration) -> Duration {
        guard let startedAt else { return limit }
        let left = wait - (now - startedAt)
        return max(.zero, min(limit, left))
    }

    /// Empties the batch after it was written (or abandoned).
    public mutating func reset() {
        rows.removeAll(keepingCapacity: true)
        deadLetters.removeAll(keepingCapacity: true)
        ranges.removeAll(keepingCapacity: true)
        startedAt = nil
    }

    /// Replaces the rows (after some turned out to be poison) without changing the ranges.
    mutating func replace(rows: [PressRow], deadLetters: [DeadLetter]) {
        self.rows = rows
        self.deadLetters = deadLetters
    }

    private mutating func cover(_ partition: KafkaPartition, _ offset: Int64, _ now: ContinuousClock.Instant) {
        if startedAt == nil { startedAt = now }
        if let range = ranges[partition] {
            ranges[partition] = min(range.lowerBound, offset)..<max(range.upperBound, offset + 1)
        } else {
            ranges[partition] = offset..<(offset + 1)
        }
    }
}
