import ButtonEvents
import Foundation

/// Panel bodies: models to HTML with inline SVG. Every text from data goes through
/// `HTML.escape`; charts escape their own labels.
enum PanelRendering {
    static func countryLabel(_ code: String, _ name: String) -> String {
        code.isEmpty ? "Unknown" : name.isEmpty ? code : name
    }

    static func figure(_ value: String, _ label: String) -> String {
        "<div class=\"figure\"><span class=\"value\">\(HTML.escape(value))</span> <span class=\"label\">\(HTML.escape(label))</span></div>"
    }

    static func empty(_ text: String = "No presses yet.") -> String { "<p class=\"empty\">\(HTML.escape(text))</p>" }

    /// "2026-11-27 14:03:05 UTC", whatever the server's locale and zone. One format style
    /// for every call (a value, safe on any thread), not a DateFormatter per stream line.
    static let utc = Date.VerbatimFormatStyle(
        format: """
            \(year: .extended(minimumLength: 4))-\(month: .twoDigits)-\(day: .twoDigits) \
            \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) UTC
            """,
        timeZone: .gmt,
        calendar: Calendar(identifier: .gregorian)
    )

    static func time(_ date: Date) -> String { date.formatted(utc) }

    static func date(micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

    static func countries(_ rows: [CountryCount]) -> String {
        guard !rows.isEmpty else { return empty() }
        let total = rows.reduce(0) { $0 + $1.presses }
        let known = rows.filter { !$0.code.isEmpty }.count
        return "<div class=\"figures\">"
            + figure(NumberText.count(total), "presses")
            + figure(NumberText.count(known), known == 1 ? "country" : "countries")
            + "</div>"
            + SVGChart.horizontalBars(
                rows.prefix(15).map { ChartDatum(label: countryLabel($0.code, $0.name), value: Double($0.presses)) },
                title: "Presses by country",
                unit: "presses"
            )
    }

    static func map(_ rows: [CountryCount], map: WorldMap?, problem: String?) -> String {
        guard let map else { return empty(problem ?? "The map is not installed: run scripts/fetch-map.") }
        var values: [String: Double] = [:]
        for row in rows where !row.code.isEmpty { values[row.code, default: 0] += Double(row.presses) }
        return map.svg(values: values, title: "Presses per country", unit: "presses")
    }

    static func session(_ activity: SessionActivity?) -> String {
        guard let activity else {
            return empty("No session yet: press the button on the front page, then come back.")
        }
        var html = "<div class=\"figures\">" + figure(NumberText.count(activity.presses), "presses in this session")
        html += "</div>"
        if let first = activity.firstPress, let last = activity.lastPress {
            let seconds = Int(last.timeIntervalSince(first))
            html += "<p>First press \(HTML.escape(time(first))), last \(HTML.escape(time(last))): "
            html += "you kept going for \(HTML.escape(duration(seconds))).</p>"
        }
        return html
    }

    static func duration(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(seconds) s"
        case ..<3600: "\(seconds / 60) min \(seconds % 60) s"
        default: "\(seconds / 3600) h \(seconds % 3600 / 60) min"
        }
    }

    static func yourCountry(_ activity: CountryActivity?) -> String {
        guard let activity else {
            return empty("No session yet: press the button on the front page, then come back.")
        }
        guard !activity.code.isEmpty else {
            return empty("We could not place your network in a country, so there is no country to compare.")
        }
        return "<p class=\"country-name\">\(HTML.escape(countryLabel(activity.code, activity.name)))</p>"
            + "<div class=\"figures\">"
            + figure(NumberText.count(activity.allTime), "presses, all time")
            + figure(NumberText.count(activity.lastHour), "in the last hour")
            + "</div>"
    }

    static func sessions(_ distribution: SessionDistribution) -> String {
        guard distribution.sessions > 0 else { return empty("No sessions yet.") }
        let pressing = distribution.byLength.reduce(0, +)
        var html = "<div class=\"figures\">"
        html += figure(NumberText.count(distribution.sessions), "sessions")
        html += figure(
            NumberText.decimal(Double(distribution.presses) / Double(distribution.sessions)),
            "presses per session on average"
        )
        if pressing > 0 {
            html += figure(duration(Int(distribution.totalSeconds / Double(pressing))), "average session length")
        }
        html += "</div><div class=\"pair\">"
        html += SVGChart.columns(
            zip(SessionBuckets.presses, distribution.byPresses).map { ChartDatum(label: $0, value: Double($1)) },
            title: "Sessions by presses per session",
            xLabel: "presses in the session",
            yLabel: "sessions"
        )
        html += SVGChart.columns(
            zip(SessionBuckets.lengths, distribution.byLength).map { ChartDatum(label: $0, value: Double($1)) },
            title: "Sessions by length (two presses or more)",
            xLabel: "first to last press",
            yLabel: "sessions"
        )
        return html + "</div>"
    }

