public import Geolocation

/// Sessions as they happen now: each placed by a fresh address draw, with 1…`maxPresses`
/// presses (uniform, as in the original generator).
///
/// Times: with a `start`, a virtual clock begins there and each session starts a random
/// 0–200 ms after the previous one, so the whole sequence (ids, places, times) is fixed by
/// the seed. Without one, each session ends at the wall-clock time it is generated, so live
/// data never lies in the future.
public struct LiveSessions: SessionSource {
    private let drawer: LocationDrawer
    private let maxPresses: Int
    private var random: GeneratorRandom
    private var virtualClock: Int64?

    /// Longest wait between the starts of two sessions on the virtual clock.
    static let arrivalGapMicroseconds: ClosedRange<Int> = 0...200_000

    /// - Parameters:
    ///   - geolocator: the workers' geolocation database.
    ///   - maxPresses: the most presses a session has (≥ 1).
    ///   - seed: fixes the sequence.
    ///   - start: the first session's start, µs since the epoch; nil for the wall clock.
    public init(geolocator: any Geolocator, maxPresses: Int, seed: UInt64, start: Int64?) {
        self.drawer = LocationDrawer(geolocator: geolocator)
        self.maxPresses = max(1, maxPresses)
        self.random = GeneratorRandom(seed: seed)
        self.virtualClock = start
    }

    public var progress: Double? { nil }

    public mutating func nextSession(now: Int64) -> GeneratedSession? {
        let id = random.uuid().text
        let location = drawer.draw(random: &random)
        let presses = random.int(in: 1...maxPresses)
        var timestamps: [Int64]
        if let clock = virtualClock {
            timestamps = GeneratedSession.timestamps(start: clock, presses: presses, random: &random)
            virtualClock = clock + Int64(random.int(in: Self.arrivalGapMicroseconds))
        } else {
            timestamps = GeneratedSession.timestamps(start: 0, presses: presses, random: &random)
            let shift = now - (timestamps.last ?? 0)
            for index in timestamps.indices { timestamps[index] += shift }
        }
        return GeneratedSession(id: id, location: location, timestamps: timestamps)
    }
}
