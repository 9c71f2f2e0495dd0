import Foundation

/// The aggregate queries, on ClickHouse's `button_presses`. The SQL stays within what ClickHouse 18.16 and current versions both
/// accept; the few values it carries are written by `ClickHouseSQL`.
public struct AnalyticsQueries: Sendable {
    let rows: @Sendable (String) throws -> [[String?]]
    /// Whether to read with FINAL (see `init(client:final:)`).
    let final: Bool
    /// Whether events marked `is_bot` count (see ``includingBots(_:)``).
    private(set) var includeBots = false

    /// - Parameters:
    ///   - client: ClickHouse.
    ///   - final: read `button_presses FINAL`, so an event stored twice (enriched again after
    ///     a restart) counts once even before the background merge collapses it. Exact, and
    ///     on 10 M events about ten times the cost (2.9 s against 0.27 s per query on 18.16,
    ///     BENCHMARKS.md): the page leaves it off (`STATS_CLICKHOUSE_FINAL`).
    public init(client: ClickHouseClient, final: Bool) {
        rows = { try client.rows($0) }
        self.final = final
    }

    /// For tests of the parsing: `rows` answers each SQL text.
    init(final: Bool = false, rows: @escaping @Sendable (String) throws -> [[String?]]) {
        self.rows = rows
        self.final = final
    }

    /// The same queries, counting the events of sessions marked as bots too (`?bots=1`), or
    /// not (the default: a script pressing hundreds of times a second would drown the people).
    public func includingBots(_ include: Bool) -> AnalyticsQueries {
        var copy = self
        copy.includeBots = include
        return copy
    }

    /// The events considered: real ones, or fake ones too; without bots unless included.
    /// Fake data is what the original app's generator writes: cohort null (the enricher also
    /// sets `is_fake` then; the cohort is the definition, so a row written by other means is
    /// classed the same way). Bots are events with `is_bot` (0 for rows from before it).
    func events(includeFake: Bool) -> String {
        let table = final ? "button_presses FINAL" : "button_presses"
        let conditions = filters(includeFake: includeFake)
        return conditions.isEmpty ? table : "\(table) WHERE \(conditions.joined(separator: " AND "))"
    }

    /// `events` narrowed by one more condition.
    func events(includeFake: Bool, where condition: String) -> String {
        "\(events(includeFake: includeFake)) \(filters(includeFake: includeFake).isEmpty ? "WHERE" : "AND") \(condition)"
    }

    private func filters(includeFake: Bool) -> [String] {
        (includeFake ? [] : ["cohort IS NOT NULL"]) + (includeBots ? [] : ["is_bot = 0"])
    }

    static let press = "action = 'PressButton'"

    /// Presses per country, busiest first.
    public func countries(includeFake: Bool) throws -> [CountryCount] {
        try rows(
            """
            SELECT country_code, any(country_name), count() AS presses
            FROM \(events(includeFake: includeFake, where: Self.press))
            GROUP BY country_code ORDER BY presses DESC, country_code
            """
        ).map { CountryCount(code: $0.text(0), name: $0.text(1), presses: $0.int(2)) }
    }

    /// Presses from one country: all time and in the last hour.
    public func country(code: String, name: String, includeFake: Bool) throws -> CountryActivity {
        let row = try rows(
            """
            SELECT count(), countIf(event_time >= now() - 3600)
            FROM \(events(includeFake: includeFake, where: "\(Self.press) AND country_code = \(ClickHouseSQL.string(code))"))
            """
        ).first
        return CountryActivity(code: code, name: name, allTime: row?.int(0) ?? 0, lastHour: row?.int(1) ?? 0)
    }

    /// One row per session: its presses, and the seconds from its first to its last press.
    func perSession(includeFake: Bool, extra: String = "") -> String {
        """
        SELECT session_id, countIf(\(Self.press)) AS n,
            if(n > 1, (maxIf(timestamp, \(Self.press)) - minIf(timestamp, \(Self.press))) / 1000000, 0) AS len\(extra)
        FROM \(events(includeFake: includeFake)) GROUP BY session_id
        """
    }

    /// `multiIf` giving the bucket index of `value` for inclusive or exclusive upper bounds.
    static func bucket(_ value: String, bounds: [Int], inclusive: Bool) -> String {
        let comparison = inclusive ? "<=" : "<"
        let arms = bounds.enumerated().map { "\(value) \(comparison) \($0.element), \($0.offset)" }
        return "multiIf(\(arms.joined(separator: ", ")), \(bounds.count))"
    }