    static func byCountry(_ rows: [CountrySessions]) -> String {
        guard !rows.isEmpty else { return empty("No sessions yet.") }
        var html = SVGChart.horizontalBars(
            rows.prefix(12).map { ChartDatum(label: countryLabel($0.code, $0.name), value: $0.pressesPerSession) },
            title: "Presses per session by country",
            unit: "presses per session"
        )
        html += "<table class=\"numbers\"><thead><tr><th>Country</th><th>Sessions</th><th>Presses</th>"
        html += "<th>Presses per session</th></tr></thead><tbody>"
        for row in rows {
            html += "<tr><td>\(HTML.escape(countryLabel(row.code, row.name)))</td>"
            html += "<td>\(NumberText.count(row.sessions))</td><td>\(NumberText.count(row.presses))</td>"
            html += "<td>\(NumberText.decimal(row.pressesPerSession))</td></tr>"
        }
        return html + "</tbody></table>"
    }

    static func localHours(_ hours: [Int]) -> String {
        guard hours.contains(where: { $0 > 0 }) else { return empty() }
        let busiest = hours.indices.max { hours[$0] < hours[$1] } ?? 0
        return "<div class=\"figures\">" + figure(String(format: "%02d:00", busiest), "the busiest local hour")
            + "</div>"
            + SVGChart.columns(
                hours.enumerated().map {
                    ChartDatum(label: String(format: "%02d", $0.offset), value: Double($0.element))
                },
                title: "Presses by local hour",
                xLabel: "local hour",
                yLabel: "presses"
            )
    }

    static func spread(_ spread: Spread, map: WorldMap?) -> String {
        guard !spread.firstPresses.isEmpty else { return empty() }
        var html = SVGChart.timeline(
            spread.firstPresses.prefix(40).map {
                TimeMark(label: countryLabel($0.code, $0.name), time: date(micros: $0.timestamp))
            },
            title: "First press per country"
        )
        if spread.firstPresses.count > 40 {
            html += "<p>…and \(spread.firstPresses.count - 40) more countries after these.</p>"
        }
        if let map {
            // One scale for the four maps, so a colour means the same count in each.
            let largest = spread.cumulative.last?.values.max() ?? 1
            html += "<div class=\"multiples\">"
            for (index, moment) in spread.moments.enumerated() where spread.cumulative.indices.contains(index) {
                html += "<figure>"
                html += map.svg(
                    values: spread.cumulative[index],
                    title: "Presses up to \(time(date(micros: moment)))",
                    unit: "presses",
                    compact: true,
                    domain: 1...max(1, largest)
                )
                html += "<figcaption>\(HTML.escape(time(date(micros: moment))))</figcaption></figure>"
            }
            html += "</div>"
        }
        return html
    }

    static func boredom(_ boredom: Boredom) -> String {
        guard !boredom.series.isEmpty else { return empty() }
        let unit =
            switch boredom.bucketSeconds {
            case ..<3600: "\(boredom.bucketSeconds / 60) min"
            case ..<86_400: "\(boredom.bucketSeconds / 3600) h"
            default: "\(boredom.bucketSeconds / 86_400) d"
            }
        var html = "<div class=\"pair\">"
        html += SVGChart.timeSeries(
            boredom.series.map { TimePoint(time: date(micros: $0.start), value: Double($0.presses)) },
            title: "Presses per \(unit)",
            yLabel: "presses per \(unit)"
        )
        html += SVGChart.survival(
            boredom.survival.map { XYPoint(x: Double($0.minutes), y: $0.share) },
            title: "Sessions still pressing",
            xLabel: "minutes after the first press"
        )
        return html + "</div>"
    }

