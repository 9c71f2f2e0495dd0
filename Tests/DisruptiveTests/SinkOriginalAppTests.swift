import Foundation
import TestSupport
import Testing

/// Events the original workshop app's way (python3-avro under its own schema text, no key)
/// become rows. In DisruptiveTests, after the other passes: registering the original
/// schema makes it the latest version of `button_presses-value`, which the interop tests of
/// the parallel pass expect to be the press path's own.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SinkOriginalAppTests {
    @Test func eventsOfTheOriginalAppsProducerBecomeRows() async throws {
        let database = try SinkDatabase()
        let stack = database.stack
        let sessions = (0..<3).map { _ in UUID() }
        let base: Int64 = 1_780_000_000_000_000
        var events: [OriginalAppProducer.Event] = []
        for (index, session) in sessions.enumerated() {
            let id = session.uuidString.lowercased()
            events.append(
                .init(
                    sessionID: id,
                    timestamp: base + Int64(index) * 1_000_001,
                    action: "EnterPage",
                    countryName: "Finland",
                    countryCode: "FI",
                    cohort: index == 0 ? nil : index
                )
            )
            events.append(
                .init(
                    sessionID: id,
                    timestamp: base + Int64(index) * 1_000_001 + 7,
                    action: "PressButton",
                    countryName: "Finland",
                    countryCode: "FI",
                    subdivisionName: "Uusimaa",
                    subdivisionCode: "FI-18",
                    cityName: "Helsinki",
                    cohort: index == 0 ? nil : index
                )
            )
        }
        let produced = try OriginalAppProducer.produce(
            events: events,
            bootstrap: try stack.env.require("KAFKA_BOOTSTRAP"),
            registryURL: try stack.env.require("SCHEMA_REGISTRY_URL")
        )
        #expect(produced.count == events.count)
        let rows = try await database.waitForRows(sessions: sessions, expected: events.count, timeout: .seconds(20))
        #expect(rows.count == events.count, "every event once")
        for event in events {
            let matching = rows.filter { $0.sessionID == event.sessionID && $0.timestamp == event.timestamp }
            #expect(matching.count == 1)
            guard let row = matching.first else { continue }
            #expect(row.action == event.action)
            #expect(row.cohort == event.cohort, "a null cohort stays null")
            #expect(row.countryCode == event.countryCode && row.countryName == event.countryName)
            #expect(row.cityName == event.cityName && row.subdivisionCode == event.subdivisionCode)
            #expect(row.eventTimeMicros == event.timestamp, "event_time keeps the exact µs")
        }
    }
}
