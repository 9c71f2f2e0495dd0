import FastCGI
import Testing

/// The environment the pool master gives its workers: a crash-report setting that lets a
/// crashing worker die within a fraction of a second, unless the operator chose one.
@Suite struct WorkerEnvironmentTests {
    @Test func workersGetAFastBacktraceWhenTheOperatorSetNone() {
        let environment = WorkerPool.workerEnvironment(["PATH": "/usr/bin", "BUTTON_THREADS": "64"])
        #expect(environment["PATH"] == "/usr/bin")
        #expect(environment["BUTTON_THREADS"] == "64")
        let setting = environment["SWIFT_BACKTRACE"] ?? ""
        let options = Set(setting.split(separator: ",").map(String.init))
        // Still a backtrace in the log, never waiting on a terminal, and no symbolication
        // (even names only kept a crashed worker alive for seconds).
        #expect(options == ["enable=yes", "interactive=no", "symbolicate=off"])
    }

    @Test(arguments: ["enable=no", "enable=yes,symbolicate=full", ""])
    func theOperatorsSettingWins(_ setting: String) {
        let environment = WorkerPool.workerEnvironment(["SWIFT_BACKTRACE": setting])
        #expect(environment["SWIFT_BACKTRACE"] == setting)
    }
}
