import Foundation
import Testing

@testable import Geolocation

/// Shared, expensive-to-open databases and fixture paths.
enum Fixtures {
    static let libLocPath = "/var/lib/location/database.db"

    static var cityMMDBPath: String {
        get throws {
            let url = Bundle.module.url(forResource: "city-fixture", withExtension: "mmdb", subdirectory: "Fixtures")
            return try #require(url).path
        }
    }

    static func libLoc() throws -> LibLocGeolocator {
        try LibLocGeolocator(databasePath: libLocPath)
    }

    static func maxMind() throws -> MaxMindGeolocator {
        try MaxMindGeolocator(databasePath: cityMMDBPath)
    }

    /// A file with `contents` in a fresh temporary directory; removed by the caller.
    static func temporaryFile(named name: String, contents: Data) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("geolocation-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url)
        return url
    }

    static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url.deletingLastPathComponent())
    }
}

func locate(_ geolocator: some Geolocator, _ text: String) throws -> Location {
    geolocator.locate(try #require(IPAddress(text), "\(text) should parse"))
}
