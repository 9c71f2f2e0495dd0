/// How far the worker pool may be scaled at run time, and the keep-connection guard.
///
/// nginx keeps up to `keepalive` idle connections per nginx worker process to the upstream,
/// and each kept connection holds one of our threads even while idle (libfcgi serves one
/// connection per thread). When nginx keeps as many connections as there are threads, a new
/// request waits in the listen backlog for a thread that never frees up (README, "the
/// keep-connection trap"). So every pool size must leave threads beyond the kept
/// connections: `processes × threads > keptConnections`.
public struct PoolLimits: Sendable, Equatable {
    /// The fewest worker processes TTOU may leave.
    public var minimum: Int
    /// The most worker processes TTIN may start.
    public var maximum: Int
    /// Threads per worker process (fixed for the pool's life; a reload may change it).
    public var threadsPerProcess: Int
    /// nginx's kept connections to this pool: upstream `keepalive` × nginx worker processes;
    /// 0 when unknown, which turns the guard off.
    public var keptConnections: Int

    /// What a scale request comes to.
    public enum Decision: Sendable, Equatable {
        /// Scale to this many processes.
        case scale(to: Int)
        /// Leave the pool as it is, for this reason (logged for the operator).
        case refused(String)
    }

    /// - Parameters:
    ///   - minimum: at least 1.
    ///   - maximum: at least `minimum`.
    ///   - threadsPerProcess: at least 1.
    ///   - keptConnections: 0 turns the guard off.
    public init(minimum: Int = 1, maximum: Int = 64, threadsPerProcess: Int = 1, keptConnections: Int = 0) {
        self.minimum = max(1, minimum)
        self.maximum = max(self.minimum, maximum)
        self.threadsPerProcess = max(1, threadsPerProcess)
        self.keptConnections = max(0, keptConnections)
    }

    /// Whether `processes` leave a thread free beyond nginx's kept connections.
    public func guardAllows(processes: Int) -> Bool {
        keptConnections == 0 || processes * threadsPerProcess > keptConnections
    }

    /// Checks a size chosen at start or by a reload.
    /// - Returns: nil when `processes` is fine, else why not.
    public func problem(with processes: Int) -> String? {
        if processes < minimum || processes > maximum {
            return "\(processes) processes is outside \(minimum)...\(maximum) (BUTTON_PROCESSES_MIN/MAX)"
        }
        if !guardAllows(processes: processes) {
            return "\(processes) processes × \(threadsPerProcess) threads = \(processes * threadsPerProcess) threads "
                + "must exceed nginx's \(keptConnections) kept connections (keep-connection trap)"
        }
        return nil
    }

    /// Decides a request to change the pool from `current` processes by `delta` (TTIN +1, TTOU -1).
    public func scale(from current: Int, by delta: Int) -> Decision {
        let wanted = current + delta
        if wanted > maximum {
            return .refused("already at the maximum of \(maximum) processes (BUTTON_PROCESSES_MAX)")
        }
        if wanted < minimum {
            return .refused("already at the minimum of \(minimum) processes (BUTTON_PROCESSES_MIN)")
        }
        if delta < 0 && !guardAllows(processes: wanted) {
            return .refused(
                "\(wanted) processes × \(threadsPerProcess) threads = \(wanted * threadsPerProcess) threads would not "
                    + "exceed nginx's \(keptConnections) kept connections: requests would queue behind idle kept "
                    + "connections (keep-connection trap); lower nginx's keepalive first"
            )
        }
        return .scale(to: wanted)
    }
}
