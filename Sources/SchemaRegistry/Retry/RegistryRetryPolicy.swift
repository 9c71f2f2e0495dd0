public import Foundation

/// When a failed registry call is tried again, and after how long.
///
/// A registry that is being deployed or restarted answers 502/503 or refuses connections for a
/// few seconds; a client starting at the same moment should wait for it, not give up. Only
/// failures that can pass are retried: no answer at all, 5xx, 408 and 429. An answer that
/// cannot change by waiting (409 incompatible, 422 invalid, 401, 404) fails at once.
///
/// Waits grow exponentially from `initialDelay` up to `maximumDelay`, with "equal jitter"
/// (half of each wait fixed, half random) so that many workers restarted together do not
/// retry in lockstep, yet none retries immediately. A `Retry-After` from the registry is
/// honoured as a lower bound; if it asks for more than the time that is left, the call fails
/// now rather than sleeping into certain failure.
///
/// The decisions are a pure function of their inputs (the random number included), so they are
/// unit-tested without clocks or servers; `retrying(for:onRetry:_:)` applies them.
public struct RegistryRetryPolicy: Sendable, Equatable {
    /// The wait after the first failure (before jitter).
    public var initialDelay: Duration
    /// The longest wait between attempts (before jitter), unless `Retry-After` asks for more.
    public var maximumDelay: Duration
    /// How much each wait grows over the previous one.
    public var multiplier: Double

    /// What to do after a failed attempt.
    public enum Decision: Sendable, Equatable {
        /// Try again after this wait.
        case retry(after: Duration)
        /// Give up and report the error.
        case fail
    }

    /// - Parameters:
    ///   - initialDelay: the wait after the first failure, 250 ms by default.
    ///   - maximumDelay: the cap on waits, 5 s by default.
    ///   - multiplier: the growth factor, 2 by default.
    public init(
        initialDelay: Duration = .milliseconds(250),
        maximumDelay: Duration = .seconds(5),
        multiplier: Double = 2
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
    }

    /// Whether waiting can make this failure go away (see the type's documentation).
    /// - Parameter error: what an attempt threw.
    public static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as RegistryError: error.isTransient
        case let error as RegistryClientError: error.code == .unreachable
        default: false
        }
    }

    /// Decides what follows a failed attempt.
    /// - Parameters:
    ///   - error: what the attempt threw.
    ///   - failures: how many attempts have failed so far, this one included (from 1).
    ///   - remaining: the time left before the caller's deadline.
    ///   - random: a number in `0..<1` that picks the jitter.
    /// - Returns: `.retry(after:)` with a wait that ends by the deadline, or `.fail`.
    public func decision(after error: any Error, failures: Int, remaining: Duration, random: Double) -> Decision {
        guard Self.isTransient(error), remaining > .zero else { return .fail }
        var wait = backoff(failures: failures, random: random)
        if let asked = (error as? RegistryError)?.retryAfter {
            guard asked <= remaining else { return .fail }
            wait = max(wait, asked)
        }
        return .retry(after: min(wait, remaining))
    }

    /// The wait after `failures` failed attempts: exponential, capped, half of it jittered.
    /// - Parameters:
    ///   - failures: failed attempts so far (from 1).
    ///   - random: a number in `0..<1`; values outside are clamped.
    public func backoff(failures: Int, random: Double) -> Duration {
        let exponent = Double(max(0, failures - 1))
        let cap = Self.seconds(maximumDelay)
        // pow may overflow to infinity for large exponents; min keeps the result finite.
        let full = min(cap, Self.seconds(initialDelay) * pow(max(1, multiplier), exponent))
        let jitter = min(max(random, 0), 1)
        // Whole microseconds: finer is noise, and it keeps waits exact for comparisons.
        return .microseconds(Int64((full * (0.5 + 0.5 * jitter) * 1e6).rounded()))
    }

    /// Runs `operation` until it succeeds, fails for good, or `patience` has passed.
    ///
    /// An attempt already under way when the deadline passes is not cut short: the client's
    /// own request timeout bounds it.
    /// - Parameters:
    ///   - patience: how long to keep trying, from now.
    ///   - onRetry: called before each wait with the error and the wait (to log it).
    ///   - operation: one attempt.
    /// - Returns: what the first successful attempt returned.
    /// - Throws: the last attempt's error when it is final or time is up; `CancellationError`
    ///   when the task is cancelled while waiting.
    public func retrying<T>(
        for patience: Duration,
        onRetry: (_ error: any Error, _ wait: Duration) -> Void = { _, _ in },
        _ operation: () async throws -> T
    ) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        var failures = 0
        while true {
            do {
                return try await operation()
            } catch {
                failures += 1
                let random = Double.random(in: 0..<1)
                switch decision(after: error, failures: failures, remaining: deadline - clock.now, random: random) {
                case .fail:
                    throw error
                case .retry(let wait):
                    onRetry(error, wait)
                    try await clock.sleep(for: wait)
                }
            }
        }
    }

    /// The wait a `Retry-After` header asks for: delay-seconds or an HTTP-date (RFC 9110).
    /// - Parameters:
    ///   - value: the header's value.
    ///   - now: the current time, for HTTP-dates.
    /// - Returns: the wait (zero for a date in the past), or `nil` when the value is neither form.
    public static func retryAfter(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Anything beyond a day is as good as "not soon"; clamping keeps the arithmetic safe.
            return .seconds(min(Int(text.prefix(9)) ?? 86_400, 86_400))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: text) else { return nil }
        return .seconds(max(0, min(date.timeIntervalSince(now), 86_400)))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
