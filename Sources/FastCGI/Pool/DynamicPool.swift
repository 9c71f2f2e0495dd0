/// The dynamic mode's settings (`BUTTON_PM=dynamic`, PHP-FPM's `pm = dynamic`): how many idle
/// request threads the master keeps, and how quickly it reacts.
///
/// Spare capacity is counted in threads, not processes as in PHP-FPM: a PHP-FPM child serves
/// one request, so idle children are idle capacity; here each process serves
/// `threadsPerProcess` requests at once, and a half-busy process has idle capacity of its own.
public struct DynamicPoolSettings: Sendable, Equatable {
    /// Fewer idle threads than this start a process (`pm.min_spare_servers`, in threads).
    public var minSpareThreads: Int
    /// More idle threads than this, for `coolDown`, drain a process (`pm.max_spare_servers`).
    public var maxSpareThreads: Int
    /// How long a surplus must last, and how long after any change, before a drain.
    public var coolDown: Duration
    /// How often the master looks at the threads (PHP-FPM's maintenance runs once a second).
    public var sampleInterval: Duration
    /// The most processes one sample starts (PHP-FPM's `pm.max_spawn_rate`).
    public var maximumStartsAtOnce: Int

    /// - Parameters:
    ///   - minSpareThreads: at least 1.
    ///   - maxSpareThreads: checked against `minSpareThreads` by `problem(limits:)`.
    ///   - coolDown: default 10 s.
    ///   - sampleInterval: default 1 s.
    ///   - maximumStartsAtOnce: default 32, as PHP-FPM's.
    public init(
        minSpareThreads: Int,
        maxSpareThreads: Int,
        coolDown: Duration = .seconds(10),
        sampleInterval: Duration = .seconds(1),
        maximumStartsAtOnce: Int = 32
    ) {
        self.minSpareThreads = max(1, minSpareThreads)
        self.maxSpareThreads = max(1, maxSpareThreads)
        self.coolDown = max(.zero, coolDown)
        self.sampleInterval = max(.milliseconds(10), sampleInterval)
        self.maximumStartsAtOnce = max(1, maximumStartsAtOnce)
    }

    /// The spare threads when the operator names none: half a process idle at least, so a
    /// burst of up to half a process's requests finds a thread at once while a new process
    /// starts; two processes idle at most, so draining one (taking `threads` idle threads
    /// away) still leaves more than the minimum and never starts it again (no flapping).
    /// Both stay within what `maximumProcesses` can hold.
    /// - Parameters:
    ///   - threads: threads per process.
    ///   - maximumProcesses: `BUTTON_PROCESSES_MAX`.
    /// - Returns: the minimum and maximum spare threads.
    public static func defaultSpareThreads(threads: Int, maximumProcesses: Int) -> (minimum: Int, maximum: Int) {
        let capacity = max(1, threads) * max(1, maximumProcesses)
        return (min(max(1, threads / 2), capacity), min(2 * max(1, threads), capacity))
    }

    /// Checks the settings against the pool's bounds, at start and on a reload.
    /// - Parameter limits: the pool's bounds.
    /// - Returns: nil when they fit, else why not, naming the variable.
    public func problem(limits: PoolLimits) -> String? {
        let capacity = limits.maximum * limits.threadsPerProcess
        let most =
            "BUTTON_PROCESSES_MAX × BUTTON_THREADS (\(limits.maximum) × \(limits.threadsPerProcess) = \(capacity) threads)"
        if minSpareThreads > maxSpareThreads {
            return "BUTTON_MIN_SPARE_THREADS (\(minSpareThreads)) must not exceed BUTTON_MAX_SPARE_THREADS "
                + "(\(maxSpareThreads))"
        }
        if minSpareThreads > capacity {
            return "BUTTON_MIN_SPARE_THREADS (\(minSpareThreads)) is more idle threads than \(most) can hold"
        }
        if maxSpareThreads > capacity {
            return "BUTTON_MAX_SPARE_THREADS (\(maxSpareThreads)) is more idle threads than \(most) can hold: "
                + "the pool would never drain"
        }
        return nil
    }
}

/// The pool's request threads as the workers' scoreboard shows them at one moment.
public struct PoolLoad: Sendable, Equatable {
    /// Threads answering a request.
    public var busyThreads: Int
    /// Threads waiting for one.
    public var idleThreads: Int
    /// Worker processes these threads belong to (the master compares it with the workers it
    /// asked about: one not on the scoreboard makes the sample incomplete).
    public var processes: Int

    /// - Parameters:
    ///   - busyThreads: threads answering a request.
    ///   - idleThreads: threads waiting for one.
    ///   - processes: processes counted.
    public init(busyThreads: Int, idleThreads: Int, processes: Int) {
        self.busyThreads = busyThreads
        self.idleThreads = idleThreads
        self.processes = processes
    }
}

