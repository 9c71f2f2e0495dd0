import ButtonEvents
import Foundation
import Generator
import Geolocation
import Testing

/// The generator's fast encoder against the workers' `PressEvent.encoded(schemaID:)`.
@Suite struct EventFramerTests {
    static let places = [
        Location(
            countryName: "United Kingdom",
            countryCode: "GB",
            subdivisionName: "England",
            subdivisionCode: "ENG",
            cityName: "London"
        ),
        Location(countryName: "Côte d'Ivoire", countryCode: "CI", cityName: "Abidjan"),
        Location(
            countryName: "Japan",
            countryCode: "JP",
            subdivisionName: "東京都",
            subdivisionCode: "13",
            cityName: "東京"
        ),
        Location(countryName: "Germany", countryCode: "DE"),
    ]

    @Test(arguments: [Int32(1), 7, 300, Int32.max])
    func eachEventIsTheWorkersBytesForThatEvent(schemaID: Int32) throws {
        var random = GeneratorRandom(seed: 42)
        var framer = EventFramer(schemaID: schemaID)
        for place in Self.places {
            let session = GeneratedSession(
                id: random.uuid().text,
                location: place,
                timestamps: GeneratedSession.timestamps(start: 1_764_250_000_123_456, presses: 3, random: &random)
            )
            framer.begin(session)
            #expect(framer.key == Array(session.id.utf8))
            for index in 0..<session.count {
                framer.write(timestamp: session.timestamps[index], action: session.action(at: index))
                let event = try #require(session.event(at: index))
                #expect(event.cohort == nil)
                #expect(framer.buffer == event.encoded(schemaID: schemaID), "\(place.countryCode) event \(index)")
            }
        }
    }

    @Test func negativeAndHugeTimestampsEncodeAsTheWorkersDo() throws {
        var framer = EventFramer(schemaID: 3)
        let session = GeneratedSession(
            id: "0b6f1c2e-8d7a-4c3b-9e1f-2a3b4c5d6e7f",
            location: Self.places[0],
            timestamps: [-1, 0, Int64.max, Int64.min]
        )
        framer.begin(session)
        for index in 0..<session.count {
            framer.write(timestamp: session.timestamps[index], action: session.action(at: index))
            #expect(framer.buffer == (try #require(session.event(at: index))).encoded(schemaID: 3))
        }
    }
}
