#if canImport(Glibc)
import Glibc
#endif

/// Holds a stream to a rate: event `n` goes out no earlier than `n / rate` seconds after the
/// start. Being behind is not made up by a burst larger than a tenth of a second's worth, so a
/// stall (a full queue) does not turn into a flood afterwards.
public struct Pacer {
    private let nanosecondsPerEvent: Double
    private var start: UInt64
    private var sent: Double = 0

    /// - Parameter rate: events per second (> 0).
    public init(rate: Double) {
        nanosecondsPerEvent = 1e9 / rate
        start = Self.monotonicNanoseconds()
    }

    /// Waits until the next event is due, or until `stop` says to stop (checked every 0.1 s,
    /// so Ctrl-C ends a slow rate at once).
    public mutating func waitForNext(stop: () -> Bool = { false }) {
        let due = Double(start) + sent * nanosecondsPerEvent
        let now = Double(Self.monotonicNanoseconds())
        if due > now {
            let wait = due - now
            // Sleep only for waits the scheduler can honour; shorter ones pass (the next
            // events catch up on the schedule).
            var left = wait
            while left > 200_000 && !stop() {
                let slice = min(left, 100_000_000)
                Self.sleep(nanoseconds: UInt64(slice))
                left -= slice
            }
        } else if now - due > 1e8 {
            // More than 0.1 s behind: forget the debt.
            let behind = (now - due - 1e8) / nanosecondsPerEvent
            sent += behind.rounded(.down)
        }
        sent += 1
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
