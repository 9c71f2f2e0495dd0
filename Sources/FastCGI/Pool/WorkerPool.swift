public import Logging
import POSIXSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Settings of the master process that keeps the worker processes running.
public struct WorkerPoolConfiguration: Sendable {
    /// Worker processes to keep alive.
    public var processes: Int
    /// How long a draining worker may take (on TERM, and in a reload's or upgrade's
    /// replacement) before the master kills it: above the workers' own drain deadline plus
    /// their Kafka flush.
    public var drainTimeoutSeconds: Int
    /// Bounds of TTIN/TTOU and the keep-connection guard.
    public var limits: PoolLimits
    /// The dynamic mode's spare threads (`pm = dynamic`); nil: static, the pool keeps
    /// `processes` unless told otherwise (TTIN/TTOU).
    public var dynamic: DynamicPoolSettings?

    /// - Parameters:
    ///   - processes: worker processes (default 2); in dynamic mode, those it starts with.
    ///   - drainTimeoutSeconds: drain limit on shutdown (default 30).
    ///   - limits: scaling bounds and guard (default 1...64, no guard).
    ///   - dynamic: the dynamic mode's settings; nil (default): static.
    public init(
        processes: Int = 2,
        drainTimeoutSeconds: Int = 30,
        limits: PoolLimits = PoolLimits(),
        dynamic: DynamicPoolSettings? = nil
    ) {
        self.processes = max(1, processes)
        self.drainTimeoutSeconds = max(1, drainTimeoutSeconds)
        self.limits = limits
        self.dynamic = dynamic
    }

    /// Why these settings cannot run, or nil: the size against the bounds and the guard, and
    /// the spare threads against the bounds.
    public var problem: String? {
        limits.problem(with: processes) ?? dynamic?.problem(limits: limits)
    }
}

/// What a reload (SIGHUP) gives the master: the workers' next environment and pool settings.
public struct WorkerPoolReload: Sendable {
    /// The environment new workers start with.
    public var environment: [String: String]
    /// The pool's settings from now on.
    public var configuration: WorkerPoolConfiguration

    /// - Parameters:
    ///   - environment: new workers' environment.
    ///   - configuration: the pool's settings.
    public init(environment: [String: String], configuration: WorkerPoolConfiguration) {
        self.environment = environment
        self.configuration = configuration
    }
}

/// Where the master's listening socket comes from.
public enum ListenSource: Sendable, Equatable {
    /// The master opens (and at the end removes) this address.
    case address(ListenAddress)
    /// An already listening descriptor handed over by systemd or spawn-fcgi.
    case inherited(Int32)

    /// The socket systemd (`LISTEN_FDS`) or the FastCGI convention (a listening socket on
    /// descriptor 0) hands this process, else `address`.
    /// - Throws: `FastCGIError` when systemd's variables are malformed.
    public static func resolve(address: ListenAddress, environment: [String: String]) throws(FastCGIError) -> Self {
        if let fd = try SocketActivation.systemdDescriptor(environment: environment, pid: getpid()) {
            return .inherited(fd)
        }
        if isListeningSocket(SocketActivation.fastCGIDescriptor) {
            return .inherited(SocketActivation.fastCGIDescriptor)
        }
        return .address(address)
    }
}

/// Whether `fd` is a listening socket (`SO_ACCEPTCONN`).
func isListeningSocket(_ fd: Int32) -> Bool {
    var accepting: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0
}

