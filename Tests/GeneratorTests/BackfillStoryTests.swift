import Foundation
import Generator
import Geolocation
import Places
import Testing

/// The backfill story: span, local daytime, spread and boredom, on the real database and
/// zone table. Local hours are read with `LocalClock`, the enricher's own clock.
@Suite struct BackfillStoryTests {
    static let until: Int64 = 1_764_201_600_000_000  // 2025-11-27T00:00:00Z
    static let days = 28
    let geolocator: any Geolocator
    let places: CountryPlaces

    init() throws {
        geolocator = try GeolocationConfiguration().makeGeolocator()
        places = CountryPlaces(table: try ZoneTable(contentsOf: ZoneTable.systemPath))
    }

    func story(seed: UInt64, sessions: Int = 6000) throws -> BackfillStory {
        try BackfillStory(
            settings: .init(days: Self.days, until: Self.until, sessions: sessions, maxPresses: 10, seed: seed),
            geolocator: geolocator,
            places: places
        )
    }

    func all(_ story: BackfillStory) -> [GeneratedSession] {
        var story = story
        var out: [GeneratedSession] = []
        while let session = story.nextSession(now: 0) { out.append(session) }
        return out
    }

    @Test func theSameSeedTellsTheSameStoryAndAnotherSeedAnother() throws {
        let first = all(try story(seed: 1))
        #expect(first == all(try story(seed: 1)))
        let other = all(try story(seed: 2))
        #expect(Set(first.map(\.id)).isDisjoint(with: other.map(\.id)))
        #expect(first.map(\.timestamps) != other.map(\.timestamps))
    }

    @Test func everyTimestampLiesInTheSpanAskedForInTimeOrder() throws {
        let sessions = all(try story(seed: 3))
        let start = Self.until - Int64(Self.days) * 86_400_000_000
        #expect((5400...6600).contains(sessions.count), "\(sessions.count) sessions for 6000 asked")
        let times = sessions.flatMap(\.timestamps)
        #expect(times.allSatisfy { $0 >= start && $0 < Self.until })
        let starts = sessions.map { $0.timestamps[0] }
        #expect(starts == starts.sorted(), "sessions come out in time order")
        #expect(sessions.allSatisfy { $0.location.isKnown && $0.count >= 2 })
    }

    @Test func eventsFollowLocalDaytime() throws {
        let story = try story(seed: 4)
        var clock = LocalClock()
        var day = 0
        var night = 0
        var total = 0
        for session in all(story) {
            let zone = try #require(story.zones[session.location.countryCode])
            for time in session.timestamps {
                let reading = clock.reading(microseconds: time, zone: zone)
                let hour = try #require(reading).hour
                total += 1
                if (8..<23).contains(hour) { day += 1 }
                if (3..<5).contains(hour) { night += 1 }
            }
        }
        #expect(Double(day) / Double(total) > 0.8, "\(day) of \(total) between 08:00 and 23:00 local")
        #expect(Double(night) / Double(total) < 0.02, "\(night) of \(total) between 03:00 and 05:00 local")
    }

    @Test func itSpreadsFromOneCountryToOthersOverDaysThenGetsBoring() throws {
        let story = try story(seed: 5, sessions: 10_000)
        let sessions = all(story)
        let origin = try #require(story.plan.countries.first?.code)
        var firstSeen: [String: Int64] = [:]
        for session in sessions where firstSeen[session.location.countryCode] == nil {
            firstSeen[session.location.countryCode] = session.timestamps[0]
        }
        #expect(firstSeen.count >= 20, "\(firstSeen.count) countries reached")
        let originFirst = try #require(firstSeen[origin])
        #expect(firstSeen.values.allSatisfy { $0 >= originFirst }, "the origin has it first")
        let lastFirst = try #require(firstSeen.values.max())
        #expect(lastFirst - originFirst > 5 * 86_400_000_000, "the last country joins days later")

        // Boredom: the last week is quieter than the busiest week, and its sessions shorter.
        let dayLength: Int64 = 86_400_000_000
        let start = Self.until - Int64(Self.days) * dayLength
        var perWeek = [Int](repeating: 0, count: 4)
        var pressesPerWeek = [Int](repeating: 0, count: 4)
        for session in sessions {
            let week = Int((session.timestamps[0] - start) / (7 * dayLength))
            perWeek[week] += 1
            pressesPerWeek[week] += session.count - 1
        }
        let busiest = try #require(perWeek.max())
        #expect(Double(perWeek[3]) < 0.6 * Double(busiest), "sessions per week \(perWeek)")
        let meanPresses = zip(pressesPerWeek, perWeek).map { Double($0) / Double(max($1, 1)) }
        #expect(meanPresses[3] < meanPresses[0] * 0.85, "presses per session per week \(meanPresses)")
    }
}
