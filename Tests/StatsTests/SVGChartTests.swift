import Foundation
import Testing

@testable import Stats

/// Labels a database could hold, chosen to break out of text or attributes, or to break the layout.
let hostileLabels = [
    "<script>alert(1)</script>", "\"><svg onload=alert(1)>", "' onmouseover='x", "Tom & Jerry <3", "🇬🇧 Königreich 👨‍👩‍👧",
    "العربية \u{202E}evil", "עברית", String(repeating: "W", count: 10_000), "nul\u{0}bell\u{7}", "",
]

/// A fixed instant: Friday 27 November 2026 14:00:00 UTC.
let base = Date(timeIntervalSince1970: 1_795_788_000)

/// Every chart kind drawn from the same labels and values, so each property is checked on all six.
func allCharts(labels: [String], values: [Double], title: String = "Presses") -> [(kind: String, svg: String)] {
    let data = zip(labels, values).map { ChartDatum(label: $0, value: $1) }
    let times = values.indices.map { base.addingTimeInterval(Double($0) * 600) }
    return [
        ("bars", SVGChart.horizontalBars(data, title: title, unit: "presses")),
        ("columns", SVGChart.columns(data, title: title, xLabel: "Hour", yLabel: "Presses")),
        (
            "series",
            SVGChart.timeSeries(
                zip(times, values).map { TimePoint(time: $0, value: $1) },
                title: title,
                yLabel: "Presses per minute"
            )
        ),
        (
            "survival",
            SVGChart.survival(
                values.indices.map { XYPoint(x: Double($0), y: values[$0]) },
                title: title,
                xLabel: "Minutes"
            )
        ),
        ("timeline", SVGChart.timeline(zip(labels, times).map { TimeMark(label: $0, time: $1) }, title: title)),
        (
            "intervals",
            SVGChart.intervals(
                zip(labels, values).map {
                    IntervalDatum(label: $0, mean: $1, low: $1 - 1, high: $1 + 1, count: 12)
                },
                title: title,
                xLabel: "Presses per session"
            )
        ),
    ]
}

@Suite("SVG charts")
struct SVGChartTests {
    static let normal = (labels: ["United Kingdom", "France", "Germany", "Japan"], values: [40.0, 20, 10, 5])
    static let odd = (
        labels: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
        values: [Double.nan, .infinity, -.infinity, -5, 0, 1e300, -0.0, .greatestFiniteMagnitude, 3, 0.5]
    )

    /// The kinds that draw labels (a time series and a survival curve draw none).
    static let labelled: Set = ["bars", "columns", "timeline", "intervals"]

    @Test("every chart is well-formed XML with one svg root, a title and a desc, for normal, empty, hostile data")
    func wellFormed() throws {
        let variants = [
            Self.normal, (labels: [], values: []),
            (labels: hostileLabels, values: hostileLabels.indices.map(Double.init)),
            Self.odd,
        ]
        for variant in variants {
            for chart in allCharts(labels: variant.labels, values: variant.values, title: "Presses <b>&\"'") {
                let parsed = try parseSVG(chart.svg)
                let root = try #require(parsed.root, "\(chart.kind)")
                #expect(root.name == "svg")
                #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg")
                #expect(root.attributes["role"] == "img")
                #expect(root.attributes["width"] == "100%")
                #expect(root.attributes["viewBox"]?.hasPrefix("0 0 800 ") == true)
                let title = try #require(parsed.all("title").first, "\(chart.kind)")
                #expect(title.text == "Presses <b>&\"'", "\(chart.kind)")
                #expect(root.attributes["aria-labelledby"] == title.attributes["id"])
                let desc = try #require(parsed.all("desc").first, "\(chart.kind)")
                #expect(root.attributes["aria-describedby"] == desc.attributes["id"])
                #expect(!desc.text.isEmpty)
                #expect(parsed.all("svg").count == 1, "\(chart.kind): a label opened an element")
            }
        }
    }