/// A master process keeping N worker processes on one listening socket.
///
/// The master opens the socket (or takes it from systemd or spawn-fcgi) and starts copies of
/// its own executable with the socket on a known descriptor (named by `FASTCGI_LISTEN_FD`);
/// a worker that exits is replaced. Separate processes rather than fork(): forking a process
/// that has started threads is unsafe, and a crashing worker takes down only its own requests.
///
/// Signals, as operators know them from gunicorn, unicorn and nginx:
/// - TERM/INT: workers drain (finish in-flight requests, flush Kafka), then the master exits.
/// - TTIN/TTOU: one worker more/fewer, within `PoolLimits`; a scale-down that would break the
///   keep-connection guard is refused with a log line. A removed worker drains like on TERM.
///   In dynamic mode they are refused with a log line: the pool sizes itself, and a manual
///   change would be undone within seconds; the bounds are settings a reload changes.
/// - Dynamic mode (`WorkerPoolConfiguration.dynamic`): about once a second the master asks
///   `loadProbe` for the serving workers' busy and idle threads and lets `DynamicScaler`
///   start workers or drain one (the same drain as TTOU, guard included), logging each step.
/// - HUP: `reload` is called (re-reads settings); when it succeeds, the workers are replaced
///   one at a time: a new worker starts, and once it accepts, one old worker drains. A reload
///   that fails leaves the pool as it is.
/// - USR2: the same rolling replacement, with workers started from the executable now on
///   disk (a new binary): the master itself keeps running its old code and the socket.
public enum WorkerPool {
    /// The environment variable telling a process it is a worker and where its socket is.
    public static let listenFDVariable = "FASTCGI_LISTEN_FD"
    /// The descriptor on which a worker tells the master it accepts requests.
    static let readyFDVariable = "FASTCGI_READY_FD"
    /// The Swift runtime's crash-report setting.
    public static let backtraceVariable = "SWIFT_BACKTRACE"
    /// The `SWIFT_BACKTRACE` workers start with when the operator has set none. Swift's own
    /// default symbolicates every frame of every thread before the process may die: 4–17 s
    /// in a debug build under load, the dying worker's requests hanging meanwhile, and names
    /// only (`symbolicate=fast`) still took 4–12 s. Unsymbolicated, the backtrace (every
    /// thread's addresses, the registers, the images with their build ids, enough to
    /// symbolicate it later) is in the worker's log and the process dies within about 60 ms
    /// (BENCHMARKS.md, "A crashed worker").
    public static let defaultBacktrace = "enable=yes,interactive=no,symbolicate=off"

    /// The environment a worker starts with, before its descriptors are added: `base` plus
    /// `defaultBacktrace` unless `base` names a `SWIFT_BACKTRACE` of its own (the operator's,
    /// even an empty one, wins).
    /// - Parameter base: the generation's environment (the master's, or a reload's).
    /// - Returns: the environment to give the worker.
    public static func workerEnvironment(_ base: [String: String]) -> [String: String] {
        var environment = base
        if environment[backtraceVariable] == nil { environment[backtraceVariable] = defaultBacktrace }
        return environment
    }

    /// The inherited listening socket when this process is a worker, else nil.
    public static var inheritedListenFD: Int32? {
        guard let text = getenv(listenFDVariable).map({ String(cString: $0) }), let fd = Int32(text), fd >= 0
        else { return nil }
        return fd
    }

    /// The worker's end of the master's pipe, kept after `notifyReady` for `notifyDraining`.
    private static let masterPipe = Atomic<Int32>(-1)

    /// Tells the master this worker accepts requests (a no-op outside a pool): the pool's
    /// rolling replacement waits for it before draining an old worker.
    static func notifyReady() {
        guard let text = getenv(readyFDVariable).map({ String(cString: $0) }), let fd = Int32(text), fd >= 0
        else { return }
        unsetenv(readyFDVariable)
        // Nothing this worker might start inherits it.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        tellMaster(getpid(), on: fd)
        masterPipe.store(fd, ordering: .releasing)
    }

    /// Tells the master this worker has stopped accepting (a no-op outside a pool): a worker
    /// that drains on its own (max requests reached, TERM from someone else) is replaced now,
    /// not once the connections nginx keeps to it are closed, which can take seconds.
    static func notifyDraining() {
        let fd = masterPipe.exchange(-1, ordering: .acquiringAndReleasing)
        guard fd >= 0 else { return }
        // The pid negated: a master from before this message reads it as no worker of its own.
        tellMaster(-getpid(), on: fd)
        close(fd)
    }

    private static func tellMaster(_ message: Int32, on fd: Int32) {
        var value = message
        // 4 bytes to a pipe are written atomically (< PIPE_BUF), so workers never interleave.
        _ = withUnsafeBytes(of: &value) { write(fd, $0.baseAddress, $0.count) }
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
        try runMaster(
            listen: .address(address),
            access: access,
            configuration: configuration,
            environment: nil,
            reload: nil,
            logger: logger
        )
    }

