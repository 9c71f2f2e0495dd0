/// When the master starts replacements for workers that exited: a pure state machine.
///
/// Events go in (`workerStarted`, `workerExited`, `stop`) with the time they happened,
/// decisions come out (`restartsDue(at:)`, `nextRestart`); the caller owns the clock, so
/// tests drive it with instants of their own.
///
/// A worker that dies young (bad configuration, Kafka unreachable at start) must not turn
/// into a fork bomb: each young death doubles the delay before its replacement starts, from
/// `initialDelay` up to `maximumDelay`; a worker that lived at least `minimumLifetime`
/// resets it, and its replacement starts at once.
public struct WorkerRestartPolicy<Instant: InstantProtocol>: Sendable
where Instant.Duration == Duration, Instant: Sendable {
    /// The back-off limits.
    public struct Settings: Sendable, Equatable {
        /// A worker that lived less than this died young.
        public var minimumLifetime: Duration
        /// The delay after the first young death.
        public var initialDelay: Duration
        /// The longest delay.
        public var maximumDelay: Duration

        /// - Parameters:
        ///   - minimumLifetime: default 2 s.
        ///   - initialDelay: default 100 ms.
        ///   - maximumDelay: default 5 s.
        public init(
            minimumLifetime: Duration = .seconds(2),
            initialDelay: Duration = .milliseconds(100),
            maximumDelay: Duration = .seconds(5)
        ) {
            self.minimumLifetime = minimumLifetime
            self.initialDelay = initialDelay
            self.maximumDelay = maximumDelay
        }
    }

    public let settings: Settings
    private var started: [Int32: Instant] = [:]
    private var pending: [Instant] = []
    /// The delay the next young death gets (zero after a worker that lived long enough).
    public private(set) var delay: Duration = .zero
    /// True after `stop()`: nothing is restarted any more.
    public private(set) var isStopping = false

    /// - Parameter settings: the back-off limits.
    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The workers running now.
    public var runningWorkers: [Int32] { Array(started.keys) }

    /// Replacements decided but not started yet.
    public var pendingRestarts: Int { pending.count }

    /// When the earliest pending replacement is due, if any.
    public var nextRestart: Instant? { pending.min() }

    /// A worker started.
    public mutating func workerStarted(_ pid: Int32, at now: Instant) {
        started[pid] = now
    }

    /// A worker was asked to leave for good (scale-down, replaced by a reload): its exit
    /// starts no replacement.
    public mutating func workerRetired(_ pid: Int32) {
        started.removeValue(forKey: pid)
    }

    /// A worker exited: decides when its replacement starts.
    /// - Parameters:
    ///   - planned: the worker left on purpose (it served its maximum of requests and exited
    ///     0): replaced at once, whatever its age, and the back-off is left as it is.
    /// - Returns: when the replacement is due, or nil when none will be started (stopping,
    ///   retired, or a process that is not one of ours).
    @discardableResult
    public mutating func workerExited(_ pid: Int32, at now: Instant, planned: Bool = false) -> Instant? {
        guard let start = started.removeValue(forKey: pid), !isStopping else { return nil }
        if planned {
            pending.append(now)
            return now
        }
        if start.duration(to: now) < settings.minimumLifetime {
            delay = min(max(delay * 2, settings.initialDelay), settings.maximumDelay)
        } else {
            delay = .zero
        }
        let due = now.advanced(by: delay)
        pending.append(due)
        return due
    }

    /// Starting a replacement failed (e.g. `posix_spawn` out of resources): try again after
    /// the next back-off step, as if the worker had died young.
    /// - Returns: when the next attempt is due, or nil when stopping.
    @discardableResult
    public mutating func restartFailed(at now: Instant) -> Instant? {
        guard !isStopping else { return nil }
        delay = min(max(delay * 2, settings.initialDelay), settings.maximumDelay)
        let due = now.advanced(by: delay)
        pending.append(due)
        return due
    }

    /// Takes the replacements due at `now`.
    /// - Returns: how many workers to start now.
    public mutating func restartsDue(at now: Instant) -> Int {
        guard !isStopping else { return 0 }
        let due = pending.filter { $0 <= now }.count
        pending.removeAll { $0 <= now }
        return due
    }

    /// Shutdown began: pending replacements are dropped and exits no longer restart anything.
    public mutating func stop() {
        isStopping = true
        pending.removeAll()
    }
}