    @Test("hostile labels stay text: no raw <script, no attribute or element they open, shown escaped")
    func hostileLabelsAreEscaped() throws {
        let charts = allCharts(labels: hostileLabels, values: hostileLabels.indices.map { Double($0) + 1 })
        let allowedElements: Set = ["svg", "title", "desc", "g", "rect", "line", "path", "circle", "text"]
        for chart in charts {
            #expect(!chart.svg.lowercased().contains("<script"), "\(chart.kind)")
            #expect(!chart.svg.contains("\"><svg"), "\(chart.kind)")
            #expect(!chart.svg.contains("' onmouseover"), "\(chart.kind)")
            #expect(!chart.svg.unicodeScalars.contains("\u{0}"), "\(chart.kind)")
            let parsed = try parseSVG(chart.svg)
            for element in parsed.elements {
                #expect(allowedElements.contains(element.name), "\(chart.kind): <\(element.name)>")
                #expect(!element.attributes.keys.contains { $0.lowercased().hasPrefix("on") }, "\(chart.kind)")
            }
            // The label is shown as the reader would type it, inside a text or tooltip (charts with labels).
            guard Self.labelled.contains(chart.kind) else { continue }
            #expect(parsed.elements.contains { $0.text.contains("<script>alert(1)</script>") }, "\(chart.kind)")
        }
    }

    @Test("NaN, infinite and negative values put only finite numbers in coordinates, and no nan or inf anywhere")
    func oddValues() throws {
        let numeric: Set = ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height"]
        for chart in allCharts(labels: Self.odd.labels, values: Self.odd.values) {
            let lowered = chart.svg.lowercased()
            #expect(
                !lowered.contains("nan") && !lowered.contains("inf"),
                "\(chart.kind) \(lowered.components(separatedBy: "inf").map { $0.suffix(40) })"
            )
            let parsed = try parseSVG(chart.svg)
            for element in parsed.elements where element.name != "svg" {
                for (key, value) in element.attributes where numeric.contains(key) {
                    let number = try #require(Double(value), "\(chart.kind) \(element.name) \(key)=\(value)")
                    #expect(number.isFinite && abs(number) <= 10_000, "\(chart.kind) \(element.name) \(key)=\(value)")
                }
                if element.name == "rect" { #expect(element.number("width").map { $0 >= 0 } == true) }
            }
            for path in parsed.all("path") {
                #expect(path.attributes["d"]?.allSatisfy { "MLHV0123456789.- ".contains($0) } == true, "\(chart.kind)")
            }
        }
    }

    @Test("no data draws a valid chart that says No data yet")
    func emptyData() throws {
        for chart in allCharts(labels: [], values: []) {
            let parsed = try parseSVG(chart.svg)
            #expect(parsed.all("text").map(\.text) == ["No data yet"], "\(chart.kind)")
        }
        // Only NaN: nothing to draw on a time or x axis.
        let series = SVGChart.timeSeries([TimePoint(time: base, value: .nan)], title: "t", yLabel: "y")
        #expect(try parseSVG(series).all("text").map(\.text) == ["No data yet"])
    }

    @Test("bar lengths are proportional to the values; values are printed at their ends")
    func barsProportional() throws {
        let svg = SVGChart.horizontalBars(
            zip(Self.normal.labels, Self.normal.values).map { ChartDatum(label: $0, value: $1) },
            title: "By country",
            unit: "presses"
        )
        let parsed = try parseSVG(svg)
        let widths = parsed.all("rect", class: "chart-bar").compactMap { $0.number("width") }
        try #require(widths.count == 4)
        for (width, value) in zip(widths, Self.normal.values) {
            #expect(abs(width / widths[0] - value / 40) < 0.01, "\(widths)")
        }
        #expect(parsed.all("text", class: "chart-value").map(\.text) == ["40", "20", "10", "5"])
        #expect(parsed.all("text", class: "chart-label").map(\.text) == Self.normal.labels)
    }

