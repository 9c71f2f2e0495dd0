#if canImport(Glibc)
import Glibc
#endif

/// Where one request's time went, for the slow-request log: monotonic nanoseconds per
/// phase, one clock read at the end of each (a few tens of nanoseconds in all).
public struct PressTiming: Sendable {
    /// The phases of a press.
    public enum Phase: Sendable {
        /// Opening (verifying) the session cookie.
        case cookie
        /// Geolocating the address of a new session.
        case locate
        /// Building and encoding the event.
        case encode
        /// Waiting for Kafka's acknowledgement.
        case ack
    }

    /// When the worker took the request.
    public let start: UInt64
    /// The end of the last phase marked.
    public private(set) var last: UInt64
    public private(set) var cookie: UInt64 = 0
    public private(set) var locate: UInt64 = 0
    public private(set) var encode: UInt64 = 0
    public private(set) var ack: UInt64 = 0
    /// Whether the answer was a 503 because the request's budget ran out.
    public var timedOut = false

    /// - Parameter start: monotonic nanoseconds when the request was taken.
    public init(start: UInt64) {
        self.start = start
        last = start
    }

    /// Ends `phase` now: the time since the previous mark is its.
    public mutating func mark(_ phase: Phase) {
        let now = Self.now()
        let spent = now &- last
        last = now
        switch phase {
        case .cookie: cookie &+= spent
        case .locate: locate &+= spent
        case .encode: encode &+= spent
        case .ack: ack &+= spent
        }
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

extension Duration {
    /// Whole nanoseconds, 0 for negative durations.
    var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
