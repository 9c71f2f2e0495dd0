import Foundation
import Testing

@testable import LibLoc

#if canImport(Glibc)
import Glibc
#endif

/// The press path looks addresses up by their 128 bits, not by text; both must agree.
@Suite struct LocationDatabaseLookupTests {
    /// `text` as 128 bits, the way the press path hands them over (IPv4 as `::ffff:a.b.c.d`).
    static func bits(_ text: String) throws -> (UInt64, UInt64) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return (0, 0xffff_0000_0000 | UInt64(UInt32(bigEndian: v4.s_addr)))
        }
        try #require(inet_pton(AF_INET6, text, &v6) == 1)
        return withUnsafeBytes(of: v6) { raw in
            (
                UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
    }

    @Test(arguments: [
        "130.149.0.1", "128.32.0.1", "81.2.69.160", "2001:638:100::1", "2a00:1450:4001::1", "10.0.0.1", "::1",
        "8.8.8.8", "203.0.113.7",
    ])
    func bitsAndTextFindTheSameNetwork(_ text: String) throws {
        let database = try LocationDatabase(path: "/var/lib/location/database.db")
        let (high, low) = try Self.bits(text)
        let byText = try database.lookup(text)
        let byBits = try database.lookup(high: high, low: low)
        #expect(byText?.countryCode == byBits?.countryCode)
        #expect(byText?.flags == byBits?.flags)
    }

    @Test func aKnownAddressIsFoundByItsBits() throws {
        // Positive control: the comparison above is not between two nils.
        let database = try LocationDatabase(path: "/var/lib/location/database.db")
        let (high, low) = try Self.bits("130.149.0.1")
        #expect(try database.lookup(high: high, low: low)?.countryCode == "DE")
    }
}
