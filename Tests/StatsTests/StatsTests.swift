import Foundation
import Testing

@testable import Stats

@Suite struct ClickHouseSQLTests {
    @Test(arguments: [
        ("GB", "'GB'"),
        ("", "''"),
        ("O'Brien", #"'O\'Brien'"#),
        (#"back\slash"#, #"'back\\slash'"#),
        ("line\nbreak\ttab", #"'line\x0Abreak\x09tab'"#),
        ("nul\u{0}byte", #"'nul\x00byte'"#),
        ("del\u{7F}", #"'del\x7F'"#),
        (#"\N"#, #"'\\N'"#),
        ("Côte d’Ivoire 🇨🇮", "'Côte d’Ivoire 🇨🇮'"),
        ("'; DROP TABLE button_presses; --", #"'\'; DROP TABLE button_presses; --'"#),
    ])
    func stringLiteralsEscapeQuotesBackslashesAndControlBytes(input: String, literal: String) {
        #expect(ClickHouseSQL.string(input) == literal)
    }

    @Test func aLiteralNeverEndsEarly() {
        // Whatever the input, the only unescaped quotes are the two around it.
        for input in ["'", "\\'", "\\\\'", "a'b'c", "\\", "'\\'\\"] {
            let literal = ClickHouseSQL.string(input)
            var unescaped = 0
            var escaped = false
            for character in literal {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "'" {
                    unescaped += 1
                }
            }
            #expect(unescaped == 2, "\(literal)")
        }
    }
}

@Suite struct TabSeparatedTests {
    @Test func fieldsAreUnescapedAndNullIsNil() {
        let data = Data("GB\tUnited Kingdom\t3\nXX\t\\N\t0\n\ta\\tb\\\\c\\nd\t1\n".utf8)
        let rows = ClickHouseClient.parseTabSeparated(data)
        #expect(rows.count == 3)
        #expect(rows[0] == ["GB", "United Kingdom", "3"])
        #expect(rows[1] == ["XX", nil, "0"])
        #expect(rows[2] == ["", "a\tb\\c\nd", "1"])
    }

    @Test func numbersReadSafely() {
        let row: [String?] = ["12", "nan", "inf", "x", nil, "2.5", "1e300"]
        #expect(row.int(0) == 12)
        #expect(row.int(1) == 0)
        #expect(row.int(2) == 0)
        #expect(row.int(3) == 0)
        #expect(row.int(4) == 0)
        #expect(row.int(5) == 2)
        #expect(row.int(6) == 0)
        #expect(row.int(9) == 0)
        #expect(row.double(1).isNaN)
        #expect(row.double(5) == 2.5)
    }
}

@Suite struct StatsRequestTests {
    func parse(_ method: String, _ path: String, _ query: String = "") -> Result<StatsRequest, StatsRequest.Refusal> {
        StatsRequest.parse(method: method, path: path, query: Array(query.utf8)[...])
    }

    @Test func pageAndPanels() throws {
        #expect(try parse("GET", "/stats").get() == StatsRequest(target: .page, includeFake: false))
        #expect(try parse("HEAD", "/stats/").get().target == .page)
        for kind in PanelKind.allCases {
            #expect(try parse("GET", "/stats/panel/\(kind.rawValue)").get().target == .panel(kind))
        }
        #expect(try parse("GET", "/stats", "fake=1").get().includeFake)
        #expect(try parse("GET", "/stats", "fake=0").get().includeFake == false)
        #expect(try parse("GET", "/stats", "fake=0&fake=1").get().includeFake)
        #expect(try parse("GET", "/stats").get().includeBots == false, "bots are left out by default")
        #expect(try parse("GET", "/stats", "bots=1").get().includeBots)
        let both = try parse("GET", "/stats/panel/map", "fake=1&bots=1").get()
        #expect(both.includeFake && both.includeBots)
        #expect(try parse("GET", "/stats", "bots=1&bots=0").get().includeBots == false)
    }

    @Test(arguments: ["/stats/panel/nope", "/stats/panel/", "/stats/x", "/stats/panel/map/extra", "/statsx", "/"])
    func unknownPathsAre404(path: String) {
        guard case .failure(let refusal) = parse("GET", path) else {
            Issue.record("\(path) was accepted")
            return
        }
        #expect(refusal.status == 404)
    }

    @Test func otherMethodsAre405() {
        guard case .failure(let refusal) = parse("POST", "/stats") else {
            Issue.record("POST was accepted")
            return
        }
        #expect(refusal.status == 405 && refusal.allow == "GET, HEAD")
    }

    @Test(arguments: [
        "fake=<script>", "x=1", "fake=1;DROP", "fake='", "%FF%FE", "fake=1&x", "fake=%31", "bots=2", "bots=1;x",
    ])
    func otherParametersAre400WithoutEcho(query: String) {
        guard case .failure(let refusal) = parse("GET", "/stats", query) else {
            Issue.record("\(query) was accepted")
            return
        }
        #expect(refusal.status == 400)
        #expect(!refusal.message.contains(query))
    }

    @Test func invalidUTF8AndHugeQueriesAreRefused() {
        let invalid = StatsRequest.parse(method: "GET", path: "/stats", query: [0x66, 0xFF, 0xFE][...])
        guard case .failure(let refusal) = invalid else {
            Issue.record("invalid UTF-8 was accepted")
            return
        }
        #expect(refusal.status == 400)
        guard case .failure(let long) = parse("GET", "/stats", String(repeating: "fake=1&", count: 100)) else {
            Issue.record("a 700-byte query was accepted")
            return
        }
        #expect(long.status == 414)
    }
}

@Suite struct CohortIntervalTests {
    @Test func ninetyFivePercentIntervalOfTheMean() throws {
        let summary = CohortSummary(cohort: 1, sessions: 2, mean: 4, standardDeviation: 2.0.squareRoot())
        let interval = try #require(summary.interval)
        #expect(abs(interval.lowerBound - 2.04) < 1e-9)
        #expect(abs(interval.upperBound - 5.96) < 1e-9)
    }

    @Test func noIntervalFromOneSessionAndNeverBelowZero() throws {
        #expect(CohortSummary(cohort: 1, sessions: 1, mean: 3, standardDeviation: nil).interval == nil)
        let wide = try #require(CohortSummary(cohort: 2, sessions: 2, mean: 1, standardDeviation: 5).interval)
        #expect(wide.lowerBound == 0)
    }
}

@Suite struct PanelQueryTests {
    @Test func bucketsMatchTheirLabels() {
        #expect(SessionBuckets.presses.count == SessionBuckets.pressBounds.count + 1)
        #expect(SessionBuckets.lengths.count == SessionBuckets.lengthBounds.count + 1)
        #expect(
            AnalyticsQueries.bucket("n", bounds: [0, 1, 2], inclusive: true)
                == "multiIf(n <= 0, 0, n <= 1, 1, n <= 2, 2, 3)"
        )
    }

    @Test func fakeDataAndBotsAreExcludedUnlessAsked() {
        let plain = AnalyticsQueries { _ in [] }.includingBots(true)
        #expect(plain.events(includeFake: false) == "button_presses WHERE cohort IS NOT NULL")
        #expect(plain.events(includeFake: true) == "button_presses")
        #expect(plain.events(includeFake: true, where: "x = 1") == "button_presses WHERE x = 1")
        #expect(plain.events(includeFake: false, where: "x = 1") == "button_presses WHERE cohort IS NOT NULL AND x = 1")
        let exact = AnalyticsQueries(final: true) { _ in [] }.includingBots(true)
        #expect(exact.events(includeFake: false) == "button_presses FINAL WHERE cohort IS NOT NULL")
        // By default, bots are left out too.
        let people = AnalyticsQueries { _ in [] }
        #expect(people.events(includeFake: false) == "button_presses WHERE cohort IS NOT NULL AND is_bot = 0")
        #expect(people.events(includeFake: true) == "button_presses WHERE is_bot = 0")
        #expect(people.events(includeFake: true, where: "x = 1") == "button_presses WHERE is_bot = 0 AND x = 1")
        #expect(
            people.events(includeFake: false, where: "x = 1")
                == "button_presses WHERE cohort IS NOT NULL AND is_bot = 0 AND x = 1"
        )
        #expect(people.includingBots(true).events(includeFake: true) == "button_presses")
    }

    @Test func sessionDistributionFromBucketRows() throws {
        // (presses bucket, length bucket, sessions, presses, seconds)
        let queries = AnalyticsQueries { _ in
            [
                ["1", "0", "10", "10", "0"], ["3", "4", "2", "7", "170"], ["4", "6", "1", "5", "400"],
                ["0", "0", "3", "0", "0"],
            ]
        }
        let distribution = try queries.sessions(includeFake: false)
        #expect(distribution.sessions == 16)
        #expect(distribution.presses == 22)
        #expect(distribution.byPresses == [3, 10, 0, 2, 1, 0, 0, 0, 0])
        // One-press and no-press sessions have no length.
        #expect(distribution.byLength == [0, 0, 0, 0, 2, 0, 1, 0, 0])
    }

    @Test func boredomFillsGapsAndComputesShares() throws {
        let minute: Int64 = 60_000_000
        let queries = AnalyticsQueries { sql in
            if sql.contains("min(timestamp), max(timestamp)") { return [["3", "\(10 * minute)", "\(13 * minute)"]] }
            if sql.contains("intDiv") { return [["10", "2"], ["13", "1"]] }
            return [["4"] + AnalyticsQueries.survivalMinutes.map { $0 == 0 ? "4" : $0 <= 2 ? "2" : "0" }]
        }
        let boredom = try queries.boredom(includeFake: false)
        #expect(boredom.bucketSeconds == 60)
        #expect(boredom.series.map(\.presses) == [2, 0, 0, 1])
        #expect(boredom.pressingSessions == 4)
        #expect(boredom.survival.first?.share == 1)
        #expect(boredom.survival.first { $0.minutes == 2 }?.share == 0.5)
        #expect(boredom.survival.first { $0.minutes == 3 }?.share == 0)
    }
}

@Suite struct PanelRenderingTests {
    @Test func timesAreUTCWithSeconds() {
        #expect(PanelRendering.time(Date(timeIntervalSince1970: 983_674_801.5)) == "2001-03-04 03:00:01 UTC")
        #expect(PanelRendering.time(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00 UTC")
        #expect(PanelRendering.time(Date(timeIntervalSince1970: 1_795_789_082)) == "2026-11-27 14:18:02 UTC")
    }
}
