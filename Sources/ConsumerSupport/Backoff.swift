/// Exponential backoff from 100 ms to 5 s, for a consumer that waits out an unreachable
/// database, broker or registry without busy-looping or giving up.
public struct Backoff: Sendable {
    /// The next pause.
    public private(set) var current: Duration = .milliseconds(100)

    public init() {}

    /// Back to the shortest pause, after a success.
    public mutating func reset() { current = .milliseconds(100) }

    /// Sleeps `current` (in steps, so a stop request ends it early) and doubles it.
    /// - Parameter shouldStop: Polled every 100 ms at most.
    public mutating func sleep(shouldStop: @Sendable () -> Bool) async {
        let end = ContinuousClock.now + current
        while ContinuousClock.now < end && !shouldStop() {
            try? await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
        }
        current = min(current * 2, .seconds(5))
    }
}
