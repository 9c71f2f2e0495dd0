/// Turns a client address into a location.
public protocol Geolocator: Sendable {
    /// Locates an address.
    ///
    /// Never throws and never traps: an address that is not public, not in the database, or
    /// mapped to something that is not a country gives `Location.unknown`.
    /// - Parameters:
    ///   - address: The client's address; implementations must not keep or log it.
    func locate(_ address: IPAddress) -> Location
}
