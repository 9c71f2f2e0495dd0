public import Logging
import POSIXSupport

#if canImport(Glibc)
import Glibc
#endif

/// Settings of the master process that keeps the worker processes running.
public struct WorkerPoolConfiguration: Sendable {
    /// Worker processes to keep alive.
    public var processes: Int
    /// How long SIGTERM waits for workers to drain before killing them.
    public var drainTimeoutSeconds: Int

    /// - Parameters:
    ///   - processes: worker processes (default 2).
    ///   - drainTimeoutSeconds: drain limit on shutdown (default 30).
    public init(processes: Int = 2, drainTimeoutSeconds: Int = 30) {
        self.processes = max(1, processes)
        self.drainTimeoutSeconds = max(1, drainTimeoutSeconds)
    }
}

/// A master process keeping N worker processes on one listening socket.
///
/// The master opens the socket and starts copies of its own executable with the socket
/// on a known descriptor (named by `FASTCGI_LISTEN_FD`); a worker that exits is replaced;
/// SIGTERM or SIGINT is passed on to the workers, which drain, and the master exits when
/// they have. Separate processes rather than fork(): forking a process that has started
/// threads is unsafe, and a crashing worker takes down only its own requests.
public enum WorkerPool {
    /// The environment variable telling a process it is a worker and where its socket is.
    public static let listenFDVariable = "FASTCGI_LISTEN_FD"

    /// The inherited listening socket when this process is a worker, else nil.
    public static var inheritedListenFD: Int32? {
        guard let text = getenv(listenFDVariable).map({ String(cString: $0) }), let fd = Int32(text), fd >= 0
        else { return nil }
        return fd
    }

    /// Runs the master: opens the socket, spawns workers, supervises them until a signal.
    /// - Parameters:
    ///   - address: the FastCGI listen address.
    ///   - access: who may connect (unix socket mode and group, TCP peers).
    ///   - configuration: process count and drain timeout.
    ///   - logger: master events.
    /// - Throws: `FastCGIError` when the socket cannot be opened, its access settings are
    ///   invalid, or no worker can start.
    public static func runMaster(
        address: ListenAddress,
        access: ListenAccess = ListenAccess(),
        configuration: WorkerPoolConfiguration,
        logger: Logger
    ) throws {
        let listenFD = try FastCGIServer.openListenSocket(address, access: access, backlog: 1024)
        defer {
            close(listenFD)
            if case .unix(let path) = address { unlink(path) }
        }
        let master = Master(listenFD: listenFD, configuration: configuration, logger: logger)
        try master.run()
    }
}

private final class Master {
    let listenFD: Int32
    let configuration: WorkerPoolConfiguration
    var logger: Logger
    var policy = WorkerRestartPolicy<ContinuousClock.Instant>()
    static let signals = SignalSet(SignalSet.termination + [SIGCHLD])

    init(listenFD: Int32, configuration: WorkerPoolConfiguration, logger: Logger) {
        self.listenFD = listenFD
        self.configuration = configuration
        self.logger = logger
    }

    func run() throws {
        do {
            try Self.signals.block()
        } catch {
            throw FastCGIError(.systemCallFailed, "\(error)")
        }
        for _ in 0..<configuration.processes { try spawn() }
        logger.info(
            "worker pool started",
            metadata: ["processes": "\(configuration.processes)", "pid": "\(getpid())"]
        )
        while true {
            // Wake for a signal, a due restart, or at least every second to reap.
            var timeout = Duration.seconds(1)
            if let next = policy.nextRestart {
                timeout = min(timeout, max(.zero, ContinuousClock.now.duration(to: next)))
            }
            let signal: Int32?
            do {
                signal = try Self.signals.wait(timeout: timeout)
            } catch {
                throw FastCGIError(.systemCallFailed, "\(error)")
            }
            if let signal, signal == SIGTERM || signal == SIGINT {
                logger.info("stopping worker pool", metadata: ["signal": "\(signal)"])
                policy.stop()
                drain()
                return
            }
            for (pid, status) in reap() {
                guard let due = policy.workerExited(pid, at: .now) else { continue }
                logger.warning(
                    "worker exited; replacing it",
                    metadata: [
                        "pid": "\(pid)", "status": "\(describe(status))",
                        "delay": "\(max(.zero, ContinuousClock.now.duration(to: due)))",
                    ]
                )
            }
            for _ in 0..<policy.restartsDue(at: .now) {
                do {
                    try spawn()
                } catch {
                    logger.error("cannot replace worker", metadata: ["error": "\(error)"])
                    policy.restartFailed(at: .now)
                }
            }
        }
    }

