public import Geolocation

/// Turns the client address into a place, once per session. The address is used here
/// and nowhere else; only the place leaves.
public protocol AddressLocator: Sendable {
    /// The place for the client's address.
    /// - Parameters:
    ///   - address: nginx's `REMOTE_ADDR`, parsed.
    ///   - sessionSeed: random per session; picks the fake place in fake-location mode.
    func locate(_ address: IPAddress, sessionSeed: UInt64) -> Location
}

/// Offline geolocation, with optional fake places for loopback and private clients.
public struct GeoAddressLocator: AddressLocator {
    let geolocator: any Geolocator
    let fake: FakeLocationPicker?

    /// - Parameters:
    ///   - geolocator: the offline database.
    ///   - fakeLocations: when set, non-public addresses (a laptop, a load test on
    ///     loopback) get a plausible random public place instead of "Unknown".
    public init(geolocator: any Geolocator, fakeLocations: FakeLocationPicker?) {
        self.geolocator = geolocator
        self.fake = fakeLocations
    }

    public func locate(_ address: IPAddress, sessionSeed: UInt64) -> Location {
        if address.isPublic { return geolocator.locate(address) }
        return fake?.pick(sessionSeed: sessionSeed) ?? .unknown
    }
}
