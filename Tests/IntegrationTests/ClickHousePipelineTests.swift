import ButtonEvents
import Foundation
import TestSupport
import Testing

/// The whole pipeline, end to end: presses through nginx → button-fcgi → `button_presses` →
/// the stack's button-enrich → `button_presses_enriched` → ClickHouse's Kafka-engine table
/// and view → `button_presses` in ClickHouse. Each test asserts what ClickHouse finally holds,
/// read with `FINAL` (as the stats queries read it: each source position once). The expected
/// values come from elsewhere: the events python3-avro decodes from Kafka, zone.tab's places,
/// Python's `zoneinfo` and ClickHouse's own time functions.
@Suite struct ClickHousePipelineTests {
    let topic: EnrichedTopic
    let clickhouse: ClickHouseClient
    init() throws {
        topic = try EnrichedTopic()
        clickhouse = try ClickHouseClient(env: topic.stack.env)
    }
    var stack: PressStack { topic.stack }

    /// How long a row may take: ClickHouse shows rows 2–3 s after they are produced, but a
    /// parallel test (ClickHouseTests) re-creates the Kafka table, which pauses consuming for
    /// up to about 15 s, and the machine is small and shared.
    static let arrival: Duration = .seconds(60)

    @Test func pressesThroughNginxAreExactlyTheseRowsInClickHouseWithTheirPlaceAndLocalTime() async throws {
        let sourceMark = try stack.mark()
        // Two fresh sessions per known country.
        let countries = try await stack.pressFromKnownCountries(rounds: 2)
        let sessions = Array(countries.keys)
        let total = 3 * sessions.count
        let sources = try stack.messages(since: sourceMark, sessions: sessions, expected: total)
        let events = try stack.events(since: sourceMark, sessions: sessions, expected: total)
        try #require(sources.count == total && events.count == total)

        // FINAL throughout: the count and the rows are what the stats queries see.
        let condition = ClickHouseClient.sessions(sessions)
        let countSQL = "SELECT count() FROM button_presses FINAL WHERE \(condition)"
        let arrived = try await clickhouse.wait(for: countSQL, timeout: Self.arrival) { $0 >= total }
        try #require(arrived >= total, "\(arrived) of \(total) presses reached ClickHouse")
        // Nothing more comes later: exactly one row per press.
        try await Task.sleep(for: .seconds(3))
        let rows = try await clickhouse.presses(where: condition)
        #expect(rows.count == total)

        var eventsByPosition: [EnrichedTopic.Position: [String: Any]] = [:]
        for (source, event) in zip(sources, events) {
            eventsByPosition[.init(partition: source.partition, offset: source.offset)] = event
        }
        let positions = rows.map {
            EnrichedTopic.Position(partition: Int32($0.sourcePartition), offset: $0.sourceOffset)
        }
        #expect(Set(positions) == Set(eventsByPosition.keys), "each source position once")
        #expect(rows.allSatisfy { $0.sourceTopic == "button_presses" })

        // The local time of each row's instant in its country's zone, by Python's zoneinfo.
        let locals = try EnrichedTopic.pythonLocalTimes(
            rows.map { row in (row.timestamp, EnrichedTopicTests.places[row.countryCode]?.zone ?? "UTC") }
        )
        for ((row, position), local) in zip(zip(rows, positions), locals) {
            let event = try #require(eventsByPosition[position], "a row from a position none of the presses has")
            let session = try #require((event["session_id"] as? String).flatMap(UUID.init(uuidString:)))
            let code = try #require(countries[session])
            let place = try #require(EnrichedTopicTests.places[code])
            #expect(row.sessionID == session.uuidString.lowercased())
            #expect(row.timestamp == Int64(event["timestamp"] as? Int ?? -1), "the event's µs, exactly")
            #expect(row.action == event["action"] as? String)
            #expect(row.countryName == event["country_name"] as? String)
            #expect(row.subdivisionName == event["subdivision_name"] as? String)
            #expect(row.subdivisionCode == event["subdivision_code"] as? String)
            #expect(row.cityName == event["city_name"] as? String)
            #expect(row.countryCode == code)
            #expect(row.cohort != nil && row.cohort == event["cohort"] as? Int, "a real visitor's cohort")
            #expect(row.isFake == 0)
            #expect(row.timeZone == place.zone)
            #expect(row.latitude == place.latitude && row.longitude == place.longitude, "\(code)")
            #expect(row.localHour == local.hour && row.localWeekday == local.weekday, "\(code) at \(row.timestamp)")
        }
    }

