/// Which geolocation database to use, built once from the environment.
///
/// Environment keys:
/// - `GEOIP_MMDB`: a city-level `.mmdb` file; used when set and not empty.
/// - `GEOIP_LIBLOC_DB`: the libloc database used otherwise; default
///   `/var/lib/location/database.db` (Debian's `libloc-database`).
public struct GeolocationConfiguration: Sendable, Hashable {
    /// The database behind the geolocator.
    public enum Source: Sendable, Hashable {
        /// A country-level libloc database.
        case libLoc(path: String)
        /// A city-level MaxMind DB file.
        case maxMind(path: String)
    }

    /// Where Debian's `libloc-database` package installs the database.
    public static let defaultLibLocPath = "/var/lib/location/database.db"

    public var source: Source
    /// The iso-codes ISO 3166-1 JSON file used for country names.
    public var countryNamesPath: String

    public init(
        source: Source = .libLoc(path: GeolocationConfiguration.defaultLibLocPath),
        countryNamesPath: String = CountryNames.defaultPath
    ) {
        self.source = source
        self.countryNamesPath = countryNamesPath
    }

    /// Reads `GEOIP_MMDB` and `GEOIP_LIBLOC_DB`.
    /// - Parameters:
    ///   - environment: The process environment, e.g. `ProcessInfo.processInfo.environment`.
    public init(environment: [String: String]) {
        if let mmdb = environment["GEOIP_MMDB"], !mmdb.isEmpty {
            self.init(source: .maxMind(path: mmdb))
        } else if let libloc = environment["GEOIP_LIBLOC_DB"], !libloc.isEmpty {
            self.init(source: .libLoc(path: libloc))
        } else {
            self.init()
        }
    }

    /// Opens the configured database.
    /// - Throws: `GeolocationError` naming the file when it, or the country list, is missing,
    ///   unreadable or invalid.
    public func makeGeolocator() throws(GeolocationError) -> any Geolocator {
        let names =
            countryNamesPath == CountryNames.defaultPath
            ? try CountryNames.standard() : try CountryNames(path: countryNamesPath)
        switch source {
        case .libLoc(let path):
            return try LibLocGeolocator(databasePath: path, countryNames: names)
        case .maxMind(let path):
            return try MaxMindGeolocator(databasePath: path, countryNames: names)
        }
    }
}
