public import Foundation

/// What the session cookie carries: who the session is, its cohort and where it was
/// located when it started. The client address itself is never part of it.
public struct Session: Sendable, Equatable {
    /// The session id, the Kafka message key.
    public var id: UUID
    /// The cohort (page variant group); nil only for generated fake data.
    public var cohort: Int32?
    public var countryName: String
    public var countryCode: String
    public var subdivisionName: String
    public var subdivisionCode: String
    public var cityName: String
    /// When the session started, seconds since the epoch (bounds its absolute lifetime).
    public var startedAt: Int64
    /// The last request, seconds since the epoch (bounds its idle lifetime).
    public var lastSeenAt: Int64
    /// Presses so far in this session; picks the next line of text on the page.
    public var presses: UInt32
    /// When the current one-second window of presses began, µs since the epoch (0: none yet).
    public var windowStartedAt: Int64
    /// Presses within the current window: how the worker tells a person from a bot.
    public var windowPresses: UInt32
    /// The session once pressed faster than a person can; its events stay marked.
    public var isBot: Bool

    /// - Parameters: the fields above; `lastSeenAt` defaults to `startedAt`, the press
    ///   window to none and `isBot` to false.
    public init(
        id: UUID,
        cohort: Int32?,
        countryName: String,
        countryCode: String,
        subdivisionName: String,
        subdivisionCode: String,
        cityName: String,
        startedAt: Int64,
        lastSeenAt: Int64? = nil,
        presses: UInt32 = 0,
        windowStartedAt: Int64 = 0,
        windowPresses: UInt32 = 0,
        isBot: Bool = false
    ) {
        self.id = id
        self.cohort = cohort
        self.countryName = countryName
        self.countryCode = countryCode
        self.subdivisionName = subdivisionName
        self.subdivisionCode = subdivisionCode
        self.cityName = cityName
        self.startedAt = startedAt
        self.lastSeenAt = lastSeenAt ?? startedAt
        self.presses = presses
        self.windowStartedAt = windowStartedAt
        self.windowPresses = windowPresses
        self.isBot = isBot
    }

    /// Counts a press at `now` (µs) in the session's one-second window, and marks the
    /// session when the window holds more than `threshold` presses.
    ///
    /// A fixed window that starts at its first press: a session pressing more than
    /// `threshold` times a second fills one. The mark stays for the rest of the session.
    /// A threshold of 0 never marks.
    /// - Returns: whether the session is marked now.
    @discardableResult
    public mutating func countPress(at now: Int64, threshold: UInt32) -> Bool {
        if windowStartedAt > 0, now >= windowStartedAt, now - windowStartedAt < 1_000_000 {
            windowPresses &+= 1
        } else {
            windowStartedAt = now
            windowPresses = 1
        }
        if threshold > 0, windowPresses > threshold { isBot = true }
        return isBot
    }
}