    /// Collects exited children without blocking.
    func reap() -> [(Int32, Int32)] {
        var exited: [(Int32, Int32)] = []
        while true {
            var status: Int32 = 0
            // 0: no more exited children; -1 (ECHILD): no children at all.
            guard let pid = try? retryingSystemCall("waitpid", { waitpid(-1, &status, WNOHANG) }), pid > 0 else {
                return exited
            }
            exited.append((pid, status))
        }
    }

    func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0 ? "exit \((status >> 8) & 0xff)" : "signal \(signal)"
    }

    func drain() {
        var running = Set(policy.runningWorkers)
        for pid in running { _ = try? retryingSystemCall("kill", { kill(pid, SIGTERM) }) }
        let deadline = ContinuousClock.now + .seconds(configuration.drainTimeoutSeconds)
        while !running.isEmpty && ContinuousClock.now < deadline {
            for (pid, _) in reap() {
                running.remove(pid)
                policy.workerExited(pid, at: .now)
            }
            sleepUninterrupted(for: .milliseconds(20))
        }
        for pid in running {
            logger.error("worker did not drain in time; killing it", metadata: ["pid": "\(pid)"])
            _ = try? retryingSystemCall("kill", { kill(pid, SIGKILL) })
            var status: Int32 = 0
            _ = try? retryingSystemCall("waitpid", { waitpid(pid, &status, 0) })
        }
        logger.info("worker pool stopped")
    }

    func spawn() throws {
        // The socket goes to fd 3 in the child; signals start unblocked and default there.
        let childFD: Int32 = 3
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        do {
            try checkedCall("posix_spawn_file_actions_init") { posix_spawn_file_actions_init(&actions) }
        } catch {
            throw FastCGIError(.spawnFailed, "\(error)")
        }
        defer { posix_spawn_file_actions_destroy(&actions) }
        do {
            try checkedCall("posix_spawnattr_init") { posix_spawnattr_init(&attributes) }
        } catch {
            throw FastCGIError(.spawnFailed, "\(error)")
        }
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = SignalSet([]).raw
        var defaults = SignalSet([SIGTERM, SIGINT, SIGCHLD, SIGPIPE]).raw
        do {
            // dup2 clears close-on-exec on the copy; the listening socket itself stays CLOEXEC.
            try checkedCall("posix_spawn_file_actions_adddup2") {
                posix_spawn_file_actions_adddup2(&actions, listenFD, childFD)
            }
            try checkedCall("posix_spawnattr_setsigmask") { posix_spawnattr_setsigmask(&attributes, &empty) }
            try checkedCall("posix_spawnattr_setsigdefault") { posix_spawnattr_setsigdefault(&attributes, &defaults) }
            try checkedCall("posix_spawnattr_setflags") {
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            }
            let arguments = CommandLine.arguments
            var environment = processEnvironment.filter { !$0.hasPrefix("\(WorkerPool.listenFDVariable)=") }
            environment.append("\(WorkerPool.listenFDVariable)=\(childFD)")
            var pid: pid_t = 0
            try checkedCall("posix_spawn /proc/self/exe") {
                withCStringArray(arguments) { argv in
                    withCStringArray(environment) { envp in
                        posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv, envp)
                    }
                }
            }
            policy.workerStarted(pid, at: .now)
        } catch {
            throw FastCGIError(.spawnFailed, "\(error)")
        }
    }
}
