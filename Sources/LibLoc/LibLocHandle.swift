internal import CLibLoc
import POSIXSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns libloc's context and database objects and releases them when dropped.
///
/// Not `Sendable`: libloc's reference counts are plain integers and lookups take references
/// on the shared context, so a handle must only be used by one thread at a time.
/// `LocationDatabase` keeps it inside a `Mutex`.
final class LibLocHandle {
    private let context: OpaquePointer
    private let database: OpaquePointer

    init(path: String) throws(LibLocError) {
        guard let file = fopen(path, "re") else {
            let reason = SystemError.last("fopen").reason
            throw LibLocError(.openFailed, "cannot open location database \(path): \(reason)", path: path)
        }
        // libloc duplicates the descriptor and maps the sections itself; this stream is only
        // needed while the database is opened. Closing a stream that was only read loses
        // nothing, so a failure here has no consequence.
        defer { _ = try? retryingSystemCall("fclose") { fclose(file) } }

        if let problem = Self.checkHeader(file) {
            throw LibLocError(.invalidDatabase, "\(path) is not a valid location database: \(problem)", path: path)
        }

        var context: OpaquePointer?
        try Self.call("loc_new", .libraryFailed, path: path) { loc_new(&context) }
        guard let context else {
            throw LibLocError(.libraryFailed, "loc_new returned no context", path: path)
        }
        var database: OpaquePointer?
        do {
            try Self.call("loc_database_new", .invalidDatabase, path: path) {
                loc_database_new(context, &database, file)
            }
        } catch {
            loc_unref(context)
            throw LibLocError(
                .invalidDatabase,
                "\(path) is not a valid location database (\(error.message))",
                path: path
            )
        }
        guard let database else {
            loc_unref(context)
            throw LibLocError(.invalidDatabase, "\(path) is not a valid location database", path: path)
        }
        self.context = context
        self.database = database
    }

    deinit {
        loc_database_unref(database)
        loc_unref(context)
    }

    /// An address to look up: text to parse, or the 128 bits already parsed.
    enum Address: Sendable {
        case text(String)
        case bits(UInt64, UInt64)
    }

    func lookup(_ address: Address) throws(LibLocError) -> LocationNetwork? {
        var parsed = in6_addr()
        switch address {
        case .text(let text):
            guard Self.parse(text, into: &parsed) else {
                throw LibLocError(.invalidAddress, "not an IP address")
            }
        case .bits(let high, let low):
            // in6_addr holds the address in network order: the halves big-endian.
            withUnsafeMutableBytes(of: &parsed) { raw in
                raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
        }
        return try lookup(parsed)
    }

    private func lookup(_ parsed: in6_addr) throws(LibLocError) -> LocationNetwork? {
        var parsed = parsed
        var network: OpaquePointer?
        // libloc 0.9 returns 1 without a network when no network contains the address
        // (private, loopback and unallocated space); errors are negative.
        try Self.call("loc_database_lookup", .lookupFailed) { loc_database_lookup(database, &parsed, &network) }
        guard let network else { return nil }
        defer { loc_network_unref(network) }

        var flags = LocationNetwork.Flags()
        for flag in [
            LocationNetwork.Flags.anonymousProxy, .satelliteProvider, .anycast, .drop,
        ] where loc_network_has_flag(network, flag.rawValue) != 0 {
            flags.insert(flag)
        }
        let code = loc_network_get_country_code(network).map { String(cString: $0) } ?? ""
        let asn = loc_network_get_asn(network)
        return LocationNetwork(countryCode: code, autonomousSystem: asn == 0 ? nil : asn, flags: flags)
    }

    /// Parses IPv4 (stored as `::ffff:a.b.c.d`, libloc's representation) or IPv6 text.
    private static func parse(_ address: String, into result: inout in6_addr) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            result = in6_addr()
            withUnsafeMutableBytes(of: &result) { bytes in
                bytes[10] = 0xff
                bytes[11] = 0xff
                withUnsafeBytes(of: &v4) { source in
                    for index in 0..<4 {
                        bytes[12 + index] = source[index]
                    }
                }
            }
            return true
        }
        return inet_pton(AF_INET6, address, &result) == 1
    }

    var createdAt: Int { Int(loc_database_created_at(database)) }

    /// The one place a libloc status becomes a Swift error. libloc returns a negative value
    /// on failure: `-errno`, or -1 with `errno` set; zero and positive values are results.
    /// The message names the call and the database, never the address looked up.
    @discardableResult
    private static func call(
        _ what: String,
        _ code: LibLocError.Code,
        path: String? = nil,
        _ body: () -> Int32
    ) throws(LibLocError) -> Int32 {
        let saved = errno
        errno = 0
        let status = body()
        let reported = errno
        errno = saved
        guard status < 0 else { return status }
        let number = status < -1 ? -status : (reported != 0 ? reported : EIO)
        throw LibLocError(code, "\(what) failed: \(SystemError(what, errno: number).reason)", path: path)
    }

    /// Reads the header and the file size for `LibLocFileCheck`, then rewinds.
    private static func checkHeader(_ file: UnsafeMutablePointer<FILE>) -> String? {
        var status = stat()
        do {
            try retryingSystemCall("fstat") { fstat(fileno(file), &status) }
        } catch {
            return error.reason
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            return "not a regular file"
        }
        var prefix = [UInt8](repeating: 0, count: LibLocFileCheck.prefixSize)
        let count = prefix.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        // A short read is either the end of a short file (the check reports it as truncated)
        // or a read error, which must not pass for a short file.
        if ferror(file) != 0 { return "cannot read the header" }
        // rewind also clears the stream's end-of-file flag, which libloc's own reads need.
        rewind(file)
        return LibLocFileCheck.problem(prefix: Array(prefix.prefix(count)), fileSize: UInt64(status.st_size))
    }
}
