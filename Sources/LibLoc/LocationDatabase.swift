import Synchronization

#if canImport(Glibc)
import Glibc
#endif

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

    /// Independent libloc handles, each used by one thread at a time. libloc's objects are
    /// not thread-safe (plain reference counts), but separate handles share nothing but the
    /// mapped file: a small pool removes the contention of one lock when every request of
    /// a cookie-less load test starts a session and looks up its address.
    private let handles: [LockedHandle]

    /// Opens and maps a database file.
    /// - Parameters:
    ///   - path: The database file; Debian's by default.
    /// - Throws: `LibLocError` with `.openFailed` when the file is missing or unreadable,
    ///   `.invalidDatabase` when its header is inconsistent with the file (e.g. a truncated
    ///   download) or libloc rejects its contents; both name the path.
    public init(path: String = LocationDatabase.defaultPath, handles count: Int = 4) throws(LibLocError) {
        var handles: [LockedHandle] = []
        var createdAt = 0
        for _ in 0..<max(1, count) {
            let handle = try LibLocHandle(path: path)
            createdAt = handle.createdAt
            handles.append(LockedHandle(handle))
        }
        self.path = path
        self.createdAt = createdAt
        self.handles = handles
    }

    /// Finds the most specific network containing an address.
    /// - Parameters:
    ///   - address: IPv4 dotted-quad or IPv6 text.
    /// - Returns: The network's data, or `nil` when the database has no network for it
    ///   (unallocated, private and loopback addresses, for example).
    /// - Throws: `LibLocError` with `.invalidAddress` when the text is not an address (the
    ///   error does not repeat it), `.lookupFailed` when libloc fails.
    public func lookup(_ address: String) throws(LibLocError) -> LocationNetwork? {
        try lookup(.text(address))
    }

    /// Finds the most specific network containing an address given as its 128 bits, high
    /// and low halves (IPv4 as `::ffff:a.b.c.d`): the press path passes the parsed address
    /// as it is instead of writing it out as text for libloc to parse again.
    /// - Parameters:
    ///   - high: the first 8 bytes of the address, as a big-endian number.
    ///   - low: the last 8 bytes.
    /// - Returns: The network's data, or `nil` when the database has no network for it.
    /// - Throws: `LibLocError` with `.lookupFailed` when libloc fails.
    public func lookup(high: UInt64, low: UInt64) throws(LibLocError) -> LocationNetwork? {
        try lookup(.bits(high, low))
    }

    /// Looks up on the first free handle, starting at one picked by the calling thread;
    /// waits for that one only when all are busy.
    private func lookup(_ address: LibLocHandle.Address) throws(LibLocError) -> LocationNetwork? {
        let home = Int(UInt(bitPattern: pthread_self().hashValue) % UInt(handles.count))
        for step in 0..<handles.count {
            let slot = handles[(home + step) % handles.count]
            let outcome: Result<LocationNetwork?, LibLocError>? = slot.mutex.withLockIfAvailable { handle in
                Result { () throws(LibLocError) in try handle.lookup(address) }
            }
            if let outcome { return try outcome.get() }
        }
        return try handles[home].mutex.withLock { handle throws(LibLocError) in try handle.lookup(address) }
    }
}

/// One libloc handle behind its own lock (a class, because `Mutex` can't sit in an array).
private final class LockedHandle: Sendable {
    let mutex: Mutex<LibLocHandle>
    init(_ handle: sending LibLocHandle) { mutex = Mutex(handle) }
}
