import Enricher
import Foundation
import Places
import Testing

@Suite struct LocalClockTests {
    /// µs since the epoch of a UTC date and time.
    static func micros(
        _ year: Int,
        _ month: Int,
        _ day: Int,
        _ hour: Int,
        _ minute: Int = 0,
        _ second: Int = 0
    ) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let date = calendar.date(
            from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        )
        return Int64((date?.timeIntervalSince1970 ?? 0).rounded()) * 1_000_000
    }

    @Test(arguments: [
        // Noon UTC on a summer Tuesday and a winter Wednesday: the offsets differ by an hour.
        ("Europe/London", 2025, 7, 1, 13, 2), ("Europe/London", 2025, 1, 15, 12, 3),
        ("America/New_York", 2025, 7, 1, 8, 2), ("America/New_York", 2025, 1, 15, 7, 3),
        ("Australia/Sydney", 2025, 7, 1, 22, 2), ("Australia/Sydney", 2025, 1, 15, 23, 3),
    ])
    func summerAndWinterHaveDifferentOffsets(zone: String, year: Int, month: Int, day: Int, hour: Int, weekday: Int) {
        var clock = LocalClock()
        let reading = clock.reading(microseconds: Self.micros(year, month, day, 12) + 123_456, zone: zone)
        #expect(reading == .init(hour: hour, weekday: weekday))
    }

    @Test func theDaylightSavingSwitchHappensOnTheSecond() {
        var clock = LocalClock()
        // Europe/London springs forward at 01:00 UTC on 2025-03-30 (a Sunday).
        let change = Self.micros(2025, 3, 30, 1)
        #expect(clock.reading(microseconds: change - 1, zone: "Europe/London") == .init(hour: 0, weekday: 7))
        #expect(clock.reading(microseconds: change, zone: "Europe/London") == .init(hour: 2, weekday: 7))
        // Midnight in New York (EDT) is 04:00 UTC on Monday 2025-07-07: the weekday follows the zone.
        let midnight = Self.micros(2025, 7, 7, 4)
        #expect(clock.reading(microseconds: midnight - 1, zone: "America/New_York") == .init(hour: 23, weekday: 7))
        #expect(clock.reading(microseconds: midnight, zone: "America/New_York") == .init(hour: 0, weekday: 1))
    }

    @Test func beforeTheEpochFloorsToTheSecondBefore() {
        var clock = LocalClock()
        // 1969-12-31 23:59:59.999999 UTC was a Wednesday.
        #expect(clock.reading(microseconds: -1, zone: "UTC") == .init(hour: 23, weekday: 3))
    }

    @Test func anUnknownZoneHasNoReading() {
        var clock = LocalClock()
        #expect(clock.reading(microseconds: 0, zone: "Nowhere/Atlantis") == nil)
        #expect(clock.reading(microseconds: 0, zone: "") == nil)
    }
}