    /// Distributions of presses per session and of session length.
    public func sessions(includeFake: Bool) throws -> SessionDistribution {
        let result = try rows(
            """
            SELECT \(Self.bucket("n", bounds: SessionBuckets.pressBounds, inclusive: true)) AS nb,
                \(Self.bucket("len", bounds: SessionBuckets.lengthBounds, inclusive: false)) AS lb,
                count(), sum(n), sum(len)
            FROM (\(perSession(includeFake: includeFake)))
            GROUP BY nb, lb
            """
        )
        var distribution = SessionDistribution(
            byPresses: Array(repeating: 0, count: SessionBuckets.presses.count),
            byLength: Array(repeating: 0, count: SessionBuckets.lengths.count),
            sessions: 0,
            presses: 0,
            totalSeconds: 0
        )
        for row in result {
            let (pressBucket, lengthBucket, count) = (row.int(0), row.int(1), row.int(2))
            guard distribution.byPresses.indices.contains(pressBucket),
                distribution.byLength.indices.contains(lengthBucket)
            else { continue }
            distribution.byPresses[pressBucket] += count
            // A session without two presses has no length to speak of.
            if pressBucket >= 2 { distribution.byLength[lengthBucket] += count }
            distribution.sessions += count
            distribution.presses += row.int(3)
            distribution.totalSeconds += row.double(4)
        }
        return distribution
    }

    /// Sessions and presses per country, most sessions first.
    public func byCountry(includeFake: Bool, limit: Int = 20) throws -> [CountrySessions] {
        try rows(
            """
            SELECT country_code, any(country_name), uniqExact(session_id) AS sessions, countIf(\(Self.press))
            FROM \(events(includeFake: includeFake))
            GROUP BY country_code ORDER BY sessions DESC, country_code LIMIT \(ClickHouseSQL.integer(limit))
            """
        ).map { CountrySessions(code: $0.text(0), name: $0.text(1), sessions: $0.int(2), presses: $0.int(3)) }
    }

    /// Presses per local hour 0...23 (zero where none).
    public func localHours(includeFake: Bool) throws -> [Int] {
        var hours = Array(repeating: 0, count: 24)
        for row in try rows(
            """
            SELECT local_hour, count()
            FROM \(events(includeFake: includeFake, where: "\(Self.press) AND local_hour IS NOT NULL"))
            GROUP BY local_hour
            """
        ) where hours.indices.contains(row.int(0)) {
            hours[row.int(0)] = row.int(1)
        }
        return hours
    }

    /// Presses stamped before 2000 or more than a minute ahead of ClickHouse's clock (a
    /// client's clock, a test's junk) are left out of the time charts: one would stretch the
    /// axis over decades.
    static let plausibleTime = "timestamp BETWEEN 946684800000000 AND (toUInt64(now()) + 60) * 1000000"

    /// The first and newest press (µs), or nil when there is none.
    func pressRange(includeFake: Bool) throws -> (first: Int64, last: Int64)? {
        guard
            let row = try rows(
                """
                SELECT count(), min(timestamp), max(timestamp)
                FROM \(events(includeFake: includeFake, where: "\(Self.press) AND \(Self.plausibleTime)"))
                """
            ).first, row.int(0) > 0
        else { return nil }
        return (row.int64(1), row.int64(2))
    }

    /// First press per country, and the map at four moments.
    public func spread(includeFake: Bool) throws -> Spread {
        guard let range = try pressRange(includeFake: includeFake) else {
            return Spread(firstPresses: [], moments: [], cumulative: [])
        }
        let firsts = try rows(
            """
            SELECT country_code, any(country_name), min(timestamp) AS first
            FROM \(events(includeFake: includeFake, where: "\(Self.press) AND time_zone != '' AND \(Self.plausibleTime)"))
            GROUP BY country_code ORDER BY first, country_code
            """
        ).map { FirstPress(code: $0.text(0), name: $0.text(1), timestamp: $0.int64(2)) }
        let span = range.last - range.first
        let moments = (1...4).map { range.first + span * Int64($0) / 4 }
        let counts = moments.map { "countIf(timestamp <= \(ClickHouseSQL.integer($0)))" }.joined(separator: ", ")
        var cumulative = Array(repeating: [String: Double](), count: 4)
        for row in try rows(
            """
            SELECT country_code, \(counts)
            FROM \(events(includeFake: includeFake, where: "\(Self.press) AND \(Self.plausibleTime)"))
            GROUP BY country_code
            """
        ) {
            for index in 0..<4 where row.int(index + 1) > 0 {
                cumulative[index][row.text(0)] = Double(row.int(index + 1))
            }
        }
        return Spread(firstPresses: firsts, moments: moments, cumulative: cumulative)
    }

    /// The survival curve's minutes.
    static let survivalMinutes = [0, 1, 2, 3, 5, 10, 15, 20, 30, 45, 60]

    /// Bucket widths for the presses-over-time series: the smallest giving at most 120 points.
    static let bucketChoices = [60, 300, 900, 3600, 3 * 3600, 86_400, 7 * 86_400]

