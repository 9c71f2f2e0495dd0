public import Kafka

/// Which offset the sink reads next in each partition, and what to do with a message.
///
/// The truth is the offsets table in PostgreSQL; this is the sink's copy. A partition the
/// tracker does not know yet is looked up in the table first (``Decision/lookUp``). Kafka may
/// hand over messages from elsewhere: from where the group started (earliest) before the seek
/// to the stored offset took effect, or fetched before a seek: those before the position are
/// skipped, a jump past it is answered with one seek back. A jump that persists after that
/// seek is real (offsets taken by transaction markers, or removed by retention) and accepted.
public struct PositionTracker: Sendable {
    /// What to do with a message.
    public enum Decision: Equatable, Sendable {
        /// Process it: it is the next offset of its partition.
        case accept
        /// Drop it: it is before the position (already stored).
        case skip
        /// Drop it and seek the partition to this offset.
        case seek(Int64)
        /// Look the partition's stored offset up first, then decide again.
        case lookUp
    }

    private var next: [KafkaPartition: Int64] = [:]
    private var sought: [KafkaPartition: Int64] = [:]

    public init() {}

    /// The next offset of a partition, if known.
    public func position(_ partition: KafkaPartition) -> Int64? { next[partition] }

    /// Records the stored position (nil: nothing stored yet, start wherever Kafka starts).
    public mutating func load(_ partition: KafkaPartition, stored: Int64?, firstSeen offset: Int64) {
        next[partition] = stored ?? offset
    }

    /// Sets the position after a seek (or a resynchronisation after a failed write).
    public mutating func reposition(_ partition: KafkaPartition, to offset: Int64) {
        next[partition] = offset
        sought[partition] = offset
    }

    /// Forgets partitions: their position is read from the table again (after a rebalance).
    public mutating func forget(_ partitions: some Sequence<KafkaPartition>) {
        for partition in partitions {
            next[partition] = nil
            sought[partition] = nil
        }
    }

    /// Decides about a message.
    public mutating func decide(_ partition: KafkaPartition, offset: Int64) -> Decision {
        guard let expected = next[partition] else { return .lookUp }
        if offset == expected {
            next[partition] = offset + 1
            sought[partition] = nil
            return .accept
        }
        if offset < expected { return .skip }
        if sought[partition] == expected {
            // Sought there already and Kafka still starts later: the offsets in between are
            // gone or were never messages.
            next[partition] = offset + 1
            sought[partition] = nil
            return .accept
        }
        sought[partition] = expected
        return .seek(expected)
    }

    /// Lag per partition: the high watermark minus the next offset to read.
    public func lag(highWatermarks: [KafkaPartition: Int64]) -> [KafkaPartition: Int64] {
        var lag: [KafkaPartition: Int64] = [:]
        for (partition, high) in highWatermarks {
            lag[partition] = next[partition].map { max(0, high - $0) }
        }
        return lag
    }
}
