import Testing

@testable import Geolocation

/// Against `Fixtures/city-fixture.mmdb`, built by `Fixtures/make-fixture.pl`.
@Suite("MaxMindGeolocator with the fixture database")
struct MaxMindGeolocatorTests {
    @Test(
        "city-level records",
        arguments: [
            (
                "81.2.69.1",
                Location(
                    countryName: "United Kingdom",
                    countryCode: "GB",
                    subdivisionName: "England",
                    subdivisionCode: "ENG",
                    cityName: "London"
                )
            ),
            (
                "::ffff:81.2.69.200",
                Location(
                    countryName: "United Kingdom",
                    countryCode: "GB",
                    subdivisionName: "England",
                    subdivisionCode: "ENG",
                    cityName: "London"
                )
            ),
            (
                "175.16.199.37",
                Location(
                    countryName: "China",
                    countryCode: "CN",
                    subdivisionName: "Jilin",
                    subdivisionCode: "JL",
                    cityName: "Changchun"
                )
            ),
            (
                "2a02:ec0::1",
                Location(
                    countryName: "Sweden",
                    countryCode: "SE",
                    subdivisionName: "Östergötland",
                    subdivisionCode: "E",
                    cityName: "Linköping"
                )
            ),
            (
                "2a02:ec7:ffff::1",
                Location(
                    countryName: "Sweden",
                    countryCode: "SE",
                    subdivisionName: "Östergötland",
                    subdivisionCode: "E",
                    cityName: "Linköping"
                )
            ),
            // No English country name in the record: the iso-codes name is used.
            (
                "89.160.20.113",
                Location(
                    countryName: "Vietnam",
                    countryCode: "VN",
                    subdivisionName: "Hanoi",
                    subdivisionCode: "HN",
                    cityName: "Hanoi"
                )
            ),
            // Country only.
            ("67.43.156.1", Location(countryName: "Bhutan", countryCode: "BT")),
        ]
    )
    func cities(address: String, expected: Location) throws {
        #expect(try locate(try Fixtures.maxMind(), address) == expected)
    }

    @Test(
        "misses, non-countries and non-public addresses are unknown",
        arguments: [
            "8.8.8.8", "81.2.70.1", "2a02:ec8::1", "89.160.20.128",  // not in the database
            "202.196.224.1",  // AP is not a country
            "127.0.0.1", "10.0.0.1", "::1", "fe80::1",
        ]
    )
    func unknown(address: String) throws {
        #expect(try locate(try Fixtures.maxMind(), address) == .unknown)
    }
}
