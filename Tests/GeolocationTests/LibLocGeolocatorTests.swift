import Testing

@testable import Geolocation

/// Against Debian's libloc-database (data of 2022-10-29). The addresses belong to long-standing
/// allocations of universities and research networks in one country each.
@Suite("LibLocGeolocator with Debian's database")
struct LibLocGeolocatorTests {
    @Test(
        "well-known public addresses land in their country",
        arguments: [
            ("130.149.0.1", "DE", "Germany"),  // TU Berlin
            ("128.232.0.1", "GB", "United Kingdom"),  // University of Cambridge
            ("133.11.0.1", "JP", "Japan"),  // University of Tokyo
            ("128.32.0.1", "US", "United States"),  // UC Berkeley
            ("129.132.0.1", "CH", "Switzerland"),  // ETH Zürich
            ("130.237.0.1", "SE", "Sweden"),  // KTH Stockholm
            ("143.107.0.1", "BR", "Brazil"),  // Universidade de São Paulo
            ("193.0.6.139", "NL", "Netherlands"),  // RIPE NCC
            ("2001:638::1", "DE", "Germany"),  // DFN
            ("2001:630::1", "GB", "United Kingdom"),  // Jisc/JANET
            ("2001:200::1", "JP", "Japan"),  // WIDE project
            ("2001:468::1", "US", "United States"),  // Internet2
            ("::ffff:130.149.0.1", "DE", "Germany"),  // mapped form, as a dual-stack socket reports it
        ]
    )
    func knownAddresses(address: String, code: String, name: String) throws {
        let location = try locate(try Fixtures.libLoc(), address)
        #expect(location == Location(countryName: name, countryCode: code))
    }

    @Test(
        "non-public and unlisted addresses are unknown, without crashing",
        arguments: [
            "10.0.0.1", "127.0.0.1", "192.168.1.1", "100.64.0.1", "169.254.0.1", "0.0.0.0", "255.255.255.255",
            "224.0.0.1", "240.0.0.1", "192.0.2.1", "::", "::1", "fe80::1", "fd00::1", "ff02::1", "2001:db8::1",
        ]
    )
    func nonPublic(address: String) throws {
        #expect(try locate(try Fixtures.libLoc(), address) == .unknown)
    }

    @Test(
        "anycast networks are unknown: their country is not the client's",
        arguments: ["1.1.1.1", "8.8.8.8", "9.9.9.9"]
    )
    func anycast(address: String) throws {
        #expect(try locate(try Fixtures.libLoc(), address) == .unknown)
    }

    @Test("common names are preferred to formal ISO names")
    func commonNames() throws {
        let names = try CountryNames.standard()
        #expect(names.name(forCode: "TW") == "Taiwan")
        #expect(names.name(forCode: "KR") == "South Korea")
        #expect(names.name(forCode: "DE") == "Germany")
        #expect(names.count > 240)
    }

    @Test(
        "codes that are not countries have no name",
        arguments: ["EU", "AP", "A1", "A2", "A3", "XD", "??", "", "de", "XK"]
    )
    func notCountries(code: String) throws {
        #expect(try CountryNames.standard().name(forCode: code) == nil)
    }
}
