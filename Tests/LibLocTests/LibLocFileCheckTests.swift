import Foundation
import Testing

@testable import LibLoc

/// The header check that keeps libloc from mapping past the end of a truncated file.
@Suite struct LibLocFileCheckTests {
    /// A v1 header with every section empty and every string at offset 0: plausible.
    static func header() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: LibLocFileCheck.prefixSize)
        bytes.replaceSubrange(0..<7, with: Array("LOCDBXX".utf8))
        bytes[7] = 1
        return bytes
    }

    /// Writes a big-endian u32 at a header field offset (counted after the magic).
    static func set(_ bytes: inout [UInt8], field: Int, _ value: UInt32) {
        let start = LibLocFileCheck.magicSize + field
        for index in 0..<4 { bytes[start + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
    }

    @Test func anEmptyButWellFormedHeaderPasses() {
        #expect(LibLocFileCheck.problem(prefix: Self.header(), fileSize: UInt64(LibLocFileCheck.prefixSize)) == nil)
    }

    @Test(arguments: [("AS", 20), ("network", 28), ("network tree", 36), ("country", 44), ("string pool", 52)])
    func aSectionPastTheEndIsTruncation(name: String, field: Int) {
        var bytes = Self.header()
        Self.set(&bytes, field: field, 5000)
        Self.set(&bytes, field: field + 4, 100)
        #expect(LibLocFileCheck.problem(prefix: bytes, fileSize: 5100) == nil, "ends exactly at the end")
        #expect(
            LibLocFileCheck.problem(prefix: bytes, fileSize: 5099)
                == "truncated: the \(name) section ends at byte 5100 of 5099"
        )
    }

    @Test(arguments: [("vendor", 8), ("description", 12), ("license", 16)])
    func stringsMustLieInThePool(name: String, field: Int) {
        var bytes = Self.header()
        Self.set(&bytes, field: 52, 3000)
        Self.set(&bytes, field: 56, 10)
        Self.set(&bytes, field: field, 9)
        #expect(LibLocFileCheck.problem(prefix: bytes, fileSize: 4000) == nil, "the last byte of the pool")
        Self.set(&bytes, field: field, 10)
        #expect(
            LibLocFileCheck.problem(prefix: bytes, fileSize: 4000) == "the \(name) string lies outside the string pool"
        )
    }

    @Test func wrongMagicVersionOrShortHeaderAreNamed() {
        var bytes = Self.header()
        #expect(LibLocFileCheck.problem(prefix: Array(bytes.prefix(100)), fileSize: 100) == "truncated header")
        #expect(LibLocFileCheck.problem(prefix: Array(bytes.prefix(5)), fileSize: 5)?.hasPrefix("not a libloc") == true)
        bytes[7] = 2
        #expect(LibLocFileCheck.problem(prefix: bytes, fileSize: 1 << 20) == "unsupported libloc database version 2")
        bytes[0] = UInt8(ascii: "X")
        #expect(LibLocFileCheck.problem(prefix: bytes, fileSize: 1 << 20) == "not a libloc database (no LOCDBXX magic)")
    }

    /// Debian's database (libloc-database) passes as it is, and fails once its size is cut.
    @Test func theInstalledDatabasePassesAndFailsWhenCut() throws {
        let path = "/var/lib/location/database.db"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let prefix = Array(data.prefix(LibLocFileCheck.prefixSize))
        #expect(LibLocFileCheck.problem(prefix: prefix, fileSize: UInt64(data.count)) == nil)
        let cut = LibLocFileCheck.problem(prefix: prefix, fileSize: UInt64(data.count / 2))
        #expect(cut?.hasPrefix("truncated: the ") == true, "\(cut ?? "nil")")
    }
}