    /// Runs the master with run-time scaling, reload and upgrade.
    /// - Parameters:
    ///   - listen: the socket to open, or one handed over.
    ///   - access: who may connect (unix socket mode and group, TCP peers).
    ///   - configuration: processes, limits and drain timeout.
    ///   - environment: the workers' environment; nil: this process's.
    ///   - reload: re-reads the settings on SIGHUP; it throws to refuse the reload. Nil:
    ///     SIGHUP replaces the workers with the same settings.
    ///   - loadProbe: the busy and idle threads of the workers with these pids (nil when
    ///     unknown); needed by dynamic mode, which stays put without it.
    ///   - logger: master events.
    /// - Throws: `FastCGIError` when the socket cannot be opened, its access settings are
    ///   invalid, or no worker can start.
    public static func runMaster(
        listen: ListenSource,
        access: ListenAccess = ListenAccess(),
        configuration: WorkerPoolConfiguration,
        environment: [String: String]?,
        reload: (() throws -> WorkerPoolReload)?,
        loadProbe: ((Set<Int32>) -> PoolLoad?)? = nil,
        logger: Logger
    ) throws {
        let listenFD: Int32
        var ownedPath: String?
        switch listen {
        case .address(let address):
            listenFD = try FastCGIServer.openListenSocket(address, access: access, backlog: 1024)
            if case .unix(let path) = address { ownedPath = path }
        case .inherited(let fd):
            listenFD = try adopt(fd)
            logger.info("listening on an inherited socket", metadata: ["fd": "\(fd)"])
        }
        defer {
            close(listenFD)
            if let ownedPath { unlink(ownedPath) }
        }
        var workerEnvironment =
            environment ?? Dictionary(processEnvironment.compactMap(splitVariable), uniquingKeysWith: { $1 })
        // openListenSocket may have exported the allowed peers for a TCP socket.
        if let peers = getenv(ListenAccess.webServerAddressesVariable) {
            workerEnvironment[ListenAccess.webServerAddressesVariable] = String(cString: peers)
        }
        let master = try Master(
            listenFD: listenFD,
            configuration: configuration,
            environment: workerEnvironment,
            reload: reload,
            loadProbe: loadProbe,
            logger: logger
        )
        try master.run()
    }

    /// Takes an inherited listening socket: moves it above the standard descriptors,
    /// close-on-exec (workers get it by `dup2` only), and puts /dev/null where it was.
    private static func adopt(_ fd: Int32) throws(FastCGIError) -> Int32 {
        guard isListeningSocket(fd) else {
            throw FastCGIError(.listenFailed, "descriptor \(fd) was handed over but is not a listening socket")
        }
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, 10)
        guard moved >= 0 else { throw FastCGIError(.listenFailed, "\(SystemError.last("fcntl F_DUPFD_CLOEXEC"))") }
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, fd)
            if null != fd { close(null) }
        } else {
            close(fd)
        }
        for variable in SocketActivation.systemdVariables { unsetenv(variable) }
        return moved
    }
}

func splitVariable(_ entry: String) -> (String, String)? {
    guard let equals = entry.firstIndex(of: "=") else { return nil }
    return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
}

private final class Master {
    struct Worker {
        var generation: Int
        var retiring = false
        var ready = false
    }

    /// One step of a rolling replacement.
    enum Rolling {
        /// Looking for the next old worker.
        case next
        /// Waiting for `new` to accept before `old` drains.
        case starting(new: Int32, old: Int32, since: ContinuousClock.Instant)
        /// Waiting for `old` to drain: it answers on the connections nginx keeps to it until
        /// nginx closes them, up to its own deadline, then flushes Kafka.
        case draining(old: Int32, since: ContinuousClock.Instant)
    }

    struct Generation {
        var number: Int
        var environment: [String: String]
        var executable: String
        var configuration: WorkerPoolConfiguration
    }

    let listenFD: Int32
    var logger: Logger
    var policy = WorkerRestartPolicy<ContinuousClock.Instant>()
    var workers: [Int32: Worker] = [:]
    var target: Int
    var current: Generation
    /// What a failed rolling replacement goes back to.
    var previous: Generation?
    var rolling: Rolling?
    var rollingStarted = ContinuousClock.now
    let readyRead: Int32
    let readyWrite: Int32
    let reload: (() throws -> WorkerPoolReload)?
    /// The executable on disk at start, where USR2 looks for a new binary.
    let executablePath: String?
    /// Dynamic mode: the scoreboard's view of the threads, and the decisions on it.
    let loadProbe: ((Set<Int32>) -> PoolLoad?)?
    var scaler: DynamicScaler<ContinuousClock.Instant>?
    var nextSample = ContinuousClock.now
    /// Whether the last sample missed a worker (warned once until a sample is whole again).
    var sampleIncomplete = false
    static let signals = SignalSet(SignalSet.termination + [SIGCHLD, SIGHUP, SIGUSR2, SIGTTIN, SIGTTOU])

