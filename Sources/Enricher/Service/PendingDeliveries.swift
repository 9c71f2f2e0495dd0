public import Kafka

/// The produced messages still awaiting their acknowledgement, per source partition, in the
/// order their source messages were read: what decides which source positions may be
/// committed.
///
/// At-least-once: a source offset is committed only when its output (enriched event or dead
/// letter) and the output of every earlier message of its partition was acknowledged. A
/// failed delivery stops its partition there: the caller reads the partition again from the
/// failed offset, so later messages may be written twice (the target collapses duplicates
/// on the source position), never zero times.
///
/// Generic over the ticket so the logic is tested without a broker.
public struct PendingDeliveries<Ticket> {
    /// What a produced message was.
    public enum Kind: Sendable { case enriched, deadLetter }

    private struct Entry {
        let offset: Int64
        let ticket: Ticket
        let kind: Kind
    }

    /// What ``settle(result:)`` found.
    public struct Settled {
        /// Next offset to commit per partition (the last acknowledged offset + 1).
        public var committable: [KafkaPartition: Int64] = [:]
        public var enriched = 0
        public var deadLetters = 0
        /// Partitions whose delivery failed: the first failed offset and the error. Their
        /// later entries were dropped; read the partition again from that offset.
        public var failed: [KafkaPartition: (offset: Int64, error: KafkaError)] = [:]
    }

    private var queues: [KafkaPartition: [Entry]] = [:]
    /// Entries already acknowledged at the front of each queue (removed in bulk).
    private var heads: [KafkaPartition: Int] = [:]
    /// Messages awaiting their acknowledgement.
    public private(set) var count = 0

    public init() {}

    /// Records a produced message.
    public mutating func append(_ partition: KafkaPartition, offset: Int64, ticket: Ticket, kind: Kind) {
        queues[partition, default: []].append(Entry(offset: offset, ticket: ticket, kind: kind))
        count += 1
    }

    /// The oldest unsettled ticket (to wait on when too many are in flight).
    public var oldest: Ticket? {
        queues.lazy.compactMap { partition, queue in
            let head = heads[partition] ?? 0
            return head < queue.count ? queue[head].ticket : nil
        }.first
    }

    /// Removes the acknowledged front of each partition's queue.
    /// - Parameter result: The ticket's result, nil while it is outstanding.
    public mutating func settle(result: (Ticket) -> KafkaDeliveryResult?) -> Settled {
        var settled = Settled()
        for (partition, queue) in queues {
            var head = heads[partition] ?? 0
            scan: while head < queue.count {
                let entry = queue[head]
                switch result(entry.ticket) {
                case nil, .timedOut?:
                    break scan
                case .delivered?:
                    settled.committable[partition] = entry.offset + 1
                    switch entry.kind {
                    case .enriched: settled.enriched += 1
                    case .deadLetter: settled.deadLetters += 1
                    }
                    head += 1
                case .failed(let error)?:
                    settled.failed[partition] = (entry.offset, error)
                    head = queue.count
                }
            }
            count -= head - (heads[partition] ?? 0)
            if head == queue.count {
                queues[partition] = nil
                heads[partition] = nil
            } else if head > 1024 && head * 2 > queue.count {
                // Drop the settled front now and then, not on every message.
                queues[partition] = Array(queue[head...])
                heads[partition] = 0
            } else {
                heads[partition] = head
            }
        }
        return settled
    }

    /// Forgets partitions no longer assigned: their new owner reads them from the last commit.
    public mutating func drop(_ partitions: some Sequence<KafkaPartition>) {
        for partition in partitions {
            if let queue = queues[partition] { count -= queue.count - (heads[partition] ?? 0) }
            queues[partition] = nil
            heads[partition] = nil
        }
    }
}