    @Test func summerAndWinterAtTheSameUTCHourAreAnHourApartInClickHouse() async throws {
        let schemaID = try await stack.schemaID()
        let session = UUID()
        // Noon UTC on Tuesday 1 July and Wednesday 15 January 2025, with odd µs.
        let summer: Int64 = 1_751_371_200_654_321
        let winter: Int64 = 1_736_942_400_654_321
        // Tokyo keeps no daylight saving: the control whose hour does not move.
        let cases: [(code: String, name: String, timestamp: Int64, zone: String, hour: Int, weekday: Int)] = [
            ("GB", "United Kingdom", summer, "Europe/London", 13, 2),
            ("GB", "United Kingdom", winter, "Europe/London", 12, 3),
            ("US", "United States", summer, "America/New_York", 8, 2),
            ("US", "United States", winter, "America/New_York", 7, 3),
            ("JP", "Japan", summer, "Asia/Tokyo", 21, 2),
            ("JP", "Japan", winter, "Asia/Tokyo", 21, 3),
        ]
        // Straight to button_presses under our schema, with these timestamps; one key, so
        // one partition, in this order.
        let values = cases.enumerated().map { index, item in
            PressEvent(
                sessionID: session,
                timestamp: item.timestamp + Int64(index),
                action: .pressButton,
                countryName: item.name,
                countryCode: item.code,
                subdivisionName: "",
                subdivisionCode: "",
                cityName: "",
                cohort: 1
            ).encoded(schemaID: schemaID)
        }
        let positions = try stack.produce(values, key: Array(session.uuidString.lowercased().utf8))

        let condition = ClickHouseClient.sessions([session])
        let arrived = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE \(condition)",
            timeout: Self.arrival
        ) { $0 >= cases.count }
        #expect(arrived == cases.count)
        // FINAL, ordered by source position: the order produced.
        let rows = try await clickhouse.presses(where: condition)
        try #require(rows.count == cases.count)
        for (index, (item, row)) in zip(cases, rows).enumerated() {
            #expect(row.sourcePartition == Int(positions[index].partition))
            #expect(row.sourceOffset == positions[index].offset)
            #expect(row.timestamp == item.timestamp + Int64(index))
            #expect(row.timeZone == item.zone, "\(item)")
            #expect(row.localHour == item.hour && row.localWeekday == item.weekday, "\(item)")
        }
        func hour(_ code: String, _ instant: Int64) -> Int? {
            zip(cases, rows).first { $0.0.code == code && $0.0.timestamp == instant }?.1.localHour
        }
        #expect(hour("GB", summer).map { $0 - 1 } == hour("GB", winter), "British Summer Time")
        #expect(hour("US", summer).map { $0 - 1 } == hour("US", winter), "Eastern Daylight Time")
        #expect(hour("JP", summer) == hour("JP", winter), "no daylight saving in Tokyo")

        // ClickHouse's own clock agrees, each zone a constant of the query.
        for zone in Set(cases.map(\.zone)) {
            let answer = try await clickhouse.query(
                """
                SELECT count(), sum(local_hour = toHour(event_time, '\(zone)')
                                    AND local_weekday = toDayOfWeek(event_time, '\(zone)'))
                FROM button_presses FINAL WHERE \(condition) AND time_zone = '\(zone)'
                """
            )
            #expect(answer == "2\t2\n", "rows in \(zone), and of those, local time as ClickHouse computes it")
        }
    }
}