    init(
        listenFD: Int32,
        configuration: WorkerPoolConfiguration,
        environment: [String: String],
        reload: (() throws -> WorkerPoolReload)?,
        loadProbe: ((Set<Int32>) -> PoolLoad?)?,
        logger: Logger
    ) throws {
        self.listenFD = listenFD
        self.logger = logger
        self.reload = reload
        self.loadProbe = loadProbe
        self.scaler = configuration.dynamic.map { DynamicScaler(settings: $0, limits: configuration.limits) }
        self.target = configuration.processes
        var env = environment
        env.removeValue(forKey: WorkerPool.listenFDVariable)
        env.removeValue(forKey: WorkerPool.readyFDVariable)
        for variable in SocketActivation.systemdVariables { env.removeValue(forKey: variable) }
        self.current = Generation(
            number: 0,
            environment: env,
            executable: "/proc/self/exe",
            configuration: configuration
        )
        var fds: [Int32] = [0, 0]
        // pipe2 is a GNU extension Glibc's module map leaves out: pipe, then the flags.
        guard pipe(&fds) == 0 else {
            throw FastCGIError(.systemCallFailed, "\(SystemError.last("pipe"))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // The master never waits on the pipe: it reads what is there on each turn of its loop.
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        readyRead = fds[0]
        readyWrite = fds[1]
        executablePath = Self.resolveExecutable()
    }

    deinit {
        close(readyRead)
        close(readyWrite)
    }

    /// The path /proc/self/exe points to, as long as it names a file (a replaced binary
    /// shows as "path (deleted)"; the path then holds the new one).
    static func resolveExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        var path = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if path.hasSuffix(" (deleted)") { path = String(path.dropLast(" (deleted)".count)) }
        return path
    }

    /// Workers that count toward the target: not draining, not a replacement on trial.
    var activeCount: Int {
        var count = workers.values.filter { !$0.retiring }.count + policy.pendingRestarts
        if case .starting? = rolling { count -= 1 }
        return count
    }

    func run() throws {
        do {
            try Self.signals.block()
        } catch {
            throw FastCGIError(.systemCallFailed, "\(error)")
        }
        for _ in 0..<target { _ = try spawn() }
        var metadata: Logger.Metadata = [
            "processes": "\(target)", "pid": "\(getpid())",
            "min": "\(current.configuration.limits.minimum)", "max": "\(current.configuration.limits.maximum)",
            "pm": "\(current.configuration.dynamic == nil ? "static" : "dynamic")",
        ]
        if let dynamic = current.configuration.dynamic {
            metadata["spare_threads"] = "\(dynamic.minSpareThreads)...\(dynamic.maxSpareThreads)"
            if loadProbe == nil { logger.error("dynamic mode without a view of the threads: the pool stays put") }
        }
        logger.info("worker pool started", metadata: metadata)
        while true {
            // Wake for a signal, a due restart, or at least every second to reap; faster
            // while a rolling replacement waits for a worker to come up or drain.
            var timeout = rolling == nil ? Duration.seconds(1) : .milliseconds(20)
            if let next = policy.nextRestart {
                timeout = min(timeout, max(.zero, ContinuousClock.now.duration(to: next)))
            }
            if scaler != nil { timeout = min(timeout, max(.zero, ContinuousClock.now.duration(to: nextSample))) }
            let signal: Int32?
            do {
                signal = try Self.signals.wait(timeout: timeout)
            } catch {
                throw FastCGIError(.systemCallFailed, "\(error)")
            }
            switch signal ?? 0 {
            case SIGTERM, SIGINT:
                logger.info("stopping worker pool", metadata: ["signal": "\(signal ?? 0)"])
                policy.stop()
                drain()
                return
            case SIGTTIN: scale(by: 1)
            case SIGTTOU: scale(by: -1)
            case SIGHUP: beginReload()
            case SIGUSR2: beginUpgrade()
            default: break
            }
            collectReady()
            reapWorkers()
            for _ in 0..<policy.restartsDue(at: .now) {
                do {
                    _ = try spawn()
                } catch {
                    logger.error("cannot replace worker", metadata: ["error": "\(error)"])
                    policy.restartFailed(at: .now)
                }
            }
            stepRolling()
            sampleLoad()
            matchTarget()
        }
    }

    // MARK: scaling

    func scale(by delta: Int) {
        if current.configuration.dynamic != nil {
            logger.warning(
                "scale \(delta > 0 ? "up (TTIN)" : "down (TTOU)") refused; pool unchanged",
                metadata: [
                    "reason": """
                    BUTTON_PM=dynamic sizes the pool from its idle threads and would undo this; change \
                    BUTTON_PROCESSES_MIN/MAX or the spare threads and reload (HUP)
                    """,
                    "processes": "\(target)",
                ]
            )
            return
        }
        switch current.configuration.limits.scale(from: target, by: delta) {
        case .refused(let reason):
            logger.warning(
                "scale \(delta > 0 ? "up (TTIN)" : "down (TTOU)") refused; pool unchanged",
                metadata: ["reason": "\(reason)", "processes": "\(target)"]
            )
        case .scale(let wanted):
            logger.info("scaling", metadata: ["from": "\(target)", "to": "\(wanted)"])
            target = wanted
        }
    }

    /// Dynamic mode, about once a second: the serving workers' threads from the scoreboard,
    /// a decision on them, and the target moved by it (`matchTarget` starts or drains).
    func sampleLoad() {
        guard var scaler, let loadProbe, rolling == nil, !policy.isStopping else { return }
        let now = ContinuousClock.now
        guard now >= nextSample else { return }
        nextSample = now + scaler.settings.sampleInterval
        let serving = Set(workers.filter { !$0.value.retiring && $0.value.ready }.keys)
        // Started but not serving yet, or waiting to be restarted: their threads are coming.
        let starting = workers.values.filter { !$0.retiring && !$0.ready }.count + policy.pendingRestarts
        guard let load = loadProbe(serving), load.processes == serving.count else {
            if !sampleIncomplete {
                logger.warning(
                    "dynamic: a serving worker is not on the scoreboard; the pool stays put until all are",
                    metadata: ["serving": "\(serving.count)"]
                )
                sampleIncomplete = true
            }
            return
        }
        sampleIncomplete = false
        let decision = scaler.decide(load: load, processes: target, starting: starting, at: now)
        self.scaler = scaler
        let figures: Logger.Metadata = [
            "busy": "\(load.busyThreads)", "idle": "\(load.idleThreads)", "processes": "\(target)",
        ]
        switch decision {
        case .nothing:
            break
        case .start(let count, let reason):
            logger.info(
                "dynamic: starting \(count == 1 ? "a worker" : "\(count) workers"), \(reason)",
                metadata: figures
            )
            target += count
        case .drain(let reason):
            logger.info("dynamic: draining a worker, \(reason)", metadata: figures)
            target -= 1
        case .blocked(let reason):
            logger.warning("dynamic: \(reason)", metadata: figures)
        }
    }

    /// The target a reload (or going back from one) leaves: dynamic mode keeps the size it
    /// reached, within the new bounds; otherwise the configured processes.
    func sizeAfterReload(_ configuration: WorkerPoolConfiguration, wasDynamic: Bool) -> Int {
        guard configuration.dynamic != nil, wasDynamic else { return configuration.processes }
        let kept = min(max(target, configuration.limits.minimum), configuration.limits.maximum)
        return configuration.limits.problem(with: kept) == nil ? kept : configuration.processes
    }

    /// Starts or retires workers until the active ones match the target.
    func matchTarget() {
        guard !policy.isStopping else { return }
        while activeCount < target {
            do {
                _ = try spawn()
            } catch {
                logger.error("cannot start worker", metadata: ["error": "\(error)"])
                return
            }
        }
        while activeCount > target {
            // The oldest generation first, so a scale-down during a reload helps it along;
            // never the worker a rolling replacement is waiting for.
            var protected: Int32 = -1
            if case .starting(let new, _, _)? = rolling { protected = new }
            guard
                let victim = workers.filter({ !$0.value.retiring && $0.key != protected })
                    .min(by: { ($0.value.generation, $0.key) < ($1.value.generation, $1.key) })?.key
            else { return }
            retire(victim, reason: "scale down")
        }
    }

    /// Asks a worker to drain and exit; it is not replaced.
    func retire(_ pid: Int32, reason: String) {
        workers[pid]?.retiring = true
        policy.workerRetired(pid)
        _ = try? retryingSystemCall("kill", { kill(pid, SIGTERM) })
        logger.info("worker draining", metadata: ["pid": "\(pid)", "reason": "\(reason)"])
    }

    // MARK: reload and upgrade

    func beginReload() {
        guard rolling == nil else {
            logger.warning("reload refused: a reload or upgrade is still replacing workers")
            return
        }
        var next = current
        if let reload {
            let reloaded: WorkerPoolReload
            do {
                reloaded = try reload()
            } catch {
                logger.error("reload refused, the pool keeps its settings: \(error)")
                return
            }
            if let problem = reloaded.configuration.problem {
                logger.error("reload refused, the pool keeps its settings: \(problem)")
                return
            }
            next.environment = reloaded.environment
            // The socket is the one the master holds: what described how it came stays as it was.
            for variable in SocketActivation.systemdVariables { next.environment.removeValue(forKey: variable) }
            if let peers = current.environment[ListenAccess.webServerAddressesVariable] {
                next.environment[ListenAccess.webServerAddressesVariable] = peers
            }
            next.configuration = reloaded.configuration
        }
        let wasDynamic = current.configuration.dynamic != nil
        startRolling(next, what: "reload (HUP)")
        target = sizeAfterReload(next.configuration, wasDynamic: wasDynamic)
        restartScaler()
    }

    /// A fresh dynamic state for the current settings (none in static mode).
    func restartScaler() {
        scaler = current.configuration.dynamic.map { DynamicScaler(settings: $0, limits: current.configuration.limits) }
        nextSample = .now
    }

    func beginUpgrade() {
        guard rolling == nil else {
            logger.warning("upgrade refused: a reload or upgrade is still replacing workers")
            return
        }
        guard let path = executablePath, access(path, X_OK) == 0 else {
            logger.error("upgrade refused: no executable at \(executablePath ?? "the start-up path")")
            return
        }
        var next = current
        next.executable = path
        startRolling(next, what: "binary upgrade (USR2)")
    }

    func startRolling(_ next: Generation, what: String) {
        var next = next
        next.number = current.number + 1
        previous = current
        current = next
        rolling = .next
        rollingStarted = .now
        logger.info("\(what): replacing workers one at a time", metadata: ["generation": "\(next.number)"])
    }

    func stepRolling() {
        guard let step = rolling else { return }
        switch step {
        case .next:
            guard
                let old = workers.filter({ !$0.value.retiring && $0.value.generation < current.number })
                    .min(by: { $0.key < $1.key })?.key
            else {
                rolling = nil
                previous = nil
                let elapsed = rollingStarted.duration(to: .now)
                logger.info(
                    "workers replaced",
                    metadata: ["generation": "\(current.number)", "seconds": "\(elapsed)"]
                )
                return
            }
            do {
                let new = try spawn()
                rolling = .starting(new: new, old: old, since: .now)
            } catch {
                abandonRolling("cannot start a new worker: \(error)")
            }
        case .starting(let new, let old, let since):
            if workers[new]?.ready == true {
                if workers[old]?.retiring == false { retire(old, reason: "replaced by \(new)") }
                rolling = .draining(old: old, since: .now)
            } else if workers[new] == nil {
                abandonRolling("the new worker \(new) exited before accepting requests")
            } else if since.duration(to: .now) > .seconds(60) {
                retire(new, reason: "not ready after 60 s")
                abandonRolling("the new worker \(new) did not accept requests within 60 s")
            }
        case .draining(let old, let since):
            if workers[old] == nil {
                rolling = .next
            } else if since.duration(to: .now) > .seconds(current.configuration.drainTimeoutSeconds) {
                // The worker keeps its own drain deadline; past the pool's, it is stuck.
                logger.error("worker did not drain in time; killing it", metadata: ["pid": "\(old)"])
                _ = try? retryingSystemCall("kill", { kill(old, SIGKILL) })
                rolling = .draining(old: old, since: .now)
            }
        }
    }

    /// A replacement went wrong: later workers start with the settings before it, and the
    /// workers still running keep serving. Workers already replaced stay (they were ready).
    func abandonRolling(_ reason: String) {
        logger.error("reload abandoned; old workers keep serving: \(reason)")
        if let previous {
            // Keep the generation number: workers of the abandoned one must not count as old.
            let number = current.number
            let wasDynamic = current.configuration.dynamic != nil
            current = previous
            current.number = number
            target = sizeAfterReload(previous.configuration, wasDynamic: wasDynamic)
            restartScaler()
        }
        // Old workers of the abandoned generation are not replaced any more.
        for pid in workers.keys { workers[pid]?.generation = current.number }
        previous = nil
        rolling = nil
    }

    // MARK: processes

    /// Reads what workers told: a pid when it accepts, the pid negated when it stopped
    /// accepting on its own.
    func collectReady() {
        var pid: Int32 = 0
        while withUnsafeMutableBytes(of: &pid, { read(readyRead, $0.baseAddress, $0.count) }) == 4 {
            if pid > 0 {
                workers[pid]?.ready = true
            } else if pid < 0 {
                drainingOnItsOwn(-pid)
            }
        }
    }

    /// A worker stopped accepting without being asked (it served its maximum of requests, or
    /// someone else sent it TERM): it still answers on the connections nginx keeps to it
    /// until nginx closes them, so its replacement starts now rather than when it exits.
    func drainingOnItsOwn(_ pid: Int32) {
        guard let worker = workers[pid], !worker.retiring else { return }
        workers[pid]?.retiring = true
        policy.workerRetired(pid)
        logger.info("worker draining", metadata: ["pid": "\(pid)", "reason": "it stopped accepting; replacing it"])
    }

    func reapWorkers() {
        for (pid, status) in reap() {
            guard let worker = workers.removeValue(forKey: pid) else { continue }
            if worker.retiring {
                logger.info("worker drained", metadata: ["pid": "\(pid)", "status": "\(describe(status))"])
                continue
            }
            // Exit 0 is a planned exit (max requests reached, or TERM sent by someone): the
            // replacement starts at once; anything else gets the back-off.
            guard let due = policy.workerExited(pid, at: .now, planned: status == 0) else { continue }
            let level: Logger.Level = status == 0 ? .info : .warning
            logger.log(
                level: level,
                "worker exited; replacing it",
                metadata: [
                    "pid": "\(pid)", "status": "\(describe(status))",
                    "delay": "\(max(.zero, ContinuousClock.now.duration(to: due)))",
                ]
            )
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
        var running = Set(workers.keys)
        for pid in running { _ = try? retryingSystemCall("kill", { kill(pid, SIGTERM) }) }
        let deadline = ContinuousClock.now + .seconds(current.configuration.drainTimeoutSeconds)
        while !running.isEmpty && ContinuousClock.now < deadline {
            for (pid, _) in reap() {
                running.remove(pid)
                workers.removeValue(forKey: pid)
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

    /// Starts a worker of the current generation.
    /// - Returns: its pid.
    func spawn() throws -> Int32 {
        // The socket goes to fd 3 in the child, the readiness pipe to fd 4; signals start
        // unblocked and default there.
        let childFD: Int32 = 3
        let readyFD: Int32 = 4
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
        var defaults = SignalSet([SIGTERM, SIGINT, SIGCHLD, SIGPIPE, SIGHUP, SIGTTIN, SIGTTOU, SIGUSR2]).raw
        do {
            // dup2 clears close-on-exec on the copies; the originals stay CLOEXEC.
            try checkedCall("posix_spawn_file_actions_adddup2") {
                posix_spawn_file_actions_adddup2(&actions, listenFD, childFD)
            }
            try checkedCall("posix_spawn_file_actions_adddup2") {
                posix_spawn_file_actions_adddup2(&actions, readyWrite, readyFD)
            }
            try checkedCall("posix_spawnattr_setsigmask") { posix_spawnattr_setsigmask(&attributes, &empty) }
            try checkedCall("posix_spawnattr_setsigdefault") { posix_spawnattr_setsigdefault(&attributes, &defaults) }
            try checkedCall("posix_spawnattr_setflags") {
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            }
            let arguments = CommandLine.arguments
            var environment = WorkerPool.workerEnvironment(current.environment)
            environment[WorkerPool.listenFDVariable] = "\(childFD)"
            environment[WorkerPool.readyFDVariable] = "\(readyFD)"
            let envp = environment.map { "\($0.key)=\($0.value)" }
            let executable = current.executable
            var pid: pid_t = 0
            try checkedCall("posix_spawn \(executable)") {
                withCStringArray(arguments) { argv in
                    withCStringArray(envp) { envp in
                        posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
                    }
                }
            }
            policy.workerStarted(pid, at: .now)
            workers[pid] = Worker(generation: current.number)
            return pid
        } catch {
            throw FastCGIError(.spawnFailed, "\(error)")
        }
    }
}
