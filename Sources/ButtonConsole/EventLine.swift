public import ButtonEvents
import Foundation

/// One readable line per event, e.g.
/// `2026-11-25 03:39:09.123456Z PressButton  3f1c…  cohort 0  Germany (DE), Berlin (BE), Berlin  [p2@17]`
public enum EventLine {
    /// Formats an event with its position in the topic.
    public static func format(_ event: PressEvent, partition: Int32, offset: Int64) -> String {
        let place = [
            event.countryCode.isEmpty ? event.countryName : "\(event.countryName) (\(event.countryCode))",
            event.subdivisionName.isEmpty
                ? ""
                : (event.subdivisionCode.isEmpty
                    ? event.subdivisionName : "\(event.subdivisionName) (\(event.subdivisionCode))"),
            event.cityName,
        ].filter { !$0.isEmpty }.joined(separator: ", ")
        let cohort = event.cohort.map { "cohort \($0)" } ?? "fake data"
        let action = event.action.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
        return
            "\(timestamp(event.timestamp)) \(action)  \(event.sessionID.uuidString.lowercased())  \(cohort)  \(place)  [p\(partition)@\(offset)]"
    }

    /// Microseconds since the epoch as `YYYY-MM-DD HH:MM:SS.ffffffZ`, exactly.
    static func timestamp(_ micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06dZ",
            Int(parts.tm_year) + 1900,
            Int(parts.tm_mon) + 1,
            Int(parts.tm_mday),
            Int(parts.tm_hour),
            Int(parts.tm_min),
            Int(parts.tm_sec),
            Int(fraction)
        )
    }
}
