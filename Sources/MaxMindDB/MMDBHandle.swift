internal import CMaxMindDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns an `MMDB_s` and closes it when dropped.
///
/// `@unchecked Sendable` because the `MMDB_s` is written only by `MMDB_open` in `init` and is
/// read-only afterwards; libmaxminddb documents lookups on a database opened with
/// `MMDB_MODE_MMAP` as thread-safe (they only read the mapping and the struct).
final class MMDBHandle: @unchecked Sendable {
    private let mmdb: UnsafeMutablePointer<MMDB_s>
    let path: String

    init(path: String) throws(MaxMindDBError) {
        let mmdb = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        mmdb.initialize(to: MMDB_s())
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), mmdb)
        guard status == MMDB_SUCCESS else {
            // MMDB_open cleans up after itself on failure.
            mmdb.deallocate()
            let reason = Self.describe(status)
            // MMDB_IO_ERROR means open() worked but fstat/mmap did not (an empty file, a
            // directory): the file is there but is no database.
            if status == MMDB_FILE_OPEN_ERROR {
                throw MaxMindDBError(.openFailed, "cannot open MaxMind database \(path): \(reason)", path: path)
            }
            throw MaxMindDBError(.invalidDatabase, "\(path) is not a valid MaxMind database: \(reason)", path: path)
        }
        self.mmdb = mmdb
        self.path = path
    }

    deinit {
        MMDB_close(mmdb)
        mmdb.deallocate()
    }

    var databaseType: String {
        mmdb.pointee.metadata.database_type.map { String(cString: $0) } ?? ""
    }

    func lookupCity(_ address: String) throws(MaxMindDBError) -> MaxMindCityRecord? {
        var gaiError: Int32 = 0
        var mmdbError: Int32 = MMDB_SUCCESS
        var result = MMDB_lookup_string(mmdb, address, &gaiError, &mmdbError)
        guard gaiError == 0 else {
            throw MaxMindDBError(.invalidAddress, "not an IP address", path: path)
        }
        try check(mmdbError)
        guard result.found_entry else { return nil }

        var record = MaxMindCityRecord()
        record.countryCode = try string(&result.entry, "country", "iso_code")
        record.countryName = try string(&result.entry, "country", "names", "en")
        record.subdivisionCode = try string(&result.entry, "subdivisions", "0", "iso_code")
        record.subdivisionName = try string(&result.entry, "subdivisions", "0", "names", "en")
        record.cityName = try string(&result.entry, "city", "names", "en")
        record.latitude = try double(&result.entry, "location", "latitude")
        record.longitude = try double(&result.entry, "location", "longitude")
        return record
    }

    /// The single place where libmaxminddb status codes become Swift errors.
    private func check(_ status: Int32) throws(MaxMindDBError) {
        guard status == MMDB_SUCCESS else {
            throw MaxMindDBError(.lookupFailed, "lookup in \(path) failed: \(Self.describe(status))", path: path)
        }
    }

    private static func describe(_ status: Int32) -> String {
        if status == MMDB_IO_ERROR {
            return String(cString: strerror(errno))
        }
        return MMDB_strerror(status).map { String(cString: $0) } ?? "error \(status)"
    }

    /// Fetches the value at `path` below `entry`; `nil` when the record has no such key.
    private func value(_ entry: inout MMDB_entry_s, _ path: [String]) throws(MaxMindDBError) -> MMDB_entry_data_s? {
        var data = MMDB_entry_data_s()
        // MMDB_aget_value (the non-variadic MMDB_get_value) wants a NULL-terminated array of
        // C strings.
        let cStrings = path.map { strdup($0) }
        defer {
            for cString in cStrings {
                free(cString)
            }
        }
        var arguments: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        arguments.append(nil)
        let status = arguments.withUnsafeBufferPointer { buffer in
            MMDB_aget_value(&entry, &data, buffer.baseAddress)
        }
        if status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR || status == MMDB_INVALID_LOOKUP_PATH_ERROR {
            return nil
        }
        try check(status)
        return data.has_data ? data : nil
    }

    private func string(_ entry: inout MMDB_entry_s, _ path: String...) throws(MaxMindDBError) -> String? {
        guard let data = try value(&entry, path), data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING) else {
            return nil
        }
        guard data.data_size > 0, let start = data.utf8_string else { return "" }
        // MMDB strings point into the mapped file and are not NUL-terminated.
        let bytes = UnsafeRawBufferPointer(start: start, count: Int(data.data_size))
        return String(decoding: bytes, as: UTF8.self)
    }

    private func double(_ entry: inout MMDB_entry_s, _ path: String...) throws(MaxMindDBError) -> Double? {
        guard let data = try value(&entry, path) else { return nil }
        switch data.type {
        case UInt32(MMDB_DATA_TYPE_DOUBLE): return data.double_value
        case UInt32(MMDB_DATA_TYPE_FLOAT): return Double(data.float_value)
        default: return nil
        }
    }
}
