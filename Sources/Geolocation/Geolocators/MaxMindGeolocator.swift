import MaxMindDB

/// City-level geolocation from a MaxMind DB file in the GeoIP2-City layout (GeoIP2/GeoLite2
/// City, DB-IP City Lite).
///
/// Country names come from the database's English names, or from iso-codes where it has none.
/// Records whose country is not an ISO 3166-1 country give `Location.unknown`.
public struct MaxMindGeolocator: Geolocator {
    private let database: MaxMindDatabase
    private let countryNames: CountryNames

    /// Opens a `.mmdb` file.
    /// - Parameters:
    ///   - databasePath: The database file.
    ///   - countryNames: Country names; the iso-codes list at its default path when `nil`.
    /// - Throws: `GeolocationError` naming the file when the database or the country list is
    ///   missing, unreadable or invalid.
    public init(databasePath: String, countryNames: CountryNames? = nil) throws(GeolocationError) {
        do {
            self.database = try MaxMindDatabase(path: databasePath)
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
        guard let record = try? database.lookupCity(address.canonicalText),
            let code = record.countryCode?.uppercased(), let isoName = countryNames.name(forCode: code)
        else {
            return .unknown
        }
        let name = record.countryName.flatMap { $0.isEmpty ? nil : $0 } ?? isoName
        return Location(
            countryName: name,
            countryCode: code,
            subdivisionName: record.subdivisionName ?? "",
            subdivisionCode: record.subdivisionCode ?? "",
            cityName: record.cityName ?? ""
        )
    }
}
