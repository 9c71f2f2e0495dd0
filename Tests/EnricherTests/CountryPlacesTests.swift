import Enricher
import Foundation
import Places
import Testing

@Suite struct CountryPlacesTests {
    let system: CountryPlaces
    init() throws { system = CountryPlaces(table: try ZoneTable(contentsOf: ZoneTable.systemPath)) }

    @Test func australiaIsSydneyNotTheFirstRow() throws {
        let fixture = CountryPlaces(table: try ZoneTable(contentsOf: try ZoneTableTests.fixture))
        for places in [fixture, system] {
            let place = try #require(places.place(countryCode: "AU", city: ""))
            #expect(place.zone == "Australia/Sydney")
            #expect(place.latitude == -33.8667 && place.longitude == 151.2167)
            #expect(!place.isCity)
        }
    }

    @Test(arguments: [
        ("US", "America/New_York"), ("CA", "America/Toronto"), ("RU", "Europe/Moscow"), ("BR", "America/Sao_Paulo"),
        ("MX", "America/Mexico_City"), ("CN", "Asia/Shanghai"), ("ID", "Asia/Jakarta"), ("KZ", "Asia/Almaty"),
        ("UA", "Europe/Kyiv"), ("NO", "Europe/Oslo"), ("SE", "Europe/Stockholm"), ("GB", "Europe/London"),
        ("JP", "Asia/Tokyo"), ("DE", "Europe/Berlin"),
    ])
    func mainZones(code: String, zone: String) throws {
        #expect(system.place(countryCode: code, city: "")?.zone == zone)
    }

    @Test func everyChosenMainZoneIsARowOfItsCountryAndNoMultiZoneCountryIsUnlisted() throws {
        let table = try ZoneTable(contentsOf: ZoneTable.systemPath)
        for (code, zone) in CountryPlaces.mainZones {
            let rows = table.rows.filter { $0.countryCode == code }
            #expect(rows.contains { $0.zone == zone }, "\(zone) is not a zone of \(code)")
            #expect(rows.count > 1, "\(code) has one zone; no choice needed")
        }
        #expect(CountryPlaces.unlistedMultiZoneCountries(in: table).isEmpty)
    }

    @Test(arguments: ["Los Angeles", "los angeles", "Los_Angeles", " Los  Angeles "])
    func cityExemplarGivesItsZoneAndCoordinates(city: String) throws {
        let place = try #require(system.place(countryCode: "US", city: city))
        #expect(place == Place(latitude: 34.0522, longitude: -118.2428, zone: "America/Los_Angeles", isCity: true))
    }

    @Test func accentsAndCaseDoNotMatterButTheCountryDoes() throws {
        #expect(system.place(countryCode: "br", city: "São Paulo")?.isCity == true)
        #expect(system.place(countryCode: "BR", city: "Fortaleza")?.zone == "America/Fortaleza")
        // Los Angeles is not a zone of Great Britain: the country's main zone.
        #expect(system.place(countryCode: "GB", city: "Los Angeles")?.zone == "Europe/London")
        #expect(system.place(countryCode: "US", city: "Springfield")?.zone == "America/New_York")
    }

    @Test(arguments: ["", "EU", "AP", "A1", "A2", "A3", "XD", "??", "ZZ", "GBR", "1"])
    func codesThatAreNotCountriesHaveNoPlace(code: String) {
        #expect(system.place(countryCode: code, city: "London") == nil)
    }
}
