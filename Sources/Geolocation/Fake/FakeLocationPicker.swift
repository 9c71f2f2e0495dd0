/// Picks plausible locations for fake sessions in the local stack.
///
/// Draws random public IPv4 addresses and returns the location of the first one the
/// geolocator places in a country, so countries come up about as often as their share of
/// the address space. The addresses are only used to locate and are never returned.
/// The same geolocator, `seed` and `sessionSeed` always give the same location.
public struct FakeLocationPicker: Sendable {
    /// How many addresses one pick tries before giving up.
    public static let maximumAttempts = 64
    /// What a pick returns when no attempt found a country (e.g. an empty database).
    public static let fallback = Location(countryName: "Germany", countryCode: "DE")

    private let geolocator: any Geolocator
    private let seed: UInt64

    /// - Parameters:
    ///   - geolocator: The geolocator to place the random addresses with.
    ///   - seed: Selects the sequence of picks, e.g. one per run of the generator.
    public init(geolocator: any Geolocator, seed: UInt64) {
        self.geolocator = geolocator
        self.seed = seed
    }

    /// A location for one fake session; never `Location.unknown`.
    /// - Parameters:
    ///   - sessionSeed: Distinguishes sessions, e.g. a counter or bits of the session id.
    public func pick(sessionSeed: UInt64) -> Location {
        // Mix the seed first so that (seed, session) pairs don't collide as they would with a
        // plain xor of the two.
        var mixer = SplitMix64(seed: seed)
        var random = SplitMix64(seed: mixer.next() ^ sessionSeed)
        var attempts = 0
        // About 14% of IPv4 space is not public; bound the draws as well as the lookups.
        for _ in 0..<Self.maximumAttempts * 4 where attempts < Self.maximumAttempts {
            let address = IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next() >> 32))
            guard address.isPublic else { continue }
            attempts += 1
            let location = geolocator.locate(address)
            if location.isKnown {
                return location
            }
        }
        return Self.fallback
    }
}
