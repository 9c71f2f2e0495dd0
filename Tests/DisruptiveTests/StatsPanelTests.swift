import ButtonEvents
import Foundation
import Postgres
import Session
import Stats
import TestSupport
import Testing

/// The stats panels' numbers against data with known answers, sent through the real
/// pipeline (Kafka → sink → PostgreSQL, Kafka → enricher → ClickHouse); and the page while a
/// store is stopped or hangs.
///
/// Here, not in IntegrationTests: the aggregates cover every event, so the test compares
/// before and after its own events with nothing else writing (this pass runs alone).
/// Three cohorts drawn at random for each run (PostgreSQL keeps cohorts as smallint) are the
/// test's own, so their panel rows are exact, not deltas, also on a stack reused across runs.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct StatsPanelTests {
    let database: SinkDatabase
    let clickHouse: TestSupport.ClickHouseClient
    let analytics: AnalyticsQueries
    let points: PointQueries
    var stack: PressStack { database.stack }

    init() throws {
        database = try SinkDatabase()
        clickHouse = try TestSupport.ClickHouseClient(env: database.stack.env)
        let url = try #require(URL(string: try database.stack.env.require("CLICKHOUSE_URL")))
        // FINAL: exact, whatever duplicates earlier tests left for a merge to collapse.
        analytics = AnalyticsQueries(client: Stats.ClickHouseClient(url: url, timeout: .seconds(20)), final: true)
        points = PointQueries(
            pool: PostgresPool(
                dsn: try database.stack.env.require("PG_DSN"),
                timeout: .seconds(20),
                logger: .init(label: "test")
            )
        )
    }

    /// 2001-03-04 03:00:00 UTC: 12:00 in Tokyo, 00:00 in Buenos Aires (neither keeps summer time).
    static let base: Int64 = 983_674_800_000_000
    static let second: Int64 = 1_000_000

    struct Known {
        var events: [PressEvent] = []
        var sessions: [String: UUID] = [:]

        mutating func session(
            _ name: String,
            country: (code: String, name: String),
            subdivision: String = "",
            city: String = "",
            cohort: Int32?,
            at start: Int64,
            presses offsets: [Int64]
        ) {
            let id = UUID()
            sessions[name] = id
            func event(_ action: PressAction, _ time: Int64) -> PressEvent {
                PressEvent(
                    sessionID: id,
                    timestamp: time,
                    action: action,
                    countryName: country.name,
                    countryCode: country.code,
                    subdivisionName: subdivision,
                    subdivisionCode: subdivision.isEmpty ? "" : String(subdivision.prefix(2)).uppercased(),
                    cityName: city,
                    cohort: cohort
                )
            }
            events.append(event(.enterPage, start))
            for offset in offsets { events.append(event(.pressButton, start + offset * StatsPanelTests.second)) }
        }
    }

    static let japan = (code: "JP", name: "Japan")
    static let argentina = (code: "AR", name: "Argentina")

    /// The known sessions; `now` places S6 in the last hour; cohorts `c`, `c + 1`, `c + 2`.
    static func known(now: Int64, cohort c: Int32) -> Known {
        var known = Known()
        known.session(
            "S1",
            country: japan,
            subdivision: "Tokyo",
            city: "Tokyo",
            cohort: c,
            at: base,
            presses: [1, 11, 71]
        )
        known.session("S2", country: japan, cohort: c, at: base, presses: [1, 101, 201, 301, 401])
        known.session(
            "S3",
            country: argentina,
            subdivision: "Buenos Aires",
            cohort: c + 1,
            at: base + 1000 * second,
            presses: [1]
        )
        known.session(
            "S4",
            country: argentina,
            subdivision: "Buenos Aires",
            cohort: c + 1,
            at: base + 1000 * second,
            presses: [1, 6]
        )
        known.session("S5", country: (code: "", name: ""), cohort: c + 1, at: base + 2000 * second, presses: [1])
        known.session("S6", country: japan, city: "Osaka", cohort: c + 2, at: now - 600 * second, presses: [0, 30])
        // Fake data: left out unless asked for.
        known.session("S7", country: argentina, cohort: nil, at: base + 3000 * second, presses: [1, 2, 3, 4])
        return known
    }

    struct Snapshot {
        var countries: [String: Int]
        var countriesWithFake: [String: Int]
        var hours: [Int]
        var sessions: SessionDistribution
        var lookup: LookupPrecision
        var byCountry: [String: CountrySessions]
        var boredom: Boredom
    }

    func snapshot() throws -> Snapshot {
        Snapshot(
            countries: Dictionary(
                uniqueKeysWithValues: try analytics.countries(includeFake: false).map { ($0.code, $0.presses) }
            ),
            countriesWithFake: Dictionary(
                uniqueKeysWithValues: try analytics.countries(includeFake: true).map { ($0.code, $0.presses) }
            ),
            hours: try analytics.localHours(includeFake: false),
            sessions: try analytics.sessions(includeFake: false),
            lookup: try analytics.lookupPrecision(includeFake: false),
            byCountry: Dictionary(
                uniqueKeysWithValues: try analytics.byCountry(includeFake: false, limit: 10_000).map { ($0.code, $0) }
            ),
            boredom: try analytics.boredom(includeFake: false)
        )
    }

    /// Waits until neither store has changed for three seconds, so the deltas are ours.
    func waitForQuiet() async throws {
        try await waitForQuietStores(database: database, clickHouse: clickHouse)
    }

    @Test func panelsAnswerKnownQuestionsExactly() async throws {
        try await waitForQuiet()
        let before = try snapshot()
        let now = Int64(Date().timeIntervalSince1970) * 1_000_000
        let c = Int32.random(in: 1000...10_000) * 3
        let known = Self.known(now: now, cohort: c)
        let schemaID = try await database.schemaID()
        for id in Set(known.events.map(\.sessionID)) {
            let values = known.events.filter { $0.sessionID == id }.map { $0.encoded(schemaID: schemaID) }
            _ = try database.produce(values, key: Array(id.uuidString.lowercased().utf8))
        }
        let ids = Array(known.sessions.values)
        let stored = try await database.waitForRows(sessions: ids, expected: known.events.count, timeout: .seconds(60))
        #expect(stored.count == known.events.count, "PostgreSQL has \(stored.count) of \(known.events.count)")
        let inClickHouse = try await clickHouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE \(TestSupport.ClickHouseClient.sessions(ids))",
            timeout: .seconds(60)
        ) { $0 >= known.events.count }
        #expect(inClickHouse == known.events.count)
        let after = try snapshot()

        // Presses by country, fake data out unless asked: JP 3+5+2, AR 1+2, unknown 1; S7 +4 fake.
        func delta(_ key: String, _ a: [String: Int], _ b: [String: Int]) -> Int { (b[key] ?? 0) - (a[key] ?? 0) }
        #expect(delta("JP", before.countries, after.countries) == 10)
        #expect(delta("AR", before.countries, after.countries) == 3)
        #expect(delta("", before.countries, after.countries) == 1)
        #expect(delta("AR", before.countriesWithFake, after.countriesWithFake) == 7)

        // Local hours: S1, S2 at 12:00 in Tokyo; S3, S4 at 00:xx in Buenos Aires; S6 now in Tokyo.
        var tokyo = Calendar(identifier: .gregorian)
        tokyo.timeZone = try #require(TimeZone(identifier: "Asia/Tokyo"))
        var expectedHours = Array(repeating: 0, count: 24)
        expectedHours[12] += 8
        expectedHours[0] += 3
        for offset: Int64 in [0, 30] {
            let time = Date(timeIntervalSince1970: Double(now - 600 * Self.second + offset * Self.second) / 1e6)
            expectedHours[tokyo.component(.hour, from: time)] += 1
        }
        #expect(zip(after.hours, before.hours).map { $0 - $1 } == expectedHours)

        // Presses per session: S3, S5 one; S4, S6 two; S1 three; S2 five.
        let pressDelta = zip(after.sessions.byPresses, before.sessions.byPresses).map { $0 - $1 }
        #expect(pressDelta == [0, 2, 2, 1, 1, 0, 0, 0, 0])
        // Lengths (two presses or more): S4 5 s, S6 30 s, S1 70 s, S2 400 s.
        let lengthDelta = zip(after.sessions.byLength, before.sessions.byLength).map { $0 - $1 }
        #expect(lengthDelta == [0, 1, 0, 1, 1, 0, 1, 0, 0])
        #expect(after.sessions.sessions - before.sessions.sessions == 6)
        #expect(after.sessions.presses - before.sessions.presses == 14)

        // Lookup precision: S1, S6 city; S3, S4 subdivision; S2 country; S5 unknown.
        #expect(after.lookup.city - before.lookup.city == 2)
        #expect(after.lookup.subdivision - before.lookup.subdivision == 2)
        #expect(after.lookup.country - before.lookup.country == 1)
        #expect(after.lookup.unknown - before.lookup.unknown == 1)

        // Per country: sessions and presses.
        #expect((after.byCountry["JP"]?.sessions ?? 0) - (before.byCountry["JP"]?.sessions ?? 0) == 3)
        #expect((after.byCountry["JP"]?.presses ?? 0) - (before.byCountry["JP"]?.presses ?? 0) == 10)
        #expect((after.byCountry["AR"]?.sessions ?? 0) - (before.byCountry["AR"]?.sessions ?? 0) == 2)

        // Sessions still pressing: six more sessions pressed.
        #expect(after.boredom.pressingSessions - before.boredom.pressingSessions == 6)
        #expect(
            after.boredom.series.reduce(0) { $0 + $1.presses } - before.boredom.series.reduce(0) { $0 + $1.presses }
                == 14
        )

        // Cohorts: exact, they are the test's own.
        let cohorts = Dictionary(
            uniqueKeysWithValues: try analytics.cohorts(includeFake: false).compactMap { row in
                row.cohort.map { ($0, row) }
            }
        )
        let first = try #require(cohorts[Int(c)])
        #expect(first.sessions == 2 && first.mean == 4)
        let interval = try #require(first.interval)
        #expect(abs(interval.lowerBound - 2.04) < 1e-6 && abs(interval.upperBound - 5.96) < 1e-6)
        let second = try #require(cohorts[Int(c) + 1])
        #expect(second.sessions == 3 && abs(second.mean - 4.0 / 3) < 1e-9)
        #expect(abs((second.standardDeviation ?? 0) - (1.0 / 3).squareRoot()) < 1e-9)
        #expect(cohorts[Int(c) + 2]?.sessions == 1 && cohorts[Int(c) + 2]?.interval == nil)
        #expect(!(try analytics.cohorts(includeFake: false)).contains { $0.cohort == nil }, "fake data is left out")
        #expect(try analytics.cohorts(includeFake: true).contains { $0.cohort == nil })

        // First press per country: 2001 comes before anything else the stack holds.
        let spread = try analytics.spread(includeFake: false)
        let firsts = Dictionary(spread.firstPresses.map { ($0.code, $0.timestamp) }, uniquingKeysWith: min)
        #expect(firsts["JP"] == Self.base + Self.second)
        #expect(firsts["AR"] == Self.base + 1001 * Self.second)
        #expect(spread.moments.count == 4 && spread.cumulative.count == 4)
        #expect((spread.cumulative.last?["JP"] ?? 0) >= Double(after.countries["JP"] ?? 0) - 2)

        // Your country, from a session placed in Japan: all time, and S6's two in the last hour.
        let japan = try analytics.country(code: "JP", name: "Japan", includeFake: false)
        #expect(japan.allTime == after.countries["JP"])
        #expect(japan.lastHour >= 2)

        // This session, from PostgreSQL.
        let s1 = try points.session(try #require(known.sessions["S1"]))
        #expect(s1.presses == 3 && s1.events == 4)
        #expect(s1.firstPress.map { Int64(($0.timeIntervalSince1970 * 1e6).rounded()) } == Self.base + Self.second)
        #expect(s1.lastPress.map { Int64(($0.timeIntervalSince1970 * 1e6).rounded()) } == Self.base + 71 * Self.second)

        // The same numbers on the page, through nginx and the stats pool.
        let cohortsPanel = try await panel("cohorts") { $0.contains("Cohort \(c)") }
        #expect(cohortsPanel.contains("<td>Cohort \(c)</td><td>2</td><td>4</td><td>2.04–5.96</td>"), "\(cohortsPanel)")
        #expect(cohortsPanel.contains("<td>Cohort \(c + 1)</td><td>3</td><td>1.33</td><td>0.68–1.99</td>"))
        #expect(cohortsPanel.contains("<td>Cohort \(c + 2)</td><td>1</td><td>2</td><td>needs two sessions</td>"))
        let countriesPanel = try await panel("countries") { $0.contains("Japan") }
        #expect(countriesPanel.contains("Japan"))
    }

    /// A panel through nginx, once `ready` holds (the cache may serve an older copy first).
    func panel(_ name: String, ready: (String) -> Bool) async throws -> String {
        var text = ""
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            text = try await HTTP.send("GET", stack.app + "/stats/panel/\(name)").text
            if ready(text) { return text }
            try await Task.sleep(for: .milliseconds(500))
        }
        return text
    }

    /// The page within the query timeout (2 s) and nginx's: timed from the request.
    func timedPage() async throws -> (html: String, seconds: Double) {
        let started = ContinuousClock.now
        let answer = try await HTTP.send("GET", stack.app + "/stats", timeout: 10)
        #expect(answer.status == 200)
        let elapsed = started.duration(to: .now)
        return (answer.text, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    static func section(_ name: String, in html: String) -> String {
        guard let start = html.range(of: "<section class=\"panel panel-\(name)\"") else { return "" }
        let rest = html[start.lowerBound...]
        guard let end = rest.range(of: "</section>") else { return String(rest) }
        return String(rest[..<end.upperBound])
    }

    @Test func postgresStoppedGivesAPartialPageNamingIt() async throws {
        let client = PressClient(appURL: stack.app, forwardedFor: "81.2.69.160")
        try await client.post("/api/press")
        let cookie = "button_session=\(try #require(client.cookie))"
        _ = try await HTTP.send("GET", stack.app + "/stats", headers: ["Cookie": cookie])
        try StackControl.run(["stop", "postgres"], env: stack.env)
        do {
            // A session the cache has never seen: its panel must ask PostgreSQL.
            let fresh = stack.codec.seal(
                Session(
                    id: UUID(),
                    cohort: 1,
                    countryName: "United Kingdom",
                    countryCode: "GB",
                    subdivisionName: "",
                    subdivisionCode: "",
                    cityName: "",
                    startedAt: stack.nowSeconds,
                    lastSeenAt: stack.nowSeconds,
                    presses: 1
                )
            )
            let started = ContinuousClock.now
            let answer = try await HTTP.send(
                "GET",
                stack.app + "/stats",
                headers: ["Cookie": "button_session=\(fresh)"],
                timeout: 10
            )
            let elapsed = started.duration(to: .now)
            #expect(answer.status == 200)
            #expect(elapsed < .seconds(4), "\(elapsed)")
            let session = Self.section("session", in: answer.text)
            #expect(session.contains("PostgreSQL is unavailable"), "\(session)")
            // ClickHouse's panels are not affected.
            #expect(!Self.section("countries", in: answer.text).contains("class=\"notice\""))
            // The health table is one cached panel: the next load names the missing store.
            let health = try await panel("health") { $0.contains("PostgreSQL is unavailable") }
            #expect(health.contains("PostgreSQL is unavailable"), "\(health)")
        } catch {
            Issue.record("\(error)")
        }
        try StackControl.run(["restart", "postgres"], env: stack.env)
        let recovered = try await panel("session") { !$0.contains("class=\"notice\"") }
        #expect(!recovered.contains("class=\"notice\""), "\(recovered)")
    }

    @Test func clickHouseStoppedOrHangingGivesAPartialPageWithinTheTimeout() async throws {
        _ = try await timedPage()
        try StackControl.run(["stop", "clickhouse"], env: stack.env)
        do {
            // Past the five-lifetime window in which a recent result is served as it is.
            try await Task.sleep(for: .seconds(11))
            let (html, seconds) = try await timedPage()
            #expect(seconds < 4, "\(seconds) s")
            let countries = Self.section("countries", in: html)
            #expect(countries.contains("ClickHouse is unavailable; showing data from"), "\(countries)")
            #expect(!Self.section("stream", in: html).contains("class=\"notice\""), "PostgreSQL and Kafka still answer")
        } catch {
            Issue.record("\(error)")
        }
        try StackControl.run(["restart", "clickhouse"], env: stack.env)
        let recovered = try await panel("countries") { !$0.contains("class=\"notice\"") }
        #expect(!recovered.contains("class=\"notice\""), "\(recovered)")

        // A hung ClickHouse: it accepts connections and never answers.
        let pid = try #require(
            pid_t(
                try String(contentsOfFile: "\(stack.runDir)/pids/clickhouse.pid", encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines
                )
            )
        )
        #expect(kill(pid, SIGSTOP) == 0)
        do {
            try await Task.sleep(for: .seconds(11))
            let (html, seconds) = try await timedPage()
            #expect(seconds < 4, "\(seconds) s")
            let countries = Self.section("countries", in: html)
            #expect(countries.contains("ClickHouse did not answer in time"), "\(countries)")
            let (_, again) = try await timedPage()
            #expect(again < 4, "\(again) s")
        } catch {
            Issue.record("\(error)")
        }
        #expect(kill(pid, SIGCONT) == 0)
        let back = try await panel("countries") { !$0.contains("class=\"notice\"") }
        #expect(!back.contains("class=\"notice\""), "\(back)")
    }
}
