import ButtonEvents
import Foundation
import Postgres
import Stats
import TestSupport
import Testing

/// A session pressing faster than a person can, through nginx (the test stack's load-test
/// profile: no per-address limit) to every store: marked in its events, never refused;
/// the mark in Kafka (python3-avro), PostgreSQL and ClickHouse; the stats leave it out
/// unless asked; readers built with the schema before the mark still read the events. In
/// DisruptiveTests: the stats deltas need a pipeline nobody else writes to.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct BotMarkPipelineTests {
    let database: SinkDatabase
    let clickHouse: TestSupport.ClickHouseClient
    let analytics: AnalyticsQueries
    var stack: PressStack { database.stack }

    init() throws {
        database = try SinkDatabase()
        clickHouse = try TestSupport.ClickHouseClient(env: database.stack.env)
        let url = try #require(URL(string: try database.stack.env.require("CLICKHOUSE_URL")))
        analytics = AnalyticsQueries(client: Stats.ClickHouseClient(url: url, timeout: .seconds(20)), final: true)
    }

    /// Presses by country (real data), without or with bots.
    func presses(bots: Bool) throws -> Int {
        try analytics.includingBots(bots).countries(includeFake: false).reduce(0) { $0 + $1.presses }
    }

    /// Waits until neither store has changed for three seconds, so the deltas are ours.
    func waitForQuiet() async throws {
        try await waitForQuietStores(database: database, clickHouse: clickHouse)
    }

    @Test func aFastSessionIsMarkedEverywhereAndLeftOutOfTheStats() async throws {
        try await waitForQuiet()
        let before = (people: try presses(bots: false), all: try presses(bots: true))
        let mark = try stack.mark()

        // A person: five presses, a third of a second apart.
        let person = PressClient(appURL: stack.app, forwardedFor: "81.2.69.170")
        #expect(try await person.post("/api/enter").status == 200)
        for _ in 0..<5 {
            #expect(try await person.post("/api/press").status == 200)
            try await Task.sleep(for: .milliseconds(300))
        }
        // A script: presses back to back with the newest cookie, until the worker marks it
        // (more than 20 within a second), then ten more.
        let bot = PressClient(appURL: stack.app, forwardedFor: "81.2.69.171")
        #expect(try await bot.post("/api/enter").status == 200)
        var botPresses = 0
        var extra = 0
        while botPresses < 400, extra < 10 {
            let answer = try await bot.post("/api/press")
            #expect(answer.status == 200, "marked, never refused")
            botPresses += 1
            if try stack.session(bot).isBot { extra += 1 }
        }
        #expect(extra == 10, "the session was marked within \(botPresses) presses back to back")

        let personID = try stack.session(person).id
        let botID = try stack.session(bot).id
        #expect(!(try stack.session(person).isBot))

        // Kafka, decoded by python3-avro with the writer's schema: the mark, in order.
        let events = try stack.events(since: mark, sessions: [botID], expected: botPresses + 1)
        try #require(events.count == botPresses + 1)
        let marks = events.map { $0["is_bot"] as? Bool }
        #expect(marks.allSatisfy { $0 != nil }, "is_bot is a boolean in every event")
        let firstMarked = try #require(marks.firstIndex(of: true))
        #expect(firstMarked >= 21, "the enter and the first 20 presses are a person's")
        #expect(marks[firstMarked...].allSatisfy { $0 == true }, "once marked, always marked")
        let marked = marks.filter { $0 == true }.count
        let personEvents = try stack.events(since: mark, sessions: [personID], expected: 6)
        #expect(personEvents.count == 6 && personEvents.allSatisfy { $0["is_bot"] as? Bool == false })

        // Readers built before the mark: python3-avro with the old schema as its reader,
        // and the original app's consumer (its pydantic model), read the new events.
        let values = try stack.messages(since: mark, sessions: [botID], expected: botPresses + 1).map(\.value)
        let old = try IndependentAvro.decode(
            values,
            registryURL: stack.registry,
            readerSchema: PressEventSchemaHistory.v2
        )
        try #require(old.count == events.count)
        #expect(old.allSatisfy { $0["is_bot"] == nil }, "the old reader does not see the new field")
        #expect(old.map { $0["timestamp"] as? Int } == events.map { $0["timestamp"] as? Int })
        #expect(old.map { $0["session_id"] as? String } == events.map { $0["session_id"] as? String })
        for reader in OriginalAppConsumer.Reader.allCases {
            let outcome = try OriginalAppConsumer.read(values, registryURL: stack.registry, reader: reader)
            #expect(outcome.status == 0, "\(reader): \(outcome.errors)")
            #expect(outcome.records.count == values.count)
        }

        // PostgreSQL: the same marks, in the same order.
        let rows = try await database.waitForRows(sessions: [botID], expected: botPresses + 1, timeout: .seconds(30))
        #expect(rows.count == botPresses + 1)
        let stored = try database.connection.query(
            "SELECT is_bot FROM button_presses WHERE session_id = $1::uuid ORDER BY \"timestamp\"",
            [.text(botID.uuidString.lowercased())]
        ).map { try $0.bool("is_bot") }
        #expect(stored.map { Optional($0) } == marks)

        // ClickHouse: as many marked rows, the rest not.
        let ids = TestSupport.ClickHouseClient.sessions([botID, personID])
        let inClickHouse = try await clickHouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE \(ids)",
            timeout: .seconds(60)
        ) { $0 >= botPresses + 7 }
        #expect(inClickHouse == botPresses + 7)
        #expect(
            try await clickHouse.number("SELECT count() FROM button_presses FINAL WHERE \(ids) AND is_bot = 1")
                == marked
        )

        // The stats: presses of people only, unless bots are asked for.
        let after = (people: try presses(bots: false), all: try presses(bots: true))
        // (The enter came first, so every marked event is a press.)
        #expect(after.people - before.people == 5 + botPresses - marked)
        #expect(after.all - before.all == 5 + botPresses)
    }
}
