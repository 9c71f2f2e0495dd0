import Testing

@testable import Geolocation

@Suite("GeolocationConfiguration")
struct GeolocationConfigurationTests {
    @Test("environment keys and defaults")
    func environment() {
        #expect(GeolocationConfiguration(environment: [:]).source == .libLoc(path: "/var/lib/location/database.db"))
        #expect(
            GeolocationConfiguration(environment: ["GEOIP_MMDB": ""]).source
                == .libLoc(path: "/var/lib/location/database.db")
        )
        #expect(
            GeolocationConfiguration(environment: ["GEOIP_LIBLOC_DB": "/x/loc.db"]).source == .libLoc(path: "/x/loc.db")
        )
        #expect(
            GeolocationConfiguration(environment: ["GEOIP_MMDB": "/x/city.mmdb", "GEOIP_LIBLOC_DB": "/x/loc.db"]).source
                == .maxMind(path: "/x/city.mmdb")
        )
    }

    @Test("the factory opens the configured database")
    func factory() throws {
        let libloc = try GeolocationConfiguration(environment: [:]).makeGeolocator()
        #expect(libloc is LibLocGeolocator)
        #expect(try locate(libloc, "130.149.0.1").countryCode == "DE")

        let mmdb = try GeolocationConfiguration(environment: ["GEOIP_MMDB": try Fixtures.cityMMDBPath]).makeGeolocator()
        #expect(mmdb is MaxMindGeolocator)
        #expect(try locate(mmdb, "81.2.69.1").cityName == "London")
    }

    @Test("the factory reports a missing database by path")
    func factoryMissing() {
        let error = #expect(throws: GeolocationError.self) {
            try GeolocationConfiguration(environment: ["GEOIP_MMDB": "/nonexistent/city.mmdb"]).makeGeolocator()
        }
        #expect(error?.code == .databaseMissing)
        #expect(error?.path == "/nonexistent/city.mmdb")
    }

    @Test("Location encodes with its field names and has a fixed unknown")
    func location() throws {
        #expect(Location.unknown.countryName == "Unknown")
        #expect(Location.unknown.countryCode.isEmpty && Location.unknown.cityName.isEmpty)
        #expect(!Location.unknown.isKnown)
    }
}
