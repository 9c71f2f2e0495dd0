public import ButtonEvents
import Foundation
public import Geolocation

/// One fake visitor: an `EnterPage`, then presses with human gaps, all from one place.
public struct GeneratedSession: Sendable, Equatable {
    /// The session id's text (lowercase UUID): the event's `session_id` and the message key.
    public let id: String
    public let location: Location
    /// The events' times, µs since the epoch, UTC; the first is the `EnterPage`.
    public let timestamps: [Int64]

    public init(id: String, location: Location, timestamps: [Int64]) {
        self.id = id
        self.location = location
        self.timestamps = timestamps
    }

    /// How many events the session has (1 + presses).
    public var count: Int { timestamps.count }

    /// The action of event `index`: the first enters the page, every later one presses.
    public func action(at index: Int) -> PressAction { index == 0 ? .enterPage : .pressButton }

    /// Shortest and longest wait between two events of a session, as in the original
    /// generator: people take half a second to five seconds between presses.
    public static let gapMilliseconds: ClosedRange<Int> = 500...5000

    /// The times of an `EnterPage` at `start` and `presses` presses after it.
    public static func timestamps(start: Int64, presses: Int, random: inout GeneratorRandom) -> [Int64] {
        var times = [start]
        times.reserveCapacity(presses + 1)
        var time = start
        for _ in 0..<presses {
            // µs resolution, so timestamps are not all whole milliseconds.
            time += Int64(random.int(in: gapMilliseconds.lowerBound * 1000...gapMilliseconds.upperBound * 1000))
            times.append(time)
        }
        return times
    }

    /// The event at `index` as the workers' model (tests and the independent checks use it;
    /// the send path uses ``EventFramer``).
    public func event(at index: Int) -> PressEvent? {
        guard let uuid = UUID(uuidString: id) else { return nil }
        return PressEvent(
            sessionID: uuid,
            timestamp: timestamps[index],
            action: action(at: index),
            countryName: location.countryName,
            countryCode: location.countryCode,
            subdivisionName: location.subdivisionName,
            subdivisionCode: location.subdivisionCode,
            cityName: location.cityName,
            cohort: nil
        )
    }
}

/// Where generated sessions come from: live traffic or the backfill story.
public protocol SessionSource {
    /// The next session, or nil when the source is exhausted.
    /// - Parameter now: the wall clock, µs since the epoch (live sessions end about now).
    mutating func nextSession(now: Int64) -> GeneratedSession?
    /// How far through its own plan the source is, 0…1, when it has one (the backfill's span).
    var progress: Double? { get }
}
