import Foundation
import Generator
import Geolocation
import Testing

/// Live sessions: shape, determinism and where they are placed. Uses the workers' real
/// offline database (Debian's libloc-database), as the generator does.
@Suite struct LiveSessionsTests {
    let geolocator: any Geolocator
    init() throws {
        geolocator = try GeolocationConfiguration().makeGeolocator()
    }

    static let start: Int64 = 1_764_250_000_000_000

    func sessions(seed: UInt64, count: Int, maxPresses: Int = 6, start: Int64? = start) -> [GeneratedSession] {
        var source = LiveSessions(geolocator: geolocator, maxPresses: maxPresses, seed: seed, start: start)
        return (0..<count).compactMap { _ in source.nextSession(now: 0) }
    }

    @Test func theSameSeedGivesTheSameSessionsAndADifferentSeedOthers() {
        let first = sessions(seed: 7, count: 200)
        let again = sessions(seed: 7, count: 200)
        let other = sessions(seed: 8, count: 200)
        #expect(first.count == 200)
        #expect(first == again)
        #expect(Set(first.map(\.id)).isDisjoint(with: other.map(\.id)))
        #expect(first.map(\.timestamps) != other.map(\.timestamps))
        #expect(first.map(\.location) != other.map(\.location))
    }

    @Test func aSessionIsAnEnterPageThenOneToMaxPressesWithHumanGaps() throws {
        let all = sessions(seed: 11, count: 2000, maxPresses: 6)
        var pressCounts: [Int: Int] = [:]
        for session in all {
            let id = try #require(UUID(uuidString: session.id))
            #expect(id.uuidString.lowercased() == session.id, "lowercase UUID text")
            #expect(Array(session.id)[14] == "4", "version 4")
            #expect(session.action(at: 0) == .enterPage)
            #expect((1..<session.count).allSatisfy { session.action(at: $0) == .pressButton })
            pressCounts[session.count - 1, default: 0] += 1
            for (earlier, later) in zip(session.timestamps, session.timestamps.dropFirst()) {
                #expect((500_000...5_000_000).contains(later - earlier), "gap \(later - earlier) µs")
            }
        }
        #expect(Set(pressCounts.keys) == Set(1...6), "every count from 1 to max presses")
        // Uniform: each count near a sixth of 2000 (±40%).
        #expect(pressCounts.values.allSatisfy { (200...467).contains($0) }, "\(pressCounts)")
        #expect(Set(all.map(\.id)).count == all.count)
    }

    @Test func aStartPutsSessionsOnAVirtualClockAndNoneOnTheWallClockEndsNow() {
        let virtual = sessions(seed: 3, count: 50)
        #expect(virtual.first?.timestamps.first == Self.start)
        #expect(zip(virtual, virtual.dropFirst()).allSatisfy { $0.timestamps[0] <= $1.timestamps[0] })
        let now: Int64 = 1_800_000_000_000_000
        var source = LiveSessions(geolocator: geolocator, maxPresses: 5, seed: 3, start: nil)
        for _ in 0..<50 {
            let session = source.nextSession(now: now)
            #expect(session?.timestamps.last == now, "a live session ends now, never in the future")
        }
    }

    @Test func aboutAThirdOfSessionsArePlacedByIPv6AndAllInKnownCountries() {
        let drawer = LocationDrawer(geolocator: geolocator)
        var random = GeneratorRandom(seed: 99)
        let draws = (0..<3000).map { _ in drawer.drawWithFamily(random: &random) }
        let share = Double(draws.filter(\.isIPv6).count) / Double(draws.count)
        #expect((0.29...0.38).contains(share), "IPv6 share \(share)")
        #expect(draws.allSatisfy { $0.location.isKnown })
        let countries = Set(draws.map(\.location.countryCode))
        #expect(countries.count > 60, "\(countries.count) countries")
        // IPv6 draws are placed too, in many countries (not one fallback).
        #expect(Set(draws.filter(\.isIPv6).map(\.location.countryCode)).count > 20)
        // Countries come up about as often as their people's addresses, not where a registry
        // keeps unallocated space (APNIC's in Australia, AFRINIC's in Mauritius).
        var perCountry: [String: Int] = [:]
        for draw in draws { perCountry[draw.location.countryCode, default: 0] += 1 }
        #expect(perCountry.max { $0.value < $1.value }?.key == "US", "\(perCountry)")
        #expect(perCountry["MU", default: 0] < 15 && perCountry["AU", default: 0] < 150, "\(perCountry)")
    }

    @Test func drawnAddressesArePublicAndOfTheirFamily() {
        var random = GeneratorRandom(seed: 5)
        for _ in 0..<20_000 {
            let v4 = RandomPublicAddress.ipv4(using: &random)
            let v6 = RandomPublicAddress.ipv6(using: &random)
            #expect(v4.isPublic && v4.isIPv4)
            #expect(v6.isPublic && !v6.isIPv4)
        }
    }
}
