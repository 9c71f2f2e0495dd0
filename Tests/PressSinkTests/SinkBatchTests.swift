import ButtonEvents
import Foundation
import Kafka
import Testing

@testable import PressSink

@Suite struct SinkBatchTests {
    let p0 = KafkaPartition(topic: "t", partition: 0)
    let p1 = KafkaPartition(topic: "t", partition: 1)
    let event = PressEvent(
        sessionID: UUID(),
        timestamp: 1,
        action: .pressButton,
        countryName: "Germany",
        countryCode: "DE",
        subdivisionName: "",
        subdivisionCode: "",
        cityName: "",
        cohort: nil
    )

    @Test func dueBySizeAndByTime() {
        let start = ContinuousClock.now
        var batch = SinkBatch(maximum: 3, wait: .milliseconds(200))
        #expect(!batch.isDue(at: start + .seconds(10)))
        #expect(batch.pollTimeout(at: start, limit: .milliseconds(100)) == .milliseconds(100))
        batch.add(PressRow(event: event, partition: p0, offset: 5), at: start)
        #expect(!batch.isDue(at: start + .milliseconds(199)))
        #expect(batch.isDue(at: start + .milliseconds(200)))
        #expect(batch.pollTimeout(at: start + .milliseconds(150), limit: .milliseconds(100)) == .milliseconds(50))
        #expect(batch.pollTimeout(at: start + .milliseconds(250), limit: .milliseconds(100)) == .zero)
        batch.add(PressRow(event: event, partition: p0, offset: 6), at: start)
        batch.add(DeadLetter(partition: p1, offset: 9, key: nil, value: [1], reason: "x"), at: start)
        #expect(batch.isDue(at: start))
        #expect(batch.ranges == [p0: 5..<7, p1: 9..<10])
        batch.reset()
        #expect(batch.isEmpty && batch.ranges.isEmpty && !batch.isDue(at: start + .seconds(1)))
    }

    /// A partition sought back after a rebalance is read again while its first reading may
    /// still wait in the batch: the second copy is left out, so no row is written twice.
    @Test func aPositionReadTwiceIsBatchedOnce() {
        let start = ContinuousClock.now
        var batch = SinkBatch(maximum: 100, wait: .seconds(1))
        var added: [Bool] = []
        for offset in Int64(10)..<13 {
            added.append(batch.add(PressRow(event: event, partition: p0, offset: offset), at: start))
        }
        added.append(batch.add(PressRow(event: event, partition: p0, offset: 10), at: start))
        added.append(batch.add(DeadLetter(partition: p0, offset: 12, key: nil, value: [1], reason: "x"), at: start))
        added.append(batch.add(PressRow(event: event, partition: p1, offset: 10), at: start))
        added.append(batch.add(PressRow(event: event, partition: p0, offset: 13), at: start))
        #expect(added == [true, true, true, false, false, true, true])
        #expect(batch.rows.map(\.offset) == [10, 11, 12, 10, 13])
        #expect(batch.deadLetters.isEmpty)
        #expect(batch.ranges == [p0: 10..<14, p1: 10..<11])
    }

    @Test func trackerAcceptsInOrderSkipsOldSeeksOnceOnGaps() {
        var tracker = PositionTracker()
        #expect(tracker.decide(p0, offset: 0) == .lookUp)
        tracker.load(p0, stored: 10, firstSeen: 0)
        #expect(tracker.decide(p0, offset: 0) == .skip)
        #expect(tracker.decide(p0, offset: 10) == .accept)
        #expect(tracker.decide(p0, offset: 10) == .skip)
        #expect(tracker.decide(p0, offset: 13) == .seek(11))
        // Still a gap after the seek: the offsets in between are gone; accepted.
        #expect(tracker.decide(p0, offset: 13) == .accept)
        #expect(tracker.position(p0) == 14)
        tracker.load(p1, stored: nil, firstSeen: 4)
        #expect(tracker.decide(p1, offset: 4) == .accept)
        tracker.forget([p1])
        #expect(tracker.decide(p1, offset: 5) == .lookUp)
        #expect(tracker.lag(highWatermarks: [p0: 20, p1: 9]) == [p0: 6])
    }

    @Test func rowProblems() {
        #expect(PressRow.problem(with: event) == nil)
        var bad = event
        bad.countryCode = "DEU"
        #expect(PressRow.problem(with: bad)?.contains("country_code") == true)
        bad = event
        bad.countryCode = ""
        #expect(PressRow.problem(with: bad) == nil)
        bad.cityName = String(repeating: "x", count: PressRow.maximumTextLength + 1)
        #expect(PressRow.problem(with: bad)?.contains("city_name") == true)
        bad = event
        bad.subdivisionName = "a\u{0}b"
        #expect(PressRow.problem(with: bad)?.contains("NUL") == true)
    }

    @Test func migrationPlan() throws {
        try SinkMigrations.check(SinkMigrations.all)
        #expect(SinkMigrations.all.map(\.version) == Array(1...SinkMigrations.all.count))
        #expect(try SinkMigrations.plan(known: SinkMigrations.all, applied: []).count == SinkMigrations.all.count)
        #expect(try SinkMigrations.plan(known: SinkMigrations.all, applied: [1]).map(\.version) == [2])
        let everything = Set(SinkMigrations.all.map(\.version))
        #expect(try SinkMigrations.plan(known: SinkMigrations.all, applied: everything).map(\.version) == [])
        #expect(throws: SinkMigrationError.self) {
            try SinkMigrations.plan(known: SinkMigrations.all, applied: [1, 99])
        }
        let outOfOrder = [
            SinkMigration(version: 2, name: "b", statements: ["SELECT 1"]),
            SinkMigration(version: 1, name: "a", statements: ["SELECT 1"]),
        ]
        #expect(throws: SinkMigrationError.self) { try SinkMigrations.check(outOfOrder) }
    }
}