    static func lookup(_ precision: LookupPrecision) -> String {
        guard precision.sessions > 0 else { return empty("No sessions yet.") }
        let total = Double(precision.sessions)
        return "<div class=\"figures\">"
            + figure(NumberText.percent(Double(precision.unknown) / total), "of sessions with an unknown country")
            + "</div>"
            + SVGChart.horizontalBars(
                [
                    ChartDatum(label: "City", value: Double(precision.city) / total * 100),
                    ChartDatum(label: "Subdivision", value: Double(precision.subdivision) / total * 100),
                    ChartDatum(label: "Country only", value: Double(precision.country) / total * 100),
                    ChartDatum(label: "Unknown", value: Double(precision.unknown) / total * 100),
                ],
                title: "Sessions by lookup precision",
                unit: "% of sessions"
            )
    }

    static func cohorts(_ rows: [CohortSummary]) -> String {
        guard !rows.isEmpty else { return empty("No sessions yet.") }
        let label = { (row: CohortSummary) in row.cohort.map { "Cohort \($0)" } ?? "Fake data" }
        var html = SVGChart.intervals(
            rows.map { row in
                let interval = row.interval ?? row.mean...row.mean
                return IntervalDatum(
                    label: label(row),
                    mean: row.mean,
                    low: interval.lowerBound,
                    high: interval.upperBound,
                    count: row.sessions
                )
            },
            title: "Presses per session by cohort",
            xLabel: "presses per session (95% confidence interval)"
        )
        html += "<table class=\"numbers\"><thead><tr><th>Cohort</th><th>Sessions</th><th>Mean</th>"
        html += "<th>95% interval</th></tr></thead><tbody>"
        for row in rows {
            let interval =
                row.interval.map {
                    "\(NumberText.decimal($0.lowerBound, digits: 2))–\(NumberText.decimal($0.upperBound, digits: 2))"
                } ?? "needs two sessions"
            html += "<tr><td>\(HTML.escape(label(row)))</td><td>\(NumberText.count(row.sessions))</td>"
            html += "<td>\(NumberText.decimal(row.mean, digits: 2))</td><td>\(HTML.escape(interval))</td></tr>"
        }
        return html + "</tbody></table>"
    }

    static func stream(_ events: [PressEvent]) -> String {
        guard !events.isEmpty else { return empty("Waiting for the first event…") }
        var html = "<ol class=\"stream\">"
        for event in events {
            let place = [event.cityName, event.subdivisionName, countryLabel(event.countryCode, event.countryName)]
                .filter { !$0.isEmpty }.joined(separator: ", ")
            let session = String(event.sessionID.uuidString.lowercased().prefix(8))
            let cohort = event.cohort.map { "cohort \($0)" } ?? "fake"
            html += "<li><time>\(HTML.escape(time(date(micros: event.timestamp))))</time> "
            html += "<span class=\"action\">\(HTML.escape(event.action.rawValue))</span> "
            html += "<span class=\"place\">\(HTML.escape(place))</span> "
            html +=
                "<span class=\"session\">\(HTML.escape(session))…</span> <span class=\"cohort\">\(HTML.escape(cohort))</span></li>"
        }
        return html + "</ol>"
    }

    /// The health table. "Behind" is measured in time from the newest event anywhere: the
    /// tail's newest Kafka message when it has seen one since it started, else the newest
    /// event any store holds (a store can only be behind Kafka).
    static func health(_ stores: [StoreHealth], now: Date) -> String {
        let reference = stores.compactMap(\.newest).max()
        var html = "<table class=\"numbers health\"><thead><tr><th>Store</th><th>Events</th>"
        html += "<th>Newest event</th><th>Behind the newest</th><th>Status</th></tr></thead><tbody>"
        for store in stores {
            html +=
                "<tr class=\"store-\(store.store == .clickHouse ? "clickhouse" : store.store.rawValue.lowercased())\">"
            html += "<td>\(HTML.escape(store.store.rawValue))</td>"
            html += "<td>\(store.events.map { NumberText.count(Int($0)) } ?? "–")</td>"
            if let newest = store.newest {
                html += "<td>\(HTML.escape(time(newest)))</td>"
            } else {
                html += "<td>–</td>"
            }
            if let newest = store.newest, let reference {
                html += "<td>\(HTML.escape(duration(max(0, Int(reference.timeIntervalSince(newest))))))</td>"
            } else {
                html += "<td>–</td>"
            }
            html += "<td>\(HTML.escape(store.problem ?? "ok"))</td></tr>"
        }
        return html + "</tbody></table>"
    }
}
