import FastCGI
import Testing

@Suite struct PoolLimitsTests {
    @Test func scalingStaysWithinTheBounds() {
        let limits = PoolLimits(minimum: 2, maximum: 4, threadsPerProcess: 8)
        #expect(limits.scale(from: 3, by: 1) == .scale(to: 4))
        #expect(limits.scale(from: 3, by: -1) == .scale(to: 2))
        guard case .refused(let up) = limits.scale(from: 4, by: 1) else {
            Issue.record("TTIN past the maximum was not refused")
            return
        }
        #expect(up.contains("maximum of 4") && up.contains("BUTTON_PROCESSES_MAX"))
        guard case .refused(let down) = limits.scale(from: 2, by: -1) else {
            Issue.record("TTOU past the minimum was not refused")
            return
        }
        #expect(down.contains("minimum of 2"))
    }

    @Test func theGuardRefusesAScaleDownThatLeavesNoThreadBeyondTheKeptConnections() {
        // 16 kept connections, 8 threads a process: 3 processes (24) fine, 2 (16) not.
        let limits = PoolLimits(minimum: 1, maximum: 8, threadsPerProcess: 8, keptConnections: 16)
        #expect(limits.scale(from: 4, by: -1) == .scale(to: 3))
        guard case .refused(let reason) = limits.scale(from: 3, by: -1) else {
            Issue.record("an unsafe scale-down was allowed")
            return
        }
        #expect(reason.contains("2 processes × 8 threads = 16 threads"))
        #expect(reason.contains("16 kept connections"))
        #expect(limits.guardAllows(processes: 3))
        #expect(!limits.guardAllows(processes: 2), "equal is not enough: one more request would queue")
        // Scaling up is never refused by the guard, even from an unsafe size.
        #expect(limits.scale(from: 1, by: 1) == .scale(to: 2))
    }

    @Test func noKeptConnectionsMeansNoGuard() {
        let limits = PoolLimits(minimum: 1, maximum: 2, threadsPerProcess: 1, keptConnections: 0)
        #expect(limits.scale(from: 2, by: -1) == .scale(to: 1))
        #expect(limits.problem(with: 1) == nil)
    }

    @Test func aSizeChosenAtStartOrByAReloadIsChecked() {
        let limits = PoolLimits(minimum: 2, maximum: 6, threadsPerProcess: 4, keptConnections: 8)
        #expect(limits.problem(with: 3) == nil)
        #expect(limits.problem(with: 7)?.contains("outside 2...6") == true)
        #expect(limits.problem(with: 2)?.contains("must exceed nginx's 8 kept connections") == true)
    }

    @Test func boundsAreNormalised() {
        let limits = PoolLimits(minimum: 0, maximum: -3, threadsPerProcess: 0, keptConnections: -1)
        #expect(limits == PoolLimits(minimum: 1, maximum: 1, threadsPerProcess: 1, keptConnections: 0))
    }
}

@Suite struct SocketActivationTests {
    @Test func oneSocketForThisProcessIsDescriptorThree() throws {
        let fd = try SocketActivation.systemdDescriptor(environment: ["LISTEN_FDS": "1", "LISTEN_PID": "42"], pid: 42)
        #expect(fd == 3)
    }

    @Test func socketsMeantForAnotherProcessAreNotOurs() throws {
        #expect(
            try SocketActivation.systemdDescriptor(environment: ["LISTEN_FDS": "1", "LISTEN_PID": "41"], pid: 42) == nil
        )
        #expect(try SocketActivation.systemdDescriptor(environment: ["LISTEN_FDS": "1"], pid: 42) == nil)
        #expect(try SocketActivation.systemdDescriptor(environment: [:], pid: 42) == nil)
        #expect(
            try SocketActivation.systemdDescriptor(environment: ["LISTEN_FDS": "0", "LISTEN_PID": "42"], pid: 42) == nil
        )
    }

    @Test func malformedOrSeveralSocketsAreRefusedWithAReason() {
        #expect(throws: FastCGIError.self) {
            try SocketActivation.systemdDescriptor(environment: ["LISTEN_FDS": "one", "LISTEN_PID": "42"], pid: 42)
        }
        #expect(throws: FastCGIError.self) {
            try SocketActivation.systemdDescriptor(environment: ["LISTEN_FDS": "1", "LISTEN_PID": "me"], pid: 42)
        }
        do {
            _ = try SocketActivation.systemdDescriptor(environment: ["LISTEN_FDS": "2", "LISTEN_PID": "42"], pid: 42)
            Issue.record("two sockets were accepted")
        } catch {
            #expect(error.message.contains("passed 2 sockets"))
        }
    }
}

@Suite struct EnvironmentFileTests {
    @Test func readsKeyValueLinesLikeSystemdAndTheShell() throws {
        let text = """
            # settings
            BUTTON_PROCESSES=3

            export BUTTON_THREADS = 16\r
            BUTTON_TOPIC="button presses"
            SECRET='a=b'
            EMPTY=
            BUTTON_PROCESSES=4
            """
        let settings = try EnvironmentFile.parse(text)
        #expect(
            settings == [
                "BUTTON_PROCESSES": "4", "BUTTON_THREADS": "16", "BUTTON_TOPIC": "button presses",
                "SECRET": "a=b", "EMPTY": "",
            ]
        )
    }

    @Test func aBadLineIsNamedByNumberNotByValue() {
        #expect(throws: EnvironmentFile.ParseError(line: 2, reason: "expected KEY=value")) {
            try EnvironmentFile.parse("A=1\nsecret-without-equals\n")
        }
        #expect(throws: EnvironmentFile.ParseError(line: 1, reason: "'1A' is not a variable name")) {
            try EnvironmentFile.parse("1A=x")
        }
        #expect(throws: EnvironmentFile.ParseError.self) { try EnvironmentFile.parse("=x") }
    }
}
