public import Logging

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
    ///   - configuration: process count and drain timeout.
    ///   - logger: master events.
    /// - Throws: `FastCGIError` when the socket cannot be opened or no worker can start.
    public static func runMaster(
        address: ListenAddress,
        configuration: WorkerPoolConfiguration,
        logger: Logger
    ) throws {
        let listenFD = try ListenSocket.open(address, backlog: 1024)
        let master = Master(listenFD: listenFD, configuration: configuration, logger: logger)
        try master.run()
        close(listenFD)
        if case .unix(let path) = address { unlink(path) }
    }
}

private final class Master {
    let listenFD: Int32
    let configuration: WorkerPoolConfiguration
    var logger: Logger
    var workers: [pid_t: ContinuousClock.Instant] = [:]
    var stopping = false

    init(listenFD: Int32, configuration: WorkerPoolConfiguration, logger: Logger) {
        self.listenFD = listenFD
        self.configuration = configuration
        self.logger = logger
    }

    func run() throws {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGTERM, SIGINT, SIGCHLD] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)

        for _ in 0..<configuration.processes { try spawn() }
        logger.info(
            "worker pool started",
            metadata: ["processes": "\(configuration.processes)", "pid": "\(getpid())"]
        )
        var restartBackoff: Duration = .zero
        while true {
            var timeout = timespec(tv_sec: 1, tv_nsec: 0)
            let signal = sigtimedwait(&set, nil, &timeout)
            if signal == SIGTERM || signal == SIGINT {
                logger.info("stopping worker pool", metadata: ["signal": "\(signal)"])
                drain()
                return
            }
            for (pid, status) in reap() {
                let started = workers.removeValue(forKey: pid) ?? .now
                let lived = ContinuousClock.now - started
                logger.warning(
                    "worker exited; replacing it",
                    metadata: ["pid": "\(pid)", "status": "\(describe(status))"]
                )
                // A worker that dies at once (bad config, Kafka unreachable at start) must not
                // turn into a fork bomb: back off up to 5 s while it keeps dying young.
                restartBackoff =
                    lived < .seconds(2) ? min(max(restartBackoff * 2, .milliseconds(100)), .seconds(5)) : .zero
                if restartBackoff > .zero {
                    let nanos = restartBackoff.components.attoseconds / 1_000_000_000
                    var pause = timespec(tv_sec: Int(restartBackoff.components.seconds), tv_nsec: Int(nanos))
                    nanosleep(&pause, nil)
                }
                do { try spawn() } catch { logger.error("cannot replace worker", metadata: ["error": "\(error)"]) }
            }
        }
    }

    /// Collects exited children without blocking.
    func reap() -> [(pid_t, Int32)] {
        var exited: [(pid_t, Int32)] = []
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return exited }
            exited.append((pid, status))
        }
    }

    func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0 ? "exit \((status >> 8) & 0xff)" : "signal \(signal)"
    }

    func drain() {
        for pid in workers.keys { kill(pid, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(configuration.drainTimeoutSeconds)
        while !workers.isEmpty && ContinuousClock.now < deadline {
            for (pid, _) in reap() { workers.removeValue(forKey: pid) }
            var pause = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&pause, nil)
        }
        for pid in workers.keys {
            logger.error("worker did not drain in time; killing it", metadata: ["pid": "\(pid)"])
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        workers.removeAll()
        logger.info("worker pool stopped")
    }

    func spawn() throws {
        // The socket goes to fd 3 in the child; signals start unblocked and default there.
        let childFD: Int32 = 3
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if listenFD != childFD {
            posix_spawn_file_actions_adddup2(&actions, listenFD, childFD)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGCHLD, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let executable = "/proc/self/exe"
        let arguments = CommandLine.arguments
        var environment = ProcessEnvironment.current.filter { !$0.hasPrefix("\(WorkerPool.listenFDVariable)=") }
        environment.append("\(WorkerPool.listenFDVariable)=\(childFD)")

        var pid: pid_t = 0
        let rc = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            }
        }
        guard rc == 0 else {
            throw FastCGIError(.spawnFailed, "posix_spawn: \(String(cString: strerror(rc)))")
        }
        workers[pid] = .now
    }
}

/// The process environment as `NAME=value` strings.
enum ProcessEnvironment {
    static var current: [String] {
        var result: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            result.append(String(cString: entry))
            cursor += 1
        }
        return result
    }
}

/// Calls `body` with a NULL-terminated C array of the strings, valid only during the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { buffer in
        // posix_spawn's argv/envp are char *const[]; the buffer is never written.
        body(UnsafePointer(buffer.baseAddress.unsafelyUnwrapped))
    }
}
