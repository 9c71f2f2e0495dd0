import Foundation
import Testing

@testable import Geolocation

@Suite("Missing and corrupt databases")
struct DatabaseErrorTests {
    static let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) })

    @Test("a missing libloc database names the path")
    func missingLibLoc() {
        let path = "/nonexistent/geolocation/database.db"
        let error = #expect(throws: GeolocationError.self) { try LibLocGeolocator(databasePath: path) }
        #expect(error?.code == .databaseMissing)
        #expect(error?.path == path)
        #expect(error?.description.contains(path) == true)
    }

    @Test("a missing mmdb names the path")
    func missingMMDB() {
        let path = "/nonexistent/geolocation/city.mmdb"
        let error = #expect(throws: GeolocationError.self) { try MaxMindGeolocator(databasePath: path) }
        #expect(error?.code == .databaseMissing)
        #expect(error?.path == path)
        #expect(error?.description.contains(path) == true)
    }

    @Test("garbage, empty and truncated files are invalid, for both formats")
    func corrupt() throws {
        let real = try Data(contentsOf: URL(fileURLWithPath: Fixtures.libLocPath))
        let fixture = try Data(contentsOf: URL(fileURLWithPath: try Fixtures.cityMMDBPath))
        let cases: [(String, Data)] = [
            ("garbage", Self.garbage),
            ("empty", Data()),
            ("truncated-libloc-header", real.prefix(4096)),
            ("truncated-libloc-sections", real.prefix(1_000_000)),
            ("libloc-cut-by-one-byte", real.prefix(real.count - 1)),
            ("truncated-mmdb", fixture.prefix(fixture.count / 2)),
            ("mmdb-without-metadata-tail", fixture.prefix(fixture.count - 40)),
        ]
        for (name, contents) in cases {
            let url = try Fixtures.temporaryFile(named: name, contents: contents)
            defer { Fixtures.remove(url) }
            let libloc = #expect(throws: GeolocationError.self, "\(name)") {
                try LibLocGeolocator(databasePath: url.path)
            }
            #expect(libloc?.code == .databaseInvalid, "\(name)")
            #expect(libloc?.path == url.path)
            #expect(libloc?.description.contains(url.path) == true)
            let mmdb = #expect(throws: GeolocationError.self, "\(name)") {
                try MaxMindGeolocator(databasePath: url.path)
            }
            #expect(mmdb?.code == .databaseInvalid, "\(name)")
            #expect(mmdb?.path == url.path)
            #expect(mmdb?.description.contains(url.path) == true)
        }
    }

    @Test("a database in the other format is invalid")
    func wrongFormat() throws {
        #expect(throws: GeolocationError.self) { try LibLocGeolocator(databasePath: try Fixtures.cityMMDBPath) }
        #expect(throws: GeolocationError.self) { try MaxMindGeolocator(databasePath: Fixtures.libLocPath) }
    }

    @Test("a directory is not a database")
    func directory() {
        let libloc = #expect(throws: GeolocationError.self) { try LibLocGeolocator(databasePath: "/tmp") }
        #expect(libloc?.path == "/tmp")
        let mmdb = #expect(throws: GeolocationError.self) { try MaxMindGeolocator(databasePath: "/tmp") }
        #expect(mmdb?.path == "/tmp")
    }

    @Test("country names: missing and invalid files")
    func countryNames() throws {
        let missing = #expect(throws: GeolocationError.self) { try CountryNames(path: "/nonexistent/iso_3166-1.json") }
        #expect(missing?.code == .databaseMissing)
        #expect(missing?.path == "/nonexistent/iso_3166-1.json")
        for contents in [Self.garbage, Data("{}".utf8), Data(#"{"3166-1": []}"#.utf8)] {
            let url = try Fixtures.temporaryFile(named: "iso_3166-1.json", contents: contents)
            defer { Fixtures.remove(url) }
            let invalid = #expect(throws: GeolocationError.self) { try CountryNames(path: url.path) }
            #expect(invalid?.code == .databaseInvalid)
            #expect(invalid?.path == url.path)
        }
    }
}
