/// Checks a libloc database's header against the file before libloc maps it.
///
/// libloc 0.9 maps each section at the offset and length its header states without comparing
/// them to the file size, so a truncated download opens fine and then crashes (SIGBUS/SIGSEGV)
/// on the first read past the end. Inside the sections it bounds-checks its indices, so
/// checking the sections is enough to turn truncation into an error.
enum LibLocFileCheck {
    /// The magic bytes (7) and version (1), then the v1 header: created_at (8), vendor,
    /// description, license (4 each), five sections of offset and length (4 + 4 each),
    /// two signature lengths (2 each), two signatures (2048 each) and padding (32).
    static let magicSize = 8
    static let headerSize = 8 + 3 * 4 + 5 * 8 + 2 * 2 + 2 * 2048 + 32
    static let prefixSize = magicSize + headerSize

    /// - Parameters:
    ///   - prefix: The first `prefixSize` bytes of the file (fewer if the file is shorter).
    ///   - fileSize: The size of the file in bytes.
    /// - Returns: Why the file is not a usable database, or `nil` when the header is plausible.
    static func problem(prefix: [UInt8], fileSize: UInt64) -> String? {
        guard prefix.count >= magicSize, prefix[0..<7].elementsEqual("LOCDBXX".utf8) else {
            return "not a libloc database (no LOCDBXX magic)"
        }
        guard prefix[7] == 1 else {
            return "unsupported libloc database version \(prefix[7])"
        }
        guard prefix.count >= prefixSize else {
            return "truncated header"
        }
        func u32(_ offset: Int) -> UInt64 {
            let start = magicSize + offset
            return prefix[start..<start + 4].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        // as, network data, network tree, countries, string pool: (offset, length) pairs.
        let sections = [("AS", 20), ("network", 28), ("network tree", 36), ("country", 44), ("string pool", 52)]
        for (name, field) in sections {
            let offset = u32(field)
            let length = u32(field + 4)
            guard length == 0 || offset + length <= fileSize else {
                return "truncated: the \(name) section ends at byte \(offset + length) of \(fileSize)"
            }
        }
        let poolLength = u32(56)
        for (name, field) in [("vendor", 8), ("description", 12), ("license", 16)]
        where u32(field) >= max(poolLength, 1) {
            return "the \(name) string lies outside the string pool"
        }
        return nil
    }
}
