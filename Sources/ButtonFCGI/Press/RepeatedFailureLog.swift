public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Logs a failure that repeats at request rate the way an operator can read it during an
/// outage: the first one at once, then at most one summary per `interval` saying how many
/// more there were; and counts every one.
///
/// Why: when Kafka is down, every press fails; a warning per request meant 128 threads
/// contending for stderr at full rate and a log nobody can read. The counting is one atomic
/// add per failure; the lock is taken only by failures (never by successes unless a
/// summary is pending).
public final class RepeatedFailureLog: Sendable {
    private struct Window {
        /// When the next line may be written, monotonic nanoseconds.
        var nextLineAt: UInt64 = 0
        /// The newest reason not written yet.
        var lastReason = ""
    }

    private let window = Mutex(Window())
    /// Failures since the last line written; read without the lock by `recordSuccess`.
    private let unreported = Atomic<Int>(0)
    private let total = Atomic<Int>(0)
    private let interval: UInt64
    private let message: Logger.Message
    private let logger: Logger
    private let now: @Sendable () -> UInt64

    /// - Parameters:
    ///   - message: what failed, e.g. "Kafka did not acknowledge an event; answering 503".
    ///   - interval: the least time between two lines.
    ///   - logger: where the lines go (at warning).
    ///   - now: monotonic nanoseconds; injectable for tests.
    public init(
        _ message: Logger.Message,
        interval: Duration = .seconds(5),
        logger: Logger,
        now: @escaping @Sendable () -> UInt64 = RepeatedFailureLog.monotonicNanoseconds
    ) {
        self.message = message
        let (seconds, attoseconds) = interval.components
        self.interval = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        self.logger = logger
        self.now = now
    }

    /// Every failure recorded since start.
    public var count: Int { total.load(ordering: .relaxed) }

    /// Records one failure; writes a line if none was written in the last interval.
    /// - Parameter reason: why, for the log (never a client's data).
    public func record(reason: @autoclosure () -> String) {
        total.add(1, ordering: .relaxed)
        unreported.add(1, ordering: .relaxed)
        let time = now()
        window.withLock { window in
            guard time >= window.nextLineAt else {
                window.lastReason = reason()
                return
            }
            write(&window, time: time, reason: reason(), recovered: false)
        }
    }

    /// Called on success: once the failures stop, their last summary is still written
    /// (after the interval), so a short outage's tail is not lost.
    public func recordSuccess() {
        guard unreported.load(ordering: .relaxed) > 0 else { return }
        let time = now()
        window.withLock { window in
            guard time >= window.nextLineAt, unreported.load(ordering: .relaxed) > 0 else { return }
            write(&window, time: time, reason: window.lastReason, recovered: true)
        }
    }

    private func write(_ window: inout Window, time: UInt64, reason: String, recovered: Bool) {
        let failures = unreported.exchange(0, ordering: .relaxed)
        window.nextLineAt = time + interval
        window.lastReason = ""
        var metadata: Logger.Metadata = [
            "failures": "\(failures)", "total": "\(total.load(ordering: .relaxed))", "reason": "\(reason)",
        ]
        if recovered { metadata["recovered"] = "true" }
        logger.warning(message, metadata: metadata)
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    @Sendable public static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
