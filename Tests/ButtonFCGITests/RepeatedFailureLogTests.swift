import Logging
import Synchronization
import Testing

@testable import ButtonFCGI

/// Keeps log lines in memory.
final class MemoryLog: Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }
    private let stored = Mutex<[Line]>([])
    var lines: [Line] { stored.withLock { $0 } }
    func append(_ line: Line) { stored.withLock { $0.append(line) } }

    var logger: Logger {
        Logger(label: "memory") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: MemoryLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append(Line(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let nanoseconds = Atomic<UInt64>(1_000_000_000)
    func advance(_ seconds: UInt64) { nanoseconds.add(seconds * 1_000_000_000, ordering: .relaxed) }
    var now: @Sendable () -> UInt64 { { self.nanoseconds.load(ordering: .relaxed) } }
}

@Suite struct RepeatedFailureLogTests {
    /// Defect: an outage wrote one warning per refused request, at request rate.
    @Test func anOutageWritesTheFirstFailureThenOneSummaryPerInterval() {
        let memory = MemoryLog()
        let clock = ManualClock()
        let failures = RepeatedFailureLog("refused", interval: .seconds(5), logger: memory.logger, now: clock.now)
        for _ in 0..<1000 { failures.record(reason: "timed out") }
        #expect(memory.lines.count == 1, "the first failure is logged at once, the rest are counted")
        #expect(memory.lines.first?.metadata["failures"] == "1")
        clock.advance(2)
        for _ in 0..<500 { failures.record(reason: "timed out") }
        #expect(memory.lines.count == 1)
        clock.advance(3)
        failures.record(reason: "queue full")
        #expect(memory.lines.count == 2)
        #expect(memory.lines.last?.metadata["failures"] == "1500", "999 + 500 counted, plus the one that wrote")
        #expect(memory.lines.last?.metadata["reason"] == "queue full")
        #expect(failures.count == 1501)
    }

    @Test func theLastSummaryIsWrittenOnceRequestsSucceedAgain() {
        let memory = MemoryLog()
        let clock = ManualClock()
        let failures = RepeatedFailureLog("refused", interval: .seconds(5), logger: memory.logger, now: clock.now)
        for _ in 0..<10 { failures.record(reason: "timed out") }
        failures.recordSuccess()
        #expect(memory.lines.count == 1, "not before the interval")
        clock.advance(6)
        failures.recordSuccess()
        #expect(memory.lines.count == 2)
        #expect(memory.lines.last?.metadata["failures"] == "9")
        #expect(memory.lines.last?.metadata["recovered"] == "true")
        clock.advance(6)
        failures.recordSuccess()
        #expect(memory.lines.count == 2, "nothing left to report")
    }

    @Test func manyThreadsCountEveryFailure() async {
        let memory = MemoryLog()
        let failures = RepeatedFailureLog("refused", interval: .seconds(60), logger: memory.logger)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<1000 { failures.record(reason: "x") } } }
        }
        #expect(failures.count == 8000)
        #expect(memory.lines.count == 1)
    }
}
