import Synchronization
import Testing

@testable import Geolocation

@Suite("FakeLocationPicker")
struct FakeLocationPickerTests {
    @Test("the same seeds give the same location")
    func deterministic() throws {
        let geolocator = try Fixtures.libLoc()
        let first = FakeLocationPicker(geolocator: geolocator, seed: 42)
        let second = FakeLocationPicker(geolocator: geolocator, seed: 42)
        for session in UInt64(0)..<50 {
            #expect(first.pick(sessionSeed: session) == second.pick(sessionSeed: session))
        }
        let other = FakeLocationPicker(geolocator: geolocator, seed: 43)
        let picks = (UInt64(0)..<50).map { first.pick(sessionSeed: $0) }
        let otherPicks = (UInt64(0)..<50).map { other.pick(sessionSeed: $0) }
        #expect(picks != otherPicks)
    }

    @Test("sessions get varied, known countries", arguments: [0, 1, 42, UInt64.max])
    func varied(seed: UInt64) throws {
        let picker = FakeLocationPicker(geolocator: try Fixtures.libLoc(), seed: seed)
        let picks = (UInt64(0)..<50).map { picker.pick(sessionSeed: $0) }
        #expect(picks.allSatisfy { $0.isKnown && $0 != .unknown && !$0.countryName.isEmpty })
        #expect(Set(picks.map(\.countryCode)).count >= 5)
    }

    @Test("only public addresses are looked up, and a geolocator that knows nothing gives the fallback")
    func fallback() {
        let recorder = RecordingGeolocator()
        let picker = FakeLocationPicker(geolocator: recorder, seed: 7)
        #expect(picker.pick(sessionSeed: 1) == FakeLocationPicker.fallback)
        let seen = recorder.addresses.withLock { $0 }
        #expect(seen.count == FakeLocationPicker.maximumAttempts)
        #expect(seen.allSatisfy { $0.isPublic && $0.isIPv4 })
    }
}

private final class RecordingGeolocator: Geolocator {
    let addresses = Mutex<[IPAddress]>([])

    func locate(_ address: IPAddress) -> Location {
        addresses.withLock { $0.append(address) }
        return .unknown
    }
}
