import Logging
import Synchronization
import TestSupport
import Testing

@testable import ButtonFCGI

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let nanoseconds = Atomic<UInt64>(1_000_000_000)
    func advance(_ seconds: UInt64) { nanoseconds.add(seconds * 1_000_000_000, ordering: .relaxed) }
    var now: @Sendable () -> UInt64 { { self.nanoseconds.load(ordering: .relaxed) } }
}

@Suite struct RepeatedFailureLogTests {
    /// Defect: an outage wrote one warning per refused request, at request rate.
    @Test func anOutageWritesTheFirstFailureThenOneSummaryPerInterval() {
        let memory = LogRecorder()
        let clock = ManualClock()
        let failures = RepeatedFailureLog("refused", interval: .seconds(5), logger: memory.logger(), now: clock.now)
        for _ in 0..<1000 { failures.record(reason: "timed out") }
        #expect(memory.entries.count == 1, "the first failure is logged at once, the rest are counted")
        #expect(memory.entries.first?.values["failures"] == "1")
        clock.advance(2)
        for _ in 0..<500 { failures.record(reason: "timed out") }
        #expect(memory.entries.count == 1)
        clock.advance(3)
        failures.record(reason: "queue full")
        #expect(memory.entries.count == 2)
        #expect(memory.entries.last?.values["failures"] == "1500", "999 + 500 counted, plus the one that wrote")
        #expect(memory.entries.last?.values["reason"] == "queue full")
        #expect(failures.count == 1501)
    }

    @Test func theLastSummaryIsWrittenOnceRequestsSucceedAgain() {
        let memory = LogRecorder()
        let clock = ManualClock()
        let failures = RepeatedFailureLog("refused", interval: .seconds(5), logger: memory.logger(), now: clock.now)
        for _ in 0..<10 { failures.record(reason: "timed out") }
        failures.recordSuccess()
        #expect(memory.entries.count == 1, "not before the interval")
        clock.advance(6)
        failures.recordSuccess()
        #expect(memory.entries.count == 2)
        #expect(memory.entries.last?.values["failures"] == "9")
        #expect(memory.entries.last?.values["recovered"] == "true")
        clock.advance(6)
        failures.recordSuccess()
        #expect(memory.entries.count == 2, "nothing left to report")
    }

    @Test func manyThreadsCountEveryFailure() async {
        let memory = LogRecorder()
        let failures = RepeatedFailureLog("refused", interval: .seconds(60), logger: memory.logger())
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<1000 { failures.record(reason: "x") } } }
        }
        #expect(failures.count == 8000)
        #expect(memory.entries.count == 1)
    }
}
