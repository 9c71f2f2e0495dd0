import Foundation

/// The local hour and ISO weekday of an instant in a time zone, daylight saving included,
/// with Foundation's `TimeZone` and `Calendar`.
///
/// On Linux, Foundation takes its zone rules from the ICU data it ships
/// (`TimeZone.timeZoneDataVersion`), not from `/usr/share/zoneinfo`; the enricher logs both
/// versions at start. Calendars are made once per zone: making a `TimeZone` parses its rules.
/// Not thread-safe: one per consumer loop.
public struct LocalClock {
    /// Hour 0–23, ISO weekday 1 (Monday) – 7 (Sunday).
    public struct Reading: Sendable, Equatable {
        public let hour: Int
        public let weekday: Int

        /// - Parameters:
        ///   - hour: 0–23.
        ///   - weekday: ISO: Monday = 1 … Sunday = 7.
        public init(hour: Int, weekday: Int) {
            self.hour = hour
            self.weekday = weekday
        }
    }

    private var calendars: [String: Calendar?] = [:]

    public init() {}

    /// The tzdata version Foundation's rules come from, e.g. `2025b`.
    public static var foundationDataVersion: String { TimeZone.timeZoneDataVersion }

    /// The reading at `microseconds` since the epoch (UTC) in `zone`.
    /// - Returns: nil when Foundation does not know the zone.
    public mutating func reading(microseconds: Int64, zone: String) -> Reading? {
        let calendar: Calendar?
        if let known = calendars[zone] {
            calendar = known
        } else {
            calendar = TimeZone(identifier: zone).map { timeZone in
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = timeZone
                return calendar
            }
            calendars[zone] = calendar
        }
        guard let calendar else { return nil }
        // Whole seconds, floored, as an exact Double: the hour and the day change on whole
        // seconds, and a µs count divided as a Double could round 59.9999995 s up.
        let (seconds, remainder) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let whole = remainder < 0 ? seconds - 1 : seconds
        let parts = calendar.dateComponents([.hour, .weekday], from: Date(timeIntervalSince1970: Double(whole)))
        guard let hour = parts.hour, let weekday = parts.weekday else { return nil }
        // Foundation counts Sunday = 1 … Saturday = 7; ISO 8601 Monday = 1 … Sunday = 7.
        return Reading(hour: hour, weekday: (weekday + 5) % 7 + 1)
    }
}
