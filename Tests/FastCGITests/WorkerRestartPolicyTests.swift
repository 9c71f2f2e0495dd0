import FastCGI
import Testing

/// A clock of our own: instants are offsets the test chooses.
struct TestInstant: InstantProtocol, Sendable {
    var offset: Duration
    static func at(_ milliseconds: Int) -> TestInstant { TestInstant(offset: .milliseconds(milliseconds)) }
    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
}

@Suite struct WorkerRestartPolicyTests {
    typealias Policy = WorkerRestartPolicy<TestInstant>

    @Test func aWorkerThatLivedLongIsReplacedAtOnce() {
        var policy = Policy()
        policy.workerStarted(10, at: .at(0))
        #expect(policy.workerExited(10, at: .at(60_000)) == .at(60_000))
        #expect(policy.restartsDue(at: .at(60_000)) == 1)
        #expect(policy.restartsDue(at: .at(60_000)) == 0, "taken once")
        #expect(policy.runningWorkers.isEmpty)
    }

    @Test func youngDeathsDoubleTheDelayUpToTheMaximum() {
        var policy = Policy()
        var now = 0
        var delays: [Int] = []
        for pid in Int32(1)...Int32(9) {
            policy.workerStarted(pid, at: .at(now))
            now += 500  // dies after half a second
            let due = policy.workerExited(pid, at: .at(now))
            let delay = due.map { TestInstant.at(now).duration(to: $0) } ?? .zero
            delays.append(Int(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000))
            #expect(policy.restartsDue(at: .at(now)) == (delay == .zero ? 1 : 0), "not before the delay")
            now += delays.last ?? 0
            #expect(policy.restartsDue(at: .at(now)) == 1, "due after the delay")
        }
        #expect(delays == [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000])
        // A worker that lives long enough resets the back-off.
        policy.workerStarted(20, at: .at(now))
        now += 3000
        #expect(policy.workerExited(20, at: .at(now)) == .at(now))
        #expect(policy.delay == .zero)
    }

    @Test func pendingRestartsComeOutInTimeOrder() {
        var policy = Policy()
        policy.workerStarted(1, at: .at(0))
        policy.workerStarted(2, at: .at(0))
        #expect(policy.workerExited(1, at: .at(100)) == .at(200))  // 100 ms back-off
        #expect(policy.workerExited(2, at: .at(150)) == .at(350))  // doubled
        #expect(policy.nextRestart == .at(200))
        #expect(policy.restartsDue(at: .at(250)) == 1)
        #expect(policy.nextRestart == .at(350))
        #expect(policy.restartsDue(at: .at(400)) == 1)
        #expect(policy.nextRestart == nil)
    }

    @Test func nothingRestartsOnceStopping() {
        var policy = Policy()
        policy.workerStarted(1, at: .at(0))
        policy.workerStarted(2, at: .at(0))
        _ = policy.workerExited(1, at: .at(10))
        policy.stop()
        #expect(policy.pendingRestarts == 0)
        #expect(policy.workerExited(2, at: .at(20)) == nil)
        #expect(policy.restartsDue(at: .at(100_000)) == 0)
        #expect(policy.restartFailed(at: .at(100_000)) == nil)
    }

    @Test func unknownProcessesAreIgnoredAndFailedStartsRetry() {
        var policy = Policy()
        #expect(policy.workerExited(99, at: .at(0)) == nil, "not one of ours")
        #expect(policy.restartFailed(at: .at(0)) == .at(100))
        #expect(policy.restartFailed(at: .at(100)) == .at(300))
        #expect(policy.restartsDue(at: .at(300)) == 2)
    }

    @Test func aPlannedExitIsReplacedAtOnceEvenWhenYoung() {
        var policy = Policy()
        // Back-off already at 200 ms from two young deaths.
        policy.workerStarted(1, at: .at(0))
        _ = policy.workerExited(1, at: .at(10))
        policy.workerStarted(2, at: .at(200))
        _ = policy.workerExited(2, at: .at(210))
        _ = policy.restartsDue(at: .at(1000))
        policy.workerStarted(3, at: .at(1000))
        // A worker that served its maximum of requests in half a second exits 0.
        #expect(policy.workerExited(3, at: .at(1500), planned: true) == .at(1500))
        #expect(policy.restartsDue(at: .at(1500)) == 1)
        #expect(policy.delay == .milliseconds(200), "the back-off is left as it was")
    }

    @Test func aRetiredWorkerIsNotReplaced() {
        var policy = Policy()
        policy.workerStarted(1, at: .at(0))
        policy.workerStarted(2, at: .at(0))
        policy.workerRetired(1)
        #expect(policy.runningWorkers == [2])
        #expect(policy.workerExited(1, at: .at(60_000)) == nil)
        #expect(policy.pendingRestarts == 0)
    }
}
