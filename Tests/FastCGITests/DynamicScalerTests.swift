import FastCGI
import Testing

/// The dynamic mode's decisions, driven by samples and instants of the test's own.
@Suite struct DynamicScalerTests {
    typealias Scaler = DynamicScaler<TestInstant>

    /// 4 threads a process, 1...4 processes, 2...6 spare threads, 10 s cool-down: the numbers
    /// scripts/tests/pool-dynamic runs with.
    static func scaler(keptConnections: Int = 0, minimum: Int = 1, maximum: Int = 4) -> Scaler {
        Scaler(
            settings: DynamicPoolSettings(minSpareThreads: 2, maxSpareThreads: 6),
            limits: PoolLimits(
                minimum: minimum,
                maximum: maximum,
                threadsPerProcess: 4,
                keptConnections: keptConnections
            )
        )
    }

    static func load(idle: Int, busy: Int = 0) -> PoolLoad {
        PoolLoad(busyThreads: busy, idleThreads: idle, processes: 1)
    }

    @Test func tooFewIdleThreadsStartAWorkerAtOnce() {
        var scaler = Self.scaler()
        let decision = scaler.decide(load: Self.load(idle: 1, busy: 3), processes: 1, starting: 0, at: .at(0))
        #expect(decision == .start(1, reason: "idle threads 1 < 2"))
    }

