import LibLoc

/// Country-level geolocation from a libloc database (Debian's `libloc-database`).
///
/// Networks flagged as anonymous proxies, satellite providers or anycast give
/// `Location.unknown`: their country says where the network is registered, not where the
/// client is. Codes that are not ISO 3166-1 countries give `Location.unknown` too.
public struct LibLocGeolocator: Geolocator {
    private let database: LocationDatabase
    private let countryNames: CountryNames

    /// Opens a libloc database.
    /// - Parameters:
    ///   - databasePath: The database file.
    ///   - countryNames: Country names; the iso-codes list at its default path when `nil`.
    /// - Throws: `GeolocationError` naming the file when the database or the country list is
    ///   missing, unreadable or invalid.
    public init(
        databasePath: String = GeolocationConfiguration.defaultLibLocPath,
        countryNames: CountryNames? = nil
    ) throws(GeolocationError) {
        do {
            self.database = try LocationDatabase(path: databasePath)
        } catch {
            let code: GeolocationError.Code = error.code == .openFailed ? .databaseMissing : .databaseInvalid
            throw GeolocationError(code, error.message, path: databasePath)
        }
        if let countryNames {
            self.countryNames = countryNames
        } else {
            self.countryNames = try CountryNames.standard()
        }
    }

    public func locate(_ address: IPAddress) -> Location {
        guard address.isPublic else { return .unknown }
        let (high, low) = address.bits
        guard let network = try? database.lookup(high: high, low: low) else { return .unknown }
        guard network.flags.isDisjoint(with: [.anonymousProxy, .satelliteProvider, .anycast]) else {
            return .unknown
        }
        let code = network.countryCode
        guard let name = countryNames.name(forCode: code) else { return .unknown }
        return Location(countryName: name, countryCode: code)
    }
}
