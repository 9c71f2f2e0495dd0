internal import CLibLoc

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
            let reason = String(cString: strerror(errno))
            throw LibLocError(.openFailed, "cannot open location database \(path): \(reason)", path: path)
        }
        // libloc duplicates the descriptor and maps the sections itself; this stream is only
        // needed while the database is opened.
        defer { fclose(file) }

        if let problem = Self.checkHeader(file) {
            throw LibLocError(.invalidDatabase, "\(path) is not a valid location database: \(problem)", path: path)
        }

        var context: OpaquePointer?
        guard loc_new(&context) == 0, let context else {
            throw LibLocError(.libraryFailed, "cannot create a libloc context", path: path)
        }
        var database: OpaquePointer?
        guard loc_database_new(context, &database, file) == 0, let database else {
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

    func lookup(_ address: String) throws(LibLocError) -> LocationNetwork? {
        var parsed = in6_addr()
        guard Self.parse(address, into: &parsed) else {
            throw LibLocError(.invalidAddress, "not an IP address")
        }
        var network: OpaquePointer?
        let status = loc_database_lookup(database, &parsed, &network)
        guard let network else {
            // libloc 0.9 returns 1 without a network when no network contains the address
            // (private, loopback and unallocated space); errors are negative.
            if status >= 0 {
                return nil
            }
            throw LibLocError(.lookupFailed, "location database lookup failed (\(status))")
        }
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

    /// Reads the header and the file size for `LibLocFileCheck`, then rewinds.
    private static func checkHeader(_ file: UnsafeMutablePointer<FILE>) -> String? {
        var status = stat()
        guard fstat(fileno(file), &status) == 0 else {
            return String(cString: strerror(errno))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            return "not a regular file"
        }
        var prefix = [UInt8](repeating: 0, count: LibLocFileCheck.prefixSize)
        let count = prefix.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        rewind(file)
        return LibLocFileCheck.problem(prefix: Array(prefix.prefix(count)), fileSize: UInt64(status.st_size))
    }
}
