import Enricher
import Kafka
import Testing

@Suite struct PendingDeliveriesTests {
    let zero = KafkaPartition(topic: "t", partition: 0)
    let one = KafkaPartition(topic: "t", partition: 1)

    /// Tickets are ids; results come from this table (absent: outstanding).
    func settle(
        _ pending: inout PendingDeliveries<Int>,
        _ results: [Int: KafkaDeliveryResult]
    ) -> PendingDeliveries<Int>.Settled {
        pending.settle { results[$0] }
    }

    @Test func onlyTheAcknowledgedPrefixOfEachPartitionIsCommittable() {
        var pending = PendingDeliveries<Int>()
        for offset in 10..<14 { pending.append(zero, offset: Int64(offset), ticket: offset, kind: .enriched) }
        pending.append(one, offset: 5, ticket: 105, kind: .deadLetter)
        #expect(pending.count == 5)
        // 10 and 11 acknowledged, 12 outstanding, 13 acknowledged out of order.
        var settled = settle(
            &pending,
            [
                10: .delivered(partition: 0, offset: 1), 11: .delivered(partition: 0, offset: 2),
                13: .delivered(partition: 0, offset: 3), 105: .delivered(partition: 0, offset: 9),
            ]
        )
        #expect(settled.committable == [zero: 12, one: 6])
        #expect(settled.enriched == 2 && settled.deadLetters == 1)
        #expect(pending.count == 2 && pending.oldest == 12)
        settled = settle(&pending, [12: .delivered(partition: 0, offset: 4), 13: .delivered(partition: 0, offset: 3)])
        #expect(settled.committable == [zero: 14] && settled.enriched == 2)
        #expect(pending.count == 0 && pending.oldest == nil)
        #expect(settle(&pending, [:]).committable.isEmpty)
    }

    @Test func aFailedDeliveryStopsItsPartitionThereAndDropsTheRest() {
        var pending = PendingDeliveries<Int>()
        for offset in 0..<5 { pending.append(zero, offset: Int64(offset), ticket: offset, kind: .enriched) }
        pending.append(one, offset: 7, ticket: 107, kind: .enriched)
        let failure = KafkaError(code: .messageTimedOut, message: "timed out")
        let settled = settle(
            &pending,
            [0: .delivered(partition: 0, offset: 0), 1: .failed(failure), 2: .delivered(partition: 0, offset: 1)]
        )
        #expect(settled.committable == [zero: 1], "nothing past the failure")
        #expect(settled.failed[zero]?.offset == 1)
        #expect(settled.failed[one] == nil)
        #expect(pending.count == 1, "the failed partition's entries are gone; partition 1's stays")
        #expect(pending.oldest == 107)
    }

    @Test func droppedPartitionsAreForgotten() {
        var pending = PendingDeliveries<Int>()
        pending.append(zero, offset: 0, ticket: 0, kind: .enriched)
        pending.append(one, offset: 0, ticket: 1, kind: .enriched)
        pending.drop([zero])
        #expect(pending.count == 1)
        let settled = settle(
            &pending,
            [0: .delivered(partition: 0, offset: 0), 1: .delivered(partition: 1, offset: 0)]
        )
        #expect(settled.committable == [one: 1])
    }

    @Test func aLongQueueIsCompactedAndStillCounted() {
        var pending = PendingDeliveries<Int>()
        for offset in 0..<5000 { pending.append(zero, offset: Int64(offset), ticket: offset, kind: .enriched) }
        var results: [Int: KafkaDeliveryResult] = [:]
        for ticket in 0..<3000 { results[ticket] = .delivered(partition: 0, offset: Int64(ticket)) }
        #expect(settle(&pending, results).committable == [zero: 3000])
        #expect(pending.count == 2000 && pending.oldest == 3000)
        for ticket in 3000..<5000 { results[ticket] = .delivered(partition: 0, offset: Int64(ticket)) }
        #expect(settle(&pending, results).enriched == 2000)
        #expect(pending.count == 0)
    }
}
