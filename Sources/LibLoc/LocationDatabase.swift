import Synchronization

/// A libloc location database (IPFire's format, shipped by Debian's `libloc-database`).
///
/// Safe to share between threads: libloc itself is not thread-safe (its objects use plain,
/// non-atomic reference counts that every lookup touches), so lookups are serialised by a
/// mutex. A lookup is a short walk of a memory-mapped tree, so the lock is held only briefly;
/// open one database per thread if that ever shows up in a profile.
public final class LocationDatabase: Sendable {
    /// Where Debian's `libloc-database` package installs the database.
    public static let defaultPath = "/var/lib/location/database.db"

    /// The file this database was opened from.
    public let path: String
    /// When the database was generated, in seconds since the Unix epoch.
    public let createdAt: Int

    private let handle: Mutex<LibLocHandle>

    /// Opens and maps a database file.
    /// - Parameters:
    ///   - path: The database file; Debian's by default.
    /// - Throws: `LibLocError` with `.openFailed` when the file is missing or unreadable,
    ///   `.invalidDatabase` when its header is inconsistent with the file (e.g. a truncated
    ///   download) or libloc rejects its contents; both name the path.
    public init(path: String = LocationDatabase.defaultPath) throws(LibLocError) {
        let handle = try LibLocHandle(path: path)
        self.path = path
        self.createdAt = handle.createdAt
        self.handle = Mutex(handle)
    }

    /// Finds the most specific network containing an address.
    /// - Parameters:
    ///   - address: IPv4 dotted-quad or IPv6 text.
    /// - Returns: The network's data, or `nil` when the database has no network for it
    ///   (unallocated, private and loopback addresses, for example).
    /// - Throws: `LibLocError` with `.invalidAddress` when the text is not an address (the
    ///   error does not repeat it), `.lookupFailed` when libloc fails.
    public func lookup(_ address: String) throws(LibLocError) -> LocationNetwork? {
        try handle.withLock { handle throws(LibLocError) in try handle.lookup(address) }
    }
}
