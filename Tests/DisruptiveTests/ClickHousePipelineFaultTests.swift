import ButtonEvents
import Foundation
import TestSupport
import Testing

/// The whole pipeline (`button_presses` → button-enrich → `button_presses_enriched` →
/// ClickHouse's Kafka engine → `button_presses` in ClickHouse) when the enricher is killed
/// mid-stream, and for events of the original app's producer. What ClickHouse holds is read
/// with `FINAL`, as the stats queries read it: duplicates of a source position collapse.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ClickHousePipelineFaultTests {
    let topic: EnrichedTopic
    let clickhouse: ClickHouseClient
    init() throws {
        topic = try EnrichedTopic()
        clickhouse = try ClickHouseClient(env: topic.stack.env)
    }
    var stack: PressStack { topic.stack }

    // Small: the local broker keeps about 5 MB per partition, and the enriched topic holds
    // what earlier tests wrote too.
    @Test func sigkillOfTheEnricherMidStreamStillEndsWithExactlyNRowsWithFinal() async throws {
        let perSession = 1000
        let (mark, backlog, done) = try await topic.interruptMidStream(SIGKILL, sessions: 6, perSession: perSession)
        let total = backlog.positions.count
        try #require(total == 6 * perSession)
        #expect(done > 0 && done < total, "killed mid-stream (\(done) of \(total) written)")
        try StackControl.run(["restart", "enricher"], env: stack.env)

        // The restarted enricher reads again from the last commit: the local broker's group
        // first waits for the killed member's session to expire. Every position must be on
        // the enriched topic before ClickHouse can hold it.
        let deadline = ContinuousClock.now + .seconds(150)
        var messages: [EnrichedTopic.Message] = []
        while true {
            messages = try topic.messages(since: mark, sessions: backlog.ids, expected: 0, timeout: .zero)
            if Set(messages.compactMap(\.source)).count >= total || ContinuousClock.now > deadline { break }
            try await Task.sleep(for: .seconds(1))
        }
        try #require(Set(messages.compactMap(\.source)) == backlog.positions, "every position enriched")

        // FINAL: each source position once, whatever was inserted twice.
        let condition = ClickHouseClient.sessions(backlog.ids)
        let arrived = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE \(condition)",
            timeout: .seconds(60)
        ) { $0 >= total }
        try #require(arrived >= total, "\(arrived) of \(total) rows in ClickHouse")
        // Let the last duplicates (written after the last first copy) arrive too.
        try await Task.sleep(for: .seconds(5))
        let rows = try await clickhouse.presses(where: condition)
        #expect(rows.count == total, "exactly N rows with FINAL")
        let positions = rows.map {
            EnrichedTopic.Position(partition: Int32($0.sourcePartition), offset: $0.sourceOffset)
        }
        #expect(Set(positions).count == rows.count && Set(positions) == backlog.positions)
        // The rows are the backlog's events (SinkDatabase.event: Germany, cohorts 0, 1, 2).
        let timestamps = Set((0..<perSession).map { SinkDatabase.event(session: UUID(), index: $0).timestamp })
        for id in backlog.ids {
            let own = rows.filter { $0.sessionID == id.uuidString.lowercased() }
            #expect(own.count == perSession && Set(own.map(\.timestamp)) == timestamps)
        }
        #expect(rows.allSatisfy { $0.timeZone == "Europe/Berlin" && $0.isFake == 0 && $0.cohort != nil })

        // Without FINAL, the duplicates are there until a merge collapses them: never fewer
        // than N. Duplicates are not required (the kill may have come right after a commit),
        // only reported.
        let unmerged = try await clickhouse.number("SELECT count() FROM button_presses WHERE \(condition)")
        #expect(unmerged >= total)
        let enrichedTwice = messages.count - total
        print(
            "enricher SIGKILL after \(done) of \(total): \(enrichedTwice) duplicates on the enriched topic, "
                + "\(unmerged - total) rows more without FINAL than with it"
        )
    }

    @Test func eventsOfTheOriginalAppsProducerReachClickHouseAsFakeData() async throws {
        let sessions = (0..<4).map { _ in UUID() }
        let base: Int64 = 1_751_371_200_000_007  // Tuesday 2025-07-01 12:00:00.000007 UTC
        // zone.tab's zones and coordinates (the city's where the city is a zone's exemplar).
        let cases: [(code: String, name: String, city: String, cohort: Int?, place: Place?)] = [
            (
                "FI", "Finland", "Helsinki", nil,
                Place(zone: "Europe/Helsinki", hour: 15, latitude: 60.1667, longitude: 24.9667)
            ),
            (
                "US", "United States", "Chicago", nil,
                Place(zone: "America/Chicago", hour: 7, latitude: 41.85, longitude: -87.65)
            ),
            ("??", "", "", nil, nil),
            // A cohort: not fake, so is_fake follows the cohort and is not a constant.
            ("JP", "Japan", "", 5, Place(zone: "Asia/Tokyo", hour: 21, latitude: 35.6544, longitude: 139.7447)),
        ]
        let events = zip(sessions, cases).enumerated().map { index, item in
            OriginalAppProducer.Event(
                sessionID: item.0.uuidString.lowercased(),
                timestamp: base + Int64(index),
                action: index == 0 ? "EnterPage" : "PressButton",
                countryName: item.1.name,
                countryCode: item.1.code,
                cityName: item.1.city,
                cohort: item.1.cohort
            )
        }
        let produced = try OriginalAppProducer.produce(
            events: events,
            bootstrap: stack.bootstrap,
            registryURL: stack.registry
        )
        #expect(produced.count == events.count)

        let condition = ClickHouseClient.sessions(sessions)
        let arrived = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE \(condition)",
            timeout: .seconds(60)
        ) { $0 >= events.count }
        #expect(arrived == events.count)
        // FINAL: a rebalance may have enriched an event twice; the stats see it once.
        let rows = try await clickhouse.presses(where: condition)
        #expect(rows.count == events.count)
        for (event, item) in zip(events, cases) {
            let row = try #require(rows.first { $0.sessionID == event.sessionID }, "\(item.code)")
            #expect(row.timestamp == event.timestamp, "the µs, exactly")
            #expect(row.action == event.action)
            #expect(row.countryName == event.countryName && row.countryCode == event.countryCode)
            #expect(row.cityName == event.cityName)
            #expect(row.subdivisionName == "" && row.subdivisionCode == "")
            #expect(row.cohort == item.cohort, "a null cohort stays null")
            #expect(row.isFake == (item.cohort == nil ? 1 : 0))
            #expect(row.sourceTopic == "button_presses")
            #expect(row.timeZone == item.place?.zone ?? "", "\(item.code)")
            #expect(row.localHour == item.place?.hour, "\(item.code)")
            #expect(row.localWeekday == item.place.map { _ in 2 }, "a Tuesday wherever the place is known")
            #expect(row.latitude == item.place?.latitude && row.longitude == item.place?.longitude, "\(item.code)")
        }
    }

    struct Place {
        let zone: String
        let hour: Int
        let latitude: Double
        let longitude: Double
    }
}
