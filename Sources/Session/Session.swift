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

    /// - Parameters: the fields above; `lastSeenAt` defaults to `startedAt`.
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
        presses: UInt32 = 0
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
    }
}
