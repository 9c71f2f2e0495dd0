public import Logging
import Synchronization

/// Logs requests slower than `BUTTON_SLOW_REQUEST_MS` with where their time went (like
/// PHP-FPM's slowlog, without a stack trace): route, status, total and the cookie, locate,
/// encode and Kafka-ack phases in milliseconds. Never an address, a cookie or a session id.
///
/// At most `burst` lines per second per process: when Kafka slows down every request is
/// slow, and a line per request would bury the log; the next line says how many were left out.
public final class SlowRequestLog: Sendable {
    /// Requests at least this slow are logged, in nanoseconds.
    public let threshold: UInt64
    private let logger: Logger
    private let burst: Int
    private struct Window {
        var second: UInt64 = 0
        var written = 0
        var suppressed = 0
    }
    private let window = Mutex(Window())

    /// - Parameters:
    ///   - threshold: the slow-request threshold.
    ///   - logger: where the lines go (at warning).
    ///   - burst: lines per second at most.
    public init(threshold: Duration, logger: Logger, burst: Int = 5) {
        self.threshold = threshold.wholeNanoseconds
        self.logger = logger
        self.burst = max(1, burst)
    }

    /// Logs one slow request, unless this second's lines are spent.
    func record(route: String, status: Int, total: UInt64, timing: PressTiming) {
        let second = timing.start / 1_000_000_000
        let suppressed: Int? = window.withLock { window in
            if window.second != second {
                window.second = second
                window.written = 0
            }
            guard window.written < burst else {
                window.suppressed += 1
                return nil
            }
            window.written += 1
            defer { window.suppressed = 0 }
            return window.suppressed
        }
        guard let suppressed else { return }
        func ms(_ nanoseconds: UInt64) -> Logger.MetadataValue {
            .string(String(Double(nanoseconds / 1000) / 1000))
        }
        var metadata: Logger.Metadata = [
            "route": .string(route), "status": .string(String(status)), "total_ms": ms(total),
            "cookie_ms": ms(timing.cookie), "locate_ms": ms(timing.locate), "encode_ms": ms(timing.encode),
            "kafka_ack_ms": ms(timing.ack),
        ]
        if timing.timedOut { metadata["timed_out"] = "true" }
        if suppressed > 0 { metadata["not_logged_before"] = .string(String(suppressed)) }
        logger.warning("slow request", metadata: metadata)
    }
}