    @Test("24 hours draw 24 columns, every hour labelled, heights proportional")
    func columnsForHours() throws {
        let data = (0..<24).map { ChartDatum(label: String($0), value: Double($0 * 10)) }
        let parsed = try parseSVG(SVGChart.columns(data, title: "By local hour", xLabel: "Hour", yLabel: "Presses"))
        let columns = parsed.all("rect", class: "chart-bar")
        try #require(columns.count == 24)
        #expect(parsed.all("text", class: "chart-label").map(\.text) == (0..<24).map { String($0) })
        let heights = columns.compactMap { $0.number("height") }
        #expect(heights[0] == 0)
        for hour in 1..<24 { #expect(abs(heights[hour] / heights[23] - Double(hour) / 23) < 0.01) }
        // Columns sit side by side, left to right, on one baseline.
        let xs = columns.compactMap { $0.number("x") }
        #expect(xs == xs.sorted())
        let bottoms = Set(
            columns.compactMap { column in column.number("y").map { $0 + (column.number("height") ?? 0) } }
        )
        #expect(bottoms.count == 1)
    }

    @Test("many long category labels are thinned so they do not overlap")
    func columnLabelsThinned() throws {
        let data = (0..<60).map { ChartDatum(label: "Category number \($0)", value: 1) }
        let parsed = try parseSVG(SVGChart.columns(data, title: "Histogram", xLabel: "x", yLabel: "y"))
        let labels = parsed.all("text", class: "chart-label")
        #expect(parsed.all("rect", class: "chart-bar").count == 60)
        #expect(labels.count < 60 && labels.count >= 5)
        let xs = labels.compactMap { $0.number("x") }
        for (a, b) in zip(xs, xs.dropFirst()) { #expect(b - a >= 12 * 16 * 0.6) }
    }

    @Test("a 10 000-character label is cut with an ellipsis and the chart stays small")
    func longLabelTruncated() throws {
        let long = String(repeating: "Ω", count: 10_000)
        for chart in allCharts(labels: [long, "x"], values: [1, 2]) where Self.labelled.contains(chart.kind) {
            #expect(chart.svg.utf8.count < 8_000, "\(chart.kind): \(chart.svg.utf8.count) bytes")
            let labels = try parseSVG(chart.svg).all("text").map(\.text).filter { $0.hasPrefix("Ω") }
            #expect(!labels.isEmpty, "\(chart.kind)")
            for label in labels {
                #expect(label.hasSuffix("…") && label.count <= 21, "\(chart.kind): \(label.count)")
            }
        }
    }

    @Test("output is deterministic, and ids differ between charts of one page")
    func deterministicUniqueIDs() throws {
        let first = allCharts(labels: Self.normal.labels, values: Self.normal.values)
        #expect(first.map(\.svg) == allCharts(labels: Self.normal.labels, values: Self.normal.values).map(\.svg))
        let other = allCharts(labels: Self.normal.labels, values: Self.normal.values, title: "Sessions")
        let empty = allCharts(labels: [], values: [])
        var ids: [String] = []
        for chart in first + other + empty {
            let parsed = try parseSVG(chart.svg)
            for element in parsed.elements { if let id = element.attributes["id"] { ids.append(id) } }
        }
        #expect(Set(ids).count == ids.count, "\(ids)")
        let given = SVGChart.columns(
            [ChartDatum(label: "a", value: 1)],
            title: "t",
            xLabel: "",
            yLabel: "",
            id: "hours\" onload=\"x"
        )
        #expect(try parseSVG(given).root?.attributes["id"] == "hoursonloadx")
    }

    @Test("a time series labels its axis in UTC at minute, hour or day spacing depending on the span")
    func timeAxisGranularity() throws {
        func labels(span: TimeInterval) throws -> [String] {
            let points = [TimePoint(time: base, value: 1), TimePoint(time: base.addingTimeInterval(span), value: 3)]
            return try parseSVG(SVGChart.timeSeries(points, title: "t", yLabel: "y"))
                .all("text", class: "chart-tick-label").map(\.text)
        }
        // 14:00 to 14:30 UTC: every 10 minutes (5 would make 7 ticks).
        #expect(try labels(span: 1_800).suffix(4) == ["14:00", "14:10", "14:20", "14:30"])
        // 14:00 to 16:00 the next day: hours, with the date at UTC midnight.
        let twoDays = try labels(span: 26 * 3_600)
        #expect(twoDays.contains("Nov 28"))
        #expect(twoDays.contains { $0.count == 5 && $0.contains(":") })
        // Twenty days: weeks, starting on Mondays.
        let days = try labels(span: 20 * 86_400)
        #expect(days.suffix(3) == ["Nov 30", "Dec 7", "Dec 14"])
        #expect(!days.contains { $0.contains(":") })
        // Two years: full dates.
        #expect(try labels(span: 730 * 86_400).contains { $0.hasPrefix("2027-") })
        #expect(
            try parseSVG(SVGChart.timeSeries([TimePoint(time: base, value: 1)], title: "t", yLabel: "y"))
                .all("circle").count == 1
        )
    }

    @Test("survival: y axis in percent, shares clamped to 0...1, a step path")
    func survivalSteps() throws {
        let points = [XYPoint(x: 0, y: 1), XYPoint(x: 5, y: 0.5), XYPoint(x: 10, y: 1.7), XYPoint(x: 20, y: -1)]
        let parsed = try parseSVG(SVGChart.survival(points, title: "Still pressing", xLabel: "Minutes"))
        let labels = parsed.all("text", class: "chart-tick-label").map(\.text)
        #expect(labels.prefix(6) == ["0%", "20%", "40%", "60%", "80%", "100%"])
        let path = try #require(parsed.all("path").first?.attributes["d"])
        #expect(path.hasPrefix("M90 20 H"))
        #expect(path.components(separatedBy: "H").count == 4)
        let ys = path.split(separator: "V").dropFirst().compactMap { Double($0.split(separator: " ")[0]) }
        #expect(ys == [170, 20, 320])  // 50 %, 170 % clamped to 100 %, -100 % clamped to 0 %
    }

    @Test("timeline: many marks at once are staggered into lanes without overlap, the rest counted")
    func timelineStaggered() throws {
        let marks = (0..<200).map { TimeMark(label: "Country \($0)", time: base.addingTimeInterval(Double($0) * 30)) }
        let parsed = try parseSVG(SVGChart.timeline(marks, title: "First press per country"))
        #expect(parsed.all("circle", class: "chart-mark").count == 200)
        let labels = parsed.all("text", class: "chart-label")
        #expect(!labels.isEmpty && labels.count < 200)
        #expect(Set(labels.compactMap { $0.number("y") }).count == 12)
        let note = try #require(parsed.all("text", class: "chart-note").first)
        #expect(note.text.hasPrefix("\(200 - labels.count) more"))
        // Within one lane, a label starts after the previous one ends.
        for (_, lane) in Dictionary(grouping: labels, by: { $0.number("y") ?? 0 }) {
            let spans = lane.compactMap { label -> (Double, Double)? in
                guard let x = label.number("x") else { return nil }
                let width = SVGCanvas.estimatedWidth(label.text, size: 16)
                return label.attributes["text-anchor"] == "end" ? (x - width, x) : (x, x + width)
            }
            for (a, b) in zip(spans, spans.dropFirst()) { #expect(b.0 >= a.1, "\(a) \(b)") }
        }
        // A few marks far apart: all labelled, on one lane.
        let few = (0..<3).map { TimeMark(label: "C\($0)", time: base.addingTimeInterval(Double($0) * 86_400)) }
        let fewParsed = try parseSVG(SVGChart.timeline(few, title: "t"))
        #expect(fewParsed.all("text", class: "chart-label").count == 3)
        #expect(fewParsed.all("text", class: "chart-note").isEmpty)
    }

    @Test("intervals: whisker from low to high around the mean, n printed, reversed or missing ends handled")
    func intervalRows() throws {
        let rows = [
            IntervalDatum(label: "Cohort 1", mean: 10, low: 8, high: 12, count: 1_234),
            IntervalDatum(label: "Cohort 2", mean: 14, low: 17, high: 11, count: 56),
            IntervalDatum(label: "Cohort 3", mean: .nan, low: 1, high: 2, count: 0),
        ]
        let parsed = try parseSVG(SVGChart.intervals(rows, title: "Cohorts", xLabel: "Presses per session"))
        #expect(parsed.all("text", class: "chart-value").map(\.text) == ["10 (n = 1,234)", "14 (n = 56)", "— (n = 0)"])
        let groups = parsed.all("g", class: "chart-interval")
        #expect(groups.count == 2)
        let means = parsed.all("circle", class: "chart-mean").compactMap { $0.number("cx") }
        let whiskers = parsed.all("line").filter {
            $0.attributes["y1"] == $0.attributes["y2"] && $0.attributes["class"] == nil
        }
        try #require(whiskers.count == 2)
        for (whisker, mean) in zip(whiskers, means) {
            let (x1, x2) = (whisker.number("x1") ?? 0, whisker.number("x2") ?? 0)
            #expect(x1 < mean && mean < x2)
        }
        // The axis starts at zero, so cohort 1's whisker (8...12) spans 4/20 of the plot (0...20).
        let width = (whiskers[0].number("x2") ?? 0) - (whiskers[0].number("x1") ?? 0)
        #expect(abs(width - 400 * 4 / 20) < 0.2)
    }
}