    /// Presses over the app's life, and the share of sessions still pressing after k minutes.
    public func boredom(includeFake: Bool) throws -> Boredom {
        guard let range = try pressRange(includeFake: includeFake) else {
            return Boredom(bucketSeconds: 60, series: [], survival: [], pressingSessions: 0)
        }
        let spanSeconds = Int((range.last - range.first) / 1_000_000)
        let width = Self.bucketChoices.first { spanSeconds / $0 < 120 } ?? (spanSeconds / 119 + 1)
        let step = Int64(width) * 1_000_000
        var byBucket: [Int64: Int] = [:]
        for row in try rows(
            """
            SELECT intDiv(timestamp, \(ClickHouseSQL.integer(step))) AS b, count()
            FROM \(events(includeFake: includeFake, where: "\(Self.press) AND \(Self.plausibleTime)")) GROUP BY b
            """
        ) {
            byBucket[row.int64(0)] = row.int(1)
        }
        let firstBucket = range.first / step
        let lastBucket = range.last / step
        let series = (firstBucket...lastBucket).map { (start: $0 * step, presses: byBucket[$0] ?? 0) }
        let counts = Self.survivalMinutes.map { "countIf(len >= \($0 * 60))" }.joined(separator: ", ")
        let row = try rows("SELECT count(), \(counts) FROM (\(perSession(includeFake: includeFake))) WHERE n > 0")
            .first
        let sessions = row?.int(0) ?? 0
        let survival = Self.survivalMinutes.enumerated().map { index, minutes in
            (minutes: minutes, share: sessions == 0 ? 0 : Double(row?.int(index + 1) ?? 0) / Double(sessions))
        }
        return Boredom(bucketSeconds: width, series: series, survival: survival, pressingSessions: sessions)
    }

    /// Sessions by the precision of their place: city, subdivision, country, unknown. A
    /// session is "unknown" when its country has no time zone (not a country: "", EU, A1…).
    public func lookupPrecision(includeFake: Bool) throws -> LookupPrecision {
        var precision = LookupPrecision()
        for row in try rows(
            """
            SELECT p, count() FROM (
                SELECT session_id, any(multiIf(time_zone = '', 'unknown', city_name != '', 'city',
                    subdivision_name != '', 'subdivision', 'country')) AS p
                FROM \(events(includeFake: includeFake)) GROUP BY session_id
            ) GROUP BY p
            """
        ) {
            switch row.text(0) {
            case "city": precision.city = row.int(1)
            case "subdivision": precision.subdivision = row.int(1)
            case "country": precision.country = row.int(1)
            default: precision.unknown += row.int(1)
            }
        }
        return precision
    }

    /// Presses per session per cohort (fake data, cohort null, last when included).
    public func cohorts(includeFake: Bool) throws -> [CohortSummary] {
        try rows(
            """
            SELECT ifNull(session_cohort, -1) AS c, count(), avg(n), stddevSamp(n)
            FROM (\(perSession(includeFake: includeFake, extra: ", any(cohort) AS session_cohort")))
            GROUP BY c ORDER BY c
            """
        ).map { row in
            let sd = row.double(3)
            return CohortSummary(
                cohort: row.int(0) < 0 ? nil : row.int(0),
                sessions: row.int(1),
                mean: row.double(2),
                standardDeviation: row.int(1) > 1 && sd.isFinite ? sd : nil
            )
        }.sorted { ($0.cohort ?? Int.max) < ($1.cohort ?? Int.max) }
    }

    /// Rows ClickHouse holds, and its newest event, for the health panel (no FINAL: this is
    /// about ingestion, and an event delivered twice shows until the merge collapses it).
    public func ingestion() throws -> (events: Int64, newest: Int64?) {
        // Events stamped more than a minute in the future (a client's clock, a test's junk)
        // would stand for "newest" forever: they are counted, not taken as the newest.
        let row = try rows(
            "SELECT count(), maxIf(timestamp, timestamp <= (toUInt64(now()) + 60) * 1000000) FROM button_presses"
        ).first
        let events = row?.int64(0) ?? 0
        return (events, events > 0 ? row?.int64(1) : nil)
    }
}

extension Array where Element == String? {
    func text(_ index: Int) -> String { indices.contains(index) ? self[index] ?? "" : "" }
    func int(_ index: Int) -> Int {
        if let value = Int(text(index)) { return value }
        guard let value = Double(text(index)), value.isFinite, abs(value) < 9e18 else { return 0 }
        return Int(value)
    }
    func int64(_ index: Int) -> Int64 { Int64(text(index)) ?? 0 }
    /// ClickHouse prints NaN as `nan` and infinities as `inf`; Swift's `Double` reads both.
    func double(_ index: Int) -> Double { Double(text(index)) ?? .nan }
}
