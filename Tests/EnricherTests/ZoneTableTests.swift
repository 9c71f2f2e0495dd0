import Enricher
import Foundation
import Places
import Testing

@Suite struct ZoneTableTests {
    static var fixture: String {
        get throws {
            let url = try #require(Bundle.module.url(forResource: "Fixtures/zone.tab", withExtension: "fixture"))
            return url.path
        }
    }

    @Test func fixtureParsesWithBothCoordinateForms() throws {
        let table = try ZoneTable(contentsOf: try Self.fixture)
        #expect(table.rows.count == 9, "comment and blank lines are skipped")
        let lordHowe = try #require(table.rows.first)
        #expect(
            lordHowe
                == .init(
                    countryCode: "AU",
                    latitude: -31.55,
                    longitude: 159.0833,
                    zone: "Australia/Lord_Howe",
                    comment: "Lord Howe Island"
                )
        )
        // +513030-0000731: 51°30'30" N, 0°07'31" W.
        let london = try #require(table.rows.first { $0.zone == "Europe/London" })
        #expect(london.latitude == 51.5083 && london.longitude == -0.1253 && london.comment == "")
        let angeles = try #require(table.rows.first { $0.zone == "America/Los_Angeles" })
        #expect(angeles.exemplarCity == "Los Angeles")
        #expect(angeles.latitude == 34.0522 && angeles.longitude == -118.2428)
    }

    @Test(arguments: [
        ("XX\t+5130-00007", 1, "columns"),
        ("gb\t+5130-00007\tEurope/London", 1, "country code"),
        ("GB\t5130-00007\tEurope/London", 1, "DDMM"),
        ("GB\t+5190-00007\tEurope/London", 1, "DDMM"),
        ("# fine\nGB\t+5130-0000\tEurope/London", 2, "DDMM"),
    ])
    func badLinesAreNamed(text: String, line: Int, words: String) {
        #expect {
            _ = try ZoneTable(parsing: text)
        } throws: { error in
            guard let error = error as? ZoneTable.ParseError else { return false }
            return error.line == line && error.message.contains(words)
        }
    }

    @Test func systemTableParsesAndEveryZoneOpensInFoundation() throws {
        let table = try ZoneTable(contentsOf: ZoneTable.systemPath)
        #expect(table.rows.count > 400)
        let unknown = table.rows.filter { TimeZone(identifier: $0.zone) == nil }.map(\.zone)
        #expect(unknown.isEmpty, "zones Foundation does not know: \(unknown)")
    }
}