    @Test func enoughIdleThreadsChangeNothing() {
        var scaler = Self.scaler()
        for second in 0..<30 {
            let decision = scaler.decide(load: Self.load(idle: 2), processes: 2, starting: 0, at: .at(second * 1000))
            #expect(decision == .nothing)
            #expect(
                scaler.decide(load: Self.load(idle: 6), processes: 2, starting: 0, at: .at(second * 1000 + 500))
                    == .nothing,
                "6 idle threads is the maximum, not past it"
            )
        }
    }

    @Test func aShortageThatPersistsStartsTwiceAsManyEachTimeWithinTheMaximum() {
        var scaler = Scaler(
            settings: DynamicPoolSettings(minSpareThreads: 2, maxSpareThreads: 6),
            limits: PoolLimits(minimum: 1, maximum: 10, threadsPerProcess: 4)
        )
        let busy = Self.load(idle: 0, busy: 4)
        #expect(
            scaler.decide(load: busy, processes: 1, starting: 0, at: .at(0)) == .start(1, reason: "idle threads 0 < 2")
        )
        // The new worker is not serving yet: nothing is decided, the shortage is not forgotten.
        #expect(scaler.decide(load: busy, processes: 2, starting: 1, at: .at(1000)) == .nothing)
        #expect(
            scaler.decide(load: busy, processes: 2, starting: 0, at: .at(2000))
                == .start(2, reason: "idle threads 0 < 2")
        )
        #expect(
            scaler.decide(load: busy, processes: 4, starting: 0, at: .at(3000))
                == .start(4, reason: "idle threads 0 < 2")
        )
        // 8 would pass the maximum of 10: the rest of the room.
        #expect(
            scaler.decide(load: busy, processes: 8, starting: 0, at: .at(4000))
                == .start(2, reason: "idle threads 0 < 2")
        )
        // Once the shortage is over, the next one starts from one again.
        #expect(scaler.decide(load: Self.load(idle: 4), processes: 10, starting: 0, at: .at(5000)) == .nothing)
        #expect(
            scaler.decide(load: Self.load(idle: 1), processes: 9, starting: 0, at: .at(6000))
                == .start(1, reason: "idle threads 1 < 2")
        )
    }

    @Test func aLargeShortageStartsEnoughWorkersToCoverIt() {
        var scaler = Scaler(
            settings: DynamicPoolSettings(minSpareThreads: 10, maxSpareThreads: 20),
            limits: PoolLimits(minimum: 1, maximum: 8, threadsPerProcess: 4)
        )
        // 10 idle threads wanted, 1 there: 9 more, 3 processes of 4.
        #expect(
            scaler.decide(load: Self.load(idle: 1), processes: 2, starting: 0, at: .at(0))
                == .start(3, reason: "idle threads 1 < 10")
        )
    }

    @Test func atTheMaximumAShortageIsReportedOncePerCoolDown() {
        var scaler = Self.scaler()
        let busy = Self.load(idle: 0, busy: 16)
        guard case .blocked(let reason) = scaler.decide(load: busy, processes: 4, starting: 0, at: .at(0)) else {
            Issue.record("a shortage at the maximum was not reported")
            return
        }
        #expect(reason.contains("maximum of 4 processes (BUTTON_PROCESSES_MAX)"))
        for second in 1..<10 {
            #expect(scaler.decide(load: busy, processes: 4, starting: 0, at: .at(second * 1000)) == .nothing)
        }
        #expect(scaler.decide(load: busy, processes: 4, starting: 0, at: .at(10_000)) != .nothing)
    }

    @Test func aSurplusDrainsOneWorkerOnlyAfterItLastedTheCoolDown() {
        var scaler = Self.scaler()
        let quiet = Self.load(idle: 16)
        for second in 0..<10 {
            #expect(scaler.decide(load: quiet, processes: 4, starting: 0, at: .at(second * 1000)) == .nothing)
        }
        #expect(
            scaler.decide(load: quiet, processes: 4, starting: 0, at: .at(10_000))
                == .drain(reason: "idle threads 16 > 6 for 10 s")
        )
        // The next drain waits a cool-down of its own.
        let fewer = Self.load(idle: 12)
        for second in 11..<20 {
            #expect(scaler.decide(load: fewer, processes: 3, starting: 0, at: .at(second * 1000)) == .nothing)
        }
        #expect(
            scaler.decide(load: fewer, processes: 3, starting: 0, at: .at(20_000))
                == .drain(reason: "idle threads 12 > 6 for 10 s")
        )
    }

    @Test func aBurstWithinTheCoolDownStartsItAgain() {
        var scaler = Self.scaler()
        let quiet = Self.load(idle: 16)
        for second in 0..<8 {
            #expect(scaler.decide(load: quiet, processes: 4, starting: 0, at: .at(second * 1000)) == .nothing)
        }
        // A moment of load: idle threads back within bounds.
        #expect(scaler.decide(load: Self.load(idle: 5, busy: 11), processes: 4, starting: 0, at: .at(8000)) == .nothing)
        for second in 9..<19 {
            #expect(
                scaler.decide(load: quiet, processes: 4, starting: 0, at: .at(second * 1000)) == .nothing,
                "the surplus counts from the end of the burst (second 9), not from second 0"
            )
        }
        #expect(scaler.decide(load: quiet, processes: 4, starting: 0, at: .at(19_000)) != .nothing)
    }

    @Test func aStartResetsTheSurplusClock() {
        var scaler = Self.scaler()
        #expect(scaler.decide(load: Self.load(idle: 8), processes: 3, starting: 0, at: .at(0)) == .nothing)
        #expect(scaler.decide(load: Self.load(idle: 8), processes: 3, starting: 1, at: .at(5000)) == .nothing)
        #expect(scaler.decide(load: Self.load(idle: 8), processes: 3, starting: 0, at: .at(11_000)) == .nothing)
        #expect(scaler.decide(load: Self.load(idle: 8), processes: 3, starting: 0, at: .at(21_000)) != .nothing)
    }

    @Test func aDrainNeverLeavesFewerIdleThreadsThanTheMinimum() {
        // 6...8 spare threads, 4 a process: 9 idle threads are too many, but a drain would
        // leave 5; from 10 it leaves 6, the minimum.
        var scaler = Scaler(
            settings: DynamicPoolSettings(minSpareThreads: 6, maxSpareThreads: 8),
            limits: PoolLimits(minimum: 1, maximum: 4, threadsPerProcess: 4)
        )
        for second in 0...20 {
            #expect(
                scaler.decide(load: Self.load(idle: 9), processes: 3, starting: 0, at: .at(second * 1000)) == .nothing,
                "draining would leave 5 idle threads, under the minimum of 6, and start the worker again"
            )
        }
        #expect(scaler.decide(load: Self.load(idle: 10), processes: 3, starting: 0, at: .at(21_000)) != .nothing)
    }

    @Test func theMinimumProcessesStay() {
        var scaler = Self.scaler(minimum: 2)
        for second in 0...30 {
            #expect(
                scaler.decide(load: Self.load(idle: 8), processes: 2, starting: 0, at: .at(second * 1000)) == .nothing
            )
        }
        #expect(
            scaler.decide(load: Self.load(idle: 8), processes: 1, starting: 0, at: .at(31_000))
                == .start(1, reason: "1 of at least 2 processes (BUTTON_PROCESSES_MIN)")
        )
    }

    @Test func theKeepConnectionGuardStopsADrain() {
        // nginx keeps 8 connections: 3 processes × 4 = 12 threads fine, 2 × 4 = 8 not.
        var scaler = Self.scaler(keptConnections: 8)
        let quiet = Self.load(idle: 12)
        for second in 0..<10 {
            #expect(scaler.decide(load: quiet, processes: 3, starting: 0, at: .at(second * 1000)) == .nothing)
        }
        guard case .blocked(let reason) = scaler.decide(load: quiet, processes: 3, starting: 0, at: .at(10_000)) else {
            Issue.record("the guard did not stop a drain into the keep-connection trap")
            return
        }
        #expect(reason.contains("keep-connection trap"))
        #expect(reason.contains("idle threads 12 > 6"))
        // Reported once per cool-down, not every second.
        #expect(scaler.decide(load: quiet, processes: 3, starting: 0, at: .at(11_000)) == .nothing)
        // From 4 processes the drain to 3 is safe.
        #expect(scaler.decide(load: Self.load(idle: 16), processes: 4, starting: 0, at: .at(12_000)) != .nothing)
    }

    @Test func badSettingsAreNamed() {
        let limits = PoolLimits(minimum: 1, maximum: 4, threadsPerProcess: 4)
        #expect(DynamicPoolSettings(minSpareThreads: 2, maxSpareThreads: 6).problem(limits: limits) == nil)
        #expect(
            DynamicPoolSettings(minSpareThreads: 7, maxSpareThreads: 6).problem(limits: limits)
                == "BUTTON_MIN_SPARE_THREADS (7) must not exceed BUTTON_MAX_SPARE_THREADS (6)"
        )
        let tooMany = DynamicPoolSettings(minSpareThreads: 17, maxSpareThreads: 20).problem(limits: limits)
        #expect(tooMany?.hasPrefix("BUTTON_MIN_SPARE_THREADS (17) is more idle threads than") == true)
        #expect(tooMany?.contains("4 × 4 = 16 threads") == true)
        let neverDrains = DynamicPoolSettings(minSpareThreads: 2, maxSpareThreads: 17).problem(limits: limits)
        #expect(neverDrains?.hasPrefix("BUTTON_MAX_SPARE_THREADS (17)") == true)
        #expect(DynamicPoolSettings(minSpareThreads: 16, maxSpareThreads: 16).problem(limits: limits) == nil)
        // The whole configuration: the size, then the spare threads.
        var configuration = WorkerPoolConfiguration(
            processes: 1,
            limits: limits,
            dynamic: DynamicPoolSettings(minSpareThreads: 7, maxSpareThreads: 6)
        )
        #expect(configuration.problem?.contains("BUTTON_MIN_SPARE_THREADS") == true)
        configuration.processes = 5
        #expect(configuration.problem?.contains("outside 1...4") == true)
    }

    @Test func theDefaultSpareThreadsFitTheBoundsAndDoNotFlap() {
        for threads in [1, 2, 3, 4, 16, 64, 128, 1024] {
            for maximum in [1, 2, 8, 64] {
                let spare = DynamicPoolSettings.defaultSpareThreads(threads: threads, maximumProcesses: maximum)
                let settings = DynamicPoolSettings(minSpareThreads: spare.minimum, maxSpareThreads: spare.maximum)
                let limits = PoolLimits(minimum: 1, maximum: maximum, threadsPerProcess: threads)
                #expect(settings.problem(limits: limits) == nil, "\(threads) threads, \(maximum) processes")
                if maximum >= 2 {
                    // A drain from just past the maximum leaves at least the minimum idle.
                    #expect(spare.maximum + 1 - threads >= spare.minimum, "\(threads) threads")
                }
            }
        }
        let standard = DynamicPoolSettings.defaultSpareThreads(threads: 128, maximumProcesses: 64)
        #expect(standard.minimum == 64 && standard.maximum == 256)
    }
}
