public import Geolocation

/// Places fake visitors the way real traffic is placed: a random public address (about a
/// third of them IPv6, as in the original generator), located with the workers' offline
/// database, then dropped. The address never leaves this type.
public struct LocationDrawer: Sendable {
    /// Share of draws that are IPv6, as in the original generator.
    public static let ipv6Share = 1.0 / 3.0
    /// Draws per session before giving up on finding a country.
    public static let maximumAttempts = 64

    private let geolocator: any Geolocator

    /// - Parameter geolocator: the database the workers use (`GeolocationConfiguration`).
    public init(geolocator: any Geolocator) {
        self.geolocator = geolocator
    }

    /// A session's place and the address family it was found with.
    public struct Draw: Sendable {
        public let isIPv6: Bool
        public let location: Location
    }

    /// A place in a country. The family is chosen first (a third IPv6), then addresses of
    /// that family are drawn until the database knows one's country, so the IPv6 share holds
    /// among sessions even though IPv6 draws miss more often. After ``maximumAttempts``
    /// misses (an empty database) IPv4 is tried, then `FakeLocationPicker.fallback`.
    public func drawWithFamily(random: inout GeneratorRandom) -> Draw {
        let isIPv6 = random.unit() < Self.ipv6Share
        for family in isIPv6 ? [true, false] : [false] {
            for _ in 0..<Self.maximumAttempts {
                let address =
                    family ? RandomPublicAddress.ipv6(using: &random) : RandomPublicAddress.ipv4(using: &random)
                let location = geolocator.locate(address)
                if location.isKnown && !Self.isRegistryHeld(address, countryCode: location.countryCode) {
                    return Draw(isIPv6: family, location: location)
                }
            }
        }
        return Draw(isIPv6: false, location: FakeLocationPicker.fallback)
    }

    /// Whether a place is only where a regional registry keeps its unallocated IPv6 space:
    /// the database gives APNIC's whole `2400::/12` and much of `2001::/16` to Australia and
    /// AFRINIC's to Mauritius, where the registries sit. No user is behind such an address,
    /// and counting them made Mauritius the second country of the world; Australia and
    /// Mauritius still come from their IPv4 draws and their real IPv6 networks elsewhere.
    static func isRegistryHeld(_ address: IPAddress, countryCode: String) -> Bool {
        guard !address.isIPv4 else { return false }
        switch UInt16(truncatingIfNeeded: address.bits.high >> 48) {
        case 0x2001, 0x2400...0x240f: return countryCode == "AU"
        case 0x2c00...0x2c0f: return countryCode == "MU"
        default: return false
        }
    }

    /// A place in a country (see ``drawWithFamily(random:)``).
    public func draw(random: inout GeneratorRandom) -> Location {
        drawWithFamily(random: &random).location
    }
}
