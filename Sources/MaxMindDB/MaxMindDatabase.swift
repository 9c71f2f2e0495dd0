internal import CMaxMindDB

/// A MaxMind DB file (`.mmdb`: GeoIP2/GeoLite2 City, DB-IP City Lite, …), memory-mapped.
///
/// Safe to share between threads: see `MMDBHandle`.
public final class MaxMindDatabase: Sendable {
    /// The file this database was opened from.
    public let path: String
    /// The `database_type` from the metadata, e.g. `GeoIP2-City`.
    public let databaseType: String

    private let handle: MMDBHandle

    /// Opens and maps a database file.
    /// - Parameters:
    ///   - path: The `.mmdb` file.
    /// - Throws: `MaxMindDBError` with `.openFailed` when the file is missing or unreadable,
    ///   `.invalidDatabase` when its contents are not a MaxMind DB; both name the path.
    public init(path: String) throws(MaxMindDBError) {
        self.handle = try MMDBHandle(path: path)
        self.path = path
        self.databaseType = handle.databaseType
    }

    /// Looks up the city-level record for an address.
    /// - Parameters:
    ///   - address: IPv4 dotted-quad or IPv6 text (numeric only; no name resolution).
    /// - Returns: The record's fields, or `nil` when no network in the database contains the
    ///   address.
    /// - Throws: `MaxMindDBError` with `.invalidAddress` when the text is not an address (the
    ///   error does not repeat it), `.lookupFailed` when the database cannot be searched or
    ///   decoded.
    public func lookupCity(_ address: String) throws(MaxMindDBError) -> MaxMindCityRecord? {
        try handle.lookupCity(address)
    }
}