/// What one look at the threads comes to.
public enum DynamicDecision: Sendable, Equatable {
    /// Nothing to do.
    case nothing
    /// Start this many processes.
    case start(Int, reason: String)
    /// Drain one process (gracefully, like TTOU).
    case drain(reason: String)
    /// A change is due but a bound or the keep-connection guard stops it (logged).
    case blocked(String)
}

/// The dynamic mode's decisions: a pure state machine, like `WorkerRestartPolicy`.
///
/// The master samples the idle threads about once a second and hands them in with the time;
/// the caller owns the clock, so tests drive it with instants of their own.
/// - Too few idle threads start processes at once: as many as cover the shortage, and when
///   the shortage persists from one sample to the next, twice as many as the last time (like
///   PHP-FPM's spawn rate), within `maximumStartsAtOnce` and the pool's maximum.
/// - Too many idle threads drain one process, once the surplus has lasted `coolDown` (and
///   `coolDown` after any change), so a burst that ends doesn't make the pool flap; and only
///   when the drain leaves at least the minimum spare threads.
/// - While processes are still starting, nothing is decided: their threads are not counted yet.
public struct DynamicScaler<Instant: InstantProtocol>: Sendable
where Instant.Duration == Duration, Instant: Sendable {
    /// The spare threads and timing.
    public let settings: DynamicPoolSettings
    /// The bounds and the keep-connection guard.
    public let limits: PoolLimits
    /// When the idle threads first exceeded the maximum (or the last change since then).
    private var surplusSince: Instant?
    /// Samples in a row short of idle threads that started processes.
    private var shortageStreak = 0
    /// How many processes the last start of this streak asked for.
    private var lastStarts = 0
    /// When a blocked change was last reported (at most once per cool-down).
    private var lastBlocked: Instant?

    /// - Parameters:
    ///   - settings: spare threads and timing.
    ///   - limits: the pool's bounds and guard.
    public init(settings: DynamicPoolSettings, limits: PoolLimits) {
        self.settings = settings
        self.limits = limits
    }

    /// Decides on one sample.
    /// - Parameters:
    ///   - load: busy and idle threads of the serving processes.
    ///   - processes: the processes the pool has now (its target).
    ///   - starting: processes started but not yet serving (their threads are not in `load`).
    ///   - now: the sample's time.
    /// - Returns: what to do.
    public mutating func decide(load: PoolLoad, processes: Int, starting: Int, at now: Instant) -> DynamicDecision {
        let threads = limits.threadsPerProcess
        let idle = load.idleThreads
        if starting > 0 {
            // The pool is changing: look again once the new processes serve.
            surplusSince = nil
            return .nothing
        }
        if processes < limits.minimum {
            surplusSince = nil
            return .start(
                limits.minimum - processes,
                reason: "\(processes) of at least \(limits.minimum) processes (BUTTON_PROCESSES_MIN)"
            )
        }
        if idle < settings.minSpareThreads {
            surplusSince = nil
            let room = limits.maximum - processes
            guard room > 0 else {
                return report(
                    "idle threads \(idle) < \(settings.minSpareThreads) but already at the maximum of "
                        + "\(limits.maximum) processes (BUTTON_PROCESSES_MAX)",
                    at: now
                )
            }
            let needed = (settings.minSpareThreads - idle + threads - 1) / threads
            let faster = shortageStreak == 0 ? 1 : 2 * lastStarts
            let count = min(max(needed, faster), settings.maximumStartsAtOnce, room)
            shortageStreak += 1
            lastStarts = count
            return .start(count, reason: "idle threads \(idle) < \(settings.minSpareThreads)")
        }
        shortageStreak = 0
        lastStarts = 0
        guard idle > settings.maxSpareThreads else {
            surplusSince = nil
            return .nothing
        }
        guard let since = surplusSince else {
            surplusSince = now
            return .nothing
        }
        let lasted = since.duration(to: now)
        guard lasted >= settings.coolDown else { return .nothing }
        // Draining takes a process's threads away: it must not bring the idle ones under the
        // minimum, or the next sample would start the process again.
        guard processes > limits.minimum, idle - threads >= settings.minSpareThreads else { return .nothing }
        switch limits.scale(from: processes, by: -1) {
        case .refused(let reason):
            return report("idle threads \(idle) > \(settings.maxSpareThreads) but not draining: \(reason)", at: now)
        case .scale:
            surplusSince = now
            return .drain(
                reason: "idle threads \(idle) > \(settings.maxSpareThreads) for \(Self.seconds(lasted)) s"
            )
        }
    }

    /// A blocked change, reported once per cool-down so the log is not flooded every second.
    private mutating func report(_ reason: String, at now: Instant) -> DynamicDecision {
        if let last = lastBlocked, last.duration(to: now) < settings.coolDown { return .nothing }
        lastBlocked = now
        return .blocked(reason)
    }

    static func seconds(_ duration: Duration) -> Int64 { duration.components.seconds }
}
