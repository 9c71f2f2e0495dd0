internal import Foundation

/// The stats page's charts, rendered on the server as inline SVG: no chart library, nothing loaded from another
/// host. Each function returns one `<svg>` element that scales to its container's width (`width="100%"` and a
/// viewBox 800 units wide, text sized to read on a projector), named by a `<title>` and described in words by a
/// `<desc>` for screen readers. Output is deterministic: the same data gives the same bytes.
///
/// Data is never trusted: labels are escaped and shortened with "…" to keep the layout, values that are NaN,
/// infinite or out of range are clamped or left out, and no data draws "No data yet".
/// Shapes carry classes (`chart-bar`, `chart-line`, `chart-axis` …) that style.css may restyle; their colour
/// attributes already give a readable chart without it.
public enum SVGChart {
    /// Descriptions list at most this many items, then say how many more there are.
    static let describedItems = 30

    /// Horizontal bars, label on the left, value printed at the bar's end; e.g. presses by country, top N.
    /// - Parameters:
    ///   - data: The bars, drawn top to bottom in this order; at most `maxBars` of them.
    ///   - title: The chart's accessible name.
    ///   - unit: What the values count ("presses"): the axis's title and part of the description.
    ///   - id: The SVG element's id; by default one derived from the chart (set it when two charts on one page
    ///     share a title and data).
    ///   - maxBars: The most bars drawn; the description names how many were left out.
    /// - Returns: An `<svg>` element.
    public static func horizontalBars(
        _ data: [ChartDatum],
        title: String,
        unit: String,
        id: String? = nil,
        maxBars: Int = 50
    ) -> String {
        guard !data.isEmpty else { return SVGCanvas.empty(kind: "bars", id: id, title: title) }
        let shown = Array(data.prefix(max(maxBars, 1)))
        let row = 40.0
        let top = 12.0
        let left = 240.0
        let right = SVGCanvas.width - 120
        let axisY = top + Double(shown.count) * row + 4
        let ticks = NiceTicks(lower: 0, upper: shown.map { finiteOrZero($0.value) }.max() ?? 0, count: 4)
        let scale = LinearScale(domain: (0, ticks.upper), range: (left, right))
        var canvas = SVGCanvas()
        canvas.bottomAxis(
            ticks: ticks.values.map { (scale($0), NumberText.compact($0)) },
            y: axisY,
            left: left,
            right: right,
            gridTop: top,
            title: unit
        )
        for (index, datum) in shown.enumerated() {
            let y = top + Double(index) * row
            let end = scale(max(finiteOrZero(datum.value), 0))
            let value = NumberText.decimal(datum.value)
            canvas.text(
                SVGCanvas.truncated(datum.label, units: 20),
                x: left - 10,
                y: y + row / 2 + 6,
                anchor: "end",
                className: "chart-label"
            )
            canvas.add(
                "rect",
                [
                    ("class", "chart-bar"), ("x", number(left)), ("y", number(y + 7)), ("width", number(end - left)),
                    ("height", number(row - 14)), ("fill", SVGCanvas.accent),
                ],
                children: SVGCanvas.tooltip("\(SVGCanvas.spoken(datum.label)): \(value) \(unit)")
            )
            canvas.text(value, x: end + 8, y: y + row / 2 + 6, className: "chart-value")
        }
        let description =
            "Horizontal bar chart of \(unit), \(shown.count) bars: "
            + describe(
                shown.map { "\(SVGCanvas.spoken($0.label)) \(NumberText.decimal($0.value))" },
                total: data.count
            )
        return canvas.document(kind: "bars", id: id, title: title, description: description, height: axisY + 64)
    }

    /// Vertical columns with their categories under them; e.g. a histogram, or presses by local hour 0–23.
    /// Category labels that would overlap are thinned (every second, third … is printed).
    /// - Parameters:
    ///   - data: The columns, left to right.
    ///   - title: The chart's accessible name.
    ///   - xLabel: The categories' axis title.
    ///   - yLabel: The values' axis title.
    ///   - id: The SVG element's id; by default one derived from the chart.
    /// - Returns: An `<svg>` element.
    public static func columns(
        _ data: [ChartDatum],
        title: String,
        xLabel: String,
        yLabel: String,
        id: String? = nil
    ) -> String {
        guard !data.isEmpty else { return SVGCanvas.empty(kind: "columns", id: id, title: title) }
        let frame = Frame.standard
        let ticks = NiceTicks(lower: 0, upper: data.map { finiteOrZero($0.value) }.max() ?? 0)
        let scale = LinearScale(domain: (0, ticks.upper), range: (frame.bottom, frame.top))
        var canvas = SVGCanvas()
        canvas.leftAxis(
            ticks: ticks.values.map { (scale($0), NumberText.compact($0)) },
            x: frame.left,
            right: frame.right,
            top: frame.top,
            bottom: frame.bottom,
            title: yLabel
        )
        let slot = (frame.right - frame.left) / Double(data.count)
        let width = min(slot * 0.8, 80)
        let labels = data.map { SVGCanvas.truncated($0.label, units: 12) }
        let widest = labels.map { SVGCanvas.estimatedWidth($0, size: SVGCanvas.smallFontSize) }.max() ?? 0
        let every = max(1, Int(((widest + 8) / slot).rounded(.up)))
        for (index, datum) in data.enumerated() {
            let center = frame.left + (Double(index) + 0.5) * slot
            let y = scale(max(finiteOrZero(datum.value), 0))
            canvas.add(
                "rect",
                [
                    ("class", "chart-bar"), ("x", number(center - width / 2)), ("y", number(y)),
                    ("width", number(width)), ("height", number(frame.bottom - y)), ("fill", SVGCanvas.accent),
                ],
                children: SVGCanvas.tooltip("\(SVGCanvas.spoken(datum.label)): \(NumberText.decimal(datum.value))")
            )
            if index % every == 0 {
                canvas.text(
                    labels[index],
                    x: center,
                    y: frame.bottom + 26,
                    anchor: "middle",
                    size: SVGCanvas.smallFontSize,
                    className: "chart-label"
                )
            }
        }
        canvas.line(
            frame.left,
            frame.bottom,
            frame.right,
            frame.bottom,
            stroke: SVGCanvas.muted,
            width: 1.5,
            className: "chart-axis"
        )
        canvas.text(
            xLabel,
            x: (frame.left + frame.right) / 2,
            y: frame.bottom + 52,
            anchor: "middle",
            className: "chart-axis-title"
        )
        let description =
            "Column chart of \(yLabel) by \(xLabel), \(data.count) columns: "
            + describe(
                data.map { "\(SVGCanvas.spoken($0.label)) \(NumberText.decimal($0.value))" },
                total: data.count
            )
        return canvas.document(kind: "columns", id: id, title: title, description: description, height: frame.height)
    }

    /// A line over time; e.g. presses per minute or per hour over the app's life. The time axis is in UTC, its
    /// ticks spaced by seconds, minutes, hours or days to suit the span. Points whose value is not finite are
    /// left out.
    /// - Parameters:
    ///   - points: The series, in any order.
    ///   - title: The chart's accessible name.
    ///   - yLabel: The values' axis title.
    ///   - id: The SVG element's id; by default one derived from the chart.
    /// - Returns: An `<svg>` element.
    public static func timeSeries(_ points: [TimePoint], title: String, yLabel: String, id: String? = nil) -> String {
        let points = points.filter { $0.value.isFinite && $0.time.timeIntervalSince1970.isFinite }
            .sorted { $0.time < $1.time }
        guard let first = points.first, let last = points.last else {
            return SVGCanvas.empty(kind: "series", id: id, title: title)
        }
        let frame = Frame.standard
        let (start, end) = paddedSpan(first.time, last.time)
        let time = TimeAxis(from: start, to: end)
        let xScale = LinearScale(
            domain: (start.timeIntervalSince1970, end.timeIntervalSince1970),
            range: (frame.left, frame.right)
        )
        let ticks = NiceTicks(lower: min(0, points.map(\.value).min() ?? 0), upper: points.map(\.value).max() ?? 0)
        let yScale = LinearScale(domain: (ticks.lower, ticks.upper), range: (frame.bottom, frame.top))
        var canvas = SVGCanvas()
        canvas.leftAxis(
            ticks: ticks.values.map { (yScale($0), NumberText.compact($0)) },
            x: frame.left,
            right: frame.right,
            top: frame.top,
            bottom: frame.bottom,
            title: yLabel
        )
        canvas.bottomAxis(
            ticks: time.ticks.map { (xScale($0.timeIntervalSince1970), time.label($0)) },
            y: frame.bottom,
            left: frame.left,
            right: frame.right,
            gridTop: nil,
            title: "Time (UTC)"
        )
        let coordinates = points.map { (x: xScale($0.time.timeIntervalSince1970), y: yScale($0.value)) }
        let path = coordinates.enumerated().map {
            "\($0.offset == 0 ? "M" : "L")\(number($0.element.x)) \(number($0.element.y))"
        }
        canvas.add(
            "path",
            [
                ("class", "chart-line"), ("d", path.joined(separator: " ")), ("fill", "none"),
                ("stroke", SVGCanvas.accent), ("stroke-width", "3"), ("stroke-linejoin", "round"),
            ]
        )
        if points.count == 1, let only = coordinates.first {
            canvas.add(
                "circle",
                [
                    ("class", "chart-point"), ("cx", number(only.x)), ("cy", number(only.y)), ("r", "5"),
                    ("fill", SVGCanvas.accent),
                ]
            )
        }
        let peak = points.max { $0.value < $1.value } ?? first
        let description =
            "Line chart of \(yLabel) over time, \(points.count) points from \(TimeAxis.full(first.time)) to "
            + "\(TimeAxis.full(last.time)); highest \(NumberText.decimal(peak.value)) at \(TimeAxis.full(peak.time))."
        return canvas.document(kind: "series", id: id, title: title, description: description, height: frame.height)
    }

    /// A step curve of a share (0...1, printed as %) against x in the caller's unit; e.g. the share of sessions
    /// still pressing after k minutes. Shares outside 0...1 are clamped; points that are not finite are left
    /// out.
    /// - Parameters:
    ///   - points: The curve's corners, in any order.
    ///   - title: The chart's accessible name.
    ///   - xLabel: The horizontal axis's title (with its unit: "Minutes since the first press").
    ///   - yLabel: The vertical axis's title.
    ///   - id: The SVG element's id; by default one derived from the chart.
    /// - Returns: An `<svg>` element.
    public static func survival(
        _ points: [XYPoint],
        title: String,
        xLabel: String,
        yLabel: String = "",
        id: String? = nil
    ) -> String {
        let points = points.filter { $0.x.isFinite && $0.y.isFinite }.sorted { $0.x < $1.x }
        guard let first = points.first, let last = points.last else {
            return SVGCanvas.empty(kind: "survival", id: id, title: title)
        }
        let frame = Frame.standard
        let xTicks = NiceTicks(lower: min(0, first.x), upper: last.x)
        let yTicks = NiceTicks(lower: 0, upper: 1)
        let xScale = LinearScale(domain: (xTicks.lower, xTicks.upper), range: (frame.left, frame.right))
        let yScale = LinearScale(domain: (0, 1), range: (frame.bottom, frame.top))
        var canvas = SVGCanvas()
        canvas.leftAxis(
            ticks: yTicks.values.map { (yScale($0), NumberText.percent($0)) },
            x: frame.left,
            right: frame.right,
            top: frame.top,
            bottom: frame.bottom,
            title: yLabel
        )
        canvas.bottomAxis(
            ticks: xTicks.values.map { (xScale($0), NumberText.compact($0)) },
            y: frame.bottom,
            left: frame.left,
            right: frame.right,
            gridTop: nil,
            title: xLabel
        )
        // A step curve: the share holds until the next x, then drops (or rises) straight to its new value.
        var path = "M\(number(xScale(first.x))) \(number(yScale(first.y)))"
        for point in points.dropFirst() {
            path += " H\(number(xScale(point.x))) V\(number(yScale(point.y)))"
        }
        canvas.add(
            "path",
            [
                ("class", "chart-line chart-step"), ("d", path), ("fill", "none"), ("stroke", SVGCanvas.accent),
                ("stroke-width", "3"),
            ]
        )
        let description =
            "Step chart of the share against \(xLabel), \(points.count) points: "
            + describe(
                points.map { "\(NumberText.decimal($0.x)) \(NumberText.percent(min(max($0.y, 0), 1)))" },
                total: points.count
            )
        return canvas.document(kind: "survival", id: id, title: title, description: description, height: frame.height)
    }

    /// Labelled marks on a UTC time axis; e.g. the first press per country. Labels are staggered over up to
    /// `maxLanes` rows above the axis, each joined to its mark by a thin line, so that many marks close in
    /// time stay legible; marks that find no room keep their dot and tooltip, and the chart says how many
    /// labels it left out.
    /// - Parameters:
    ///   - marks: The marks, in any order.
    ///   - title: The chart's accessible name.
    ///   - id: The SVG element's id; by default one derived from the chart.
    ///   - maxLanes: The most rows of labels.
    /// - Returns: An `<svg>` element.
    public static func timeline(_ marks: [TimeMark], title: String, id: String? = nil, maxLanes: Int = 12) -> String {
        let marks = marks.filter { $0.time.timeIntervalSince1970.isFinite }.sorted {
            ($0.time, $0.label) < ($1.time, $1.label)
        }
        guard let first = marks.first, let last = marks.last else {
            return SVGCanvas.empty(kind: "timeline", id: id, title: title)
        }
        let left = 24.0
        let right = SVGCanvas.width - 24
        let lane = 26.0
        let size = SVGCanvas.smallFontSize
        let (start, end) = paddedSpan(first.time, last.time)
        let time = TimeAxis(from: start, to: end)
        let scale = LinearScale(domain: (start.timeIntervalSince1970, end.timeIntervalSince1970), range: (left, right))

        // Greedy lanes: each label takes the lowest row where it does not touch the previous label.
        var laneEnds: [Double] = []
        var placed: [(mark: TimeMark, x: Double, lane: Int?, text: String, anchor: String)] = []
        for mark in marks {
            let x = scale(mark.time.timeIntervalSince1970)
            let text = SVGCanvas.truncated(mark.label, units: 16)
            let width = SVGCanvas.estimatedWidth(text, size: size)
            let flipped = x + 4 + width > SVGCanvas.width
            let (from, to) = flipped ? (x - 4 - width, x - 4) : (x + 4, x + 4 + width)
            var chosen = laneEnds.firstIndex { $0 + 8 <= from }
            if chosen == nil, laneEnds.count < max(maxLanes, 1) {
                laneEnds.append(-.infinity)
                chosen = laneEnds.count - 1
            }
            if let chosen { laneEnds[chosen] = to }
            placed.append((mark, x, chosen, text, flipped ? "end" : "start"))
        }
        let axisY = 16 + Double(max(laneEnds.count, 1)) * lane + 10
        var canvas = SVGCanvas()
        canvas.bottomAxis(
            ticks: time.ticks.map { (scale($0.timeIntervalSince1970), time.label($0)) },
            y: axisY,
            left: left,
            right: right,
            gridTop: nil,
            title: "Time (UTC)"
        )
        for item in placed {
            var children = SVGCanvas.tooltip("\(SVGCanvas.spoken(item.mark.label)): \(TimeAxis.full(item.mark.time))")
            if let row = item.lane {
                let baseline = axisY - 12 - Double(row) * lane
                children += SVGCanvas.element(
                    "line",
                    [
                        ("x1", number(item.x)), ("y1", number(axisY)), ("x2", number(item.x)),
                        ("y2", number(baseline - 12)),
                        ("stroke", SVGCanvas.grid), ("stroke-width", "1"), ("class", "chart-leader"),
                    ]
                )
                children += SVGCanvas.element(
                    "text",
                    [
                        ("class", "chart-label"), ("x", number(item.x + (item.anchor == "end" ? -4 : 4))),
                        ("y", number(baseline)), ("text-anchor", item.anchor), ("font-size", number(size)),
                    ],
                    text: item.text
                )
            }
            children += SVGCanvas.element(
                "circle",
                [
                    ("class", "chart-mark"), ("cx", number(item.x)), ("cy", number(axisY)), ("r", "5"),
                    ("fill", SVGCanvas.highlight),
                ]
            )
            canvas.add("g", [("class", "chart-event")], children: children)
        }
        let unlabelled = placed.filter { $0.lane == nil }.count
        if unlabelled > 0 {
            canvas.text(
                "\(NumberText.count(unlabelled)) more not labelled (hover the dots)",
                x: right,
                y: axisY + 52,
                anchor: "end",
                size: size,
                fill: SVGCanvas.muted,
                className: "chart-note"
            )
        }
        let description =
            "Timeline of \(marks.count) events from \(TimeAxis.full(first.time)) to \(TimeAxis.full(last.time)): "
            + describe(marks.map { "\(SVGCanvas.spoken($0.label)) \(TimeAxis.full($0.time))" }, total: marks.count)
        return canvas.document(kind: "timeline", id: id, title: title, description: description, height: axisY + 64)
    }

    /// One row per item: a dot at the mean, a whisker from low to high, and the mean and n printed on the
    /// right; e.g. presses per session per cohort with a 95 % confidence interval, for an honest A/B reading.
    /// - Parameters:
    ///   - rows: The rows, top to bottom.
    ///   - title: The chart's accessible name.
    ///   - xLabel: The values' axis title.
    ///   - id: The SVG element's id; by default one derived from the chart.
    ///   - includesZero: Whether the axis starts at zero (when all values are positive), so differences are not
    ///     exaggerated.
    /// - Returns: An `<svg>` element.
    public static func intervals(
        _ rows: [IntervalDatum],
        title: String,
        xLabel: String,
        id: String? = nil,
        includesZero: Bool = true
    ) -> String {
        guard !rows.isEmpty else { return SVGCanvas.empty(kind: "intervals", id: id, title: title) }
        // A missing end of the interval collapses onto the mean; reversed ends are put in order.
        let spans: [(low: Double, mean: Double, high: Double)?] = rows.map { row in
            guard row.mean.isFinite else { return nil }
            let low = row.low.isFinite ? row.low : row.mean
            let high = row.high.isFinite ? row.high : row.mean
            return (min(low, high), row.mean, max(low, high))
        }
        let values = spans.compactMap { $0 }.flatMap { [$0.low, $0.mean, $0.high] }
        let lowest = values.min() ?? 0
        let ticks = NiceTicks(lower: includesZero ? min(0, lowest) : lowest, upper: values.max() ?? 0, count: 4)
        let row = 44.0
        let top = 12.0
        let left = 210.0
        let right = SVGCanvas.width - 190
        let axisY = top + Double(rows.count) * row + 4
        let scale = LinearScale(domain: (ticks.lower, ticks.upper), range: (left, right))
        var canvas = SVGCanvas()
        canvas.bottomAxis(
            ticks: ticks.values.map { (scale($0), NumberText.compact($0)) },
            y: axisY,
            left: left,
            right: right,
            gridTop: top,
            title: xLabel
        )
        for (index, (datum, span)) in zip(rows, spans).enumerated() {
            let y = top + (Double(index) + 0.5) * row
            canvas.text(
                SVGCanvas.truncated(datum.label, units: 17),
                x: left - 10,
                y: y + 6,
                anchor: "end",
                className: "chart-label"
            )
            canvas.text(
                "\(NumberText.decimal(datum.mean)) (n = \(NumberText.count(datum.count)))",
                x: right + 12,
                y: y + 6,
                className: "chart-value"
            )
            guard let span else { continue }
            let (low, mean, high) = (scale(span.low), scale(span.mean), scale(span.high))
            var children = SVGCanvas.tooltip(
                "\(SVGCanvas.spoken(datum.label)): \(NumberText.decimal(span.mean, digits: 2)) "
                    + "(\(NumberText.decimal(span.low, digits: 2)) to \(NumberText.decimal(span.high, digits: 2)))"
            )
            for (x1, y1, x2, y2) in [(low, y, high, y), (low, y - 8, low, y + 8), (high, y - 8, high, y + 8)] {
                children += SVGCanvas.element(
                    "line",
                    [
                        ("x1", number(x1)), ("y1", number(y1)), ("x2", number(x2)), ("y2", number(y2)),
                        ("stroke", SVGCanvas.ink), ("stroke-width", "2.5"),
                    ]
                )
            }
            children += SVGCanvas.element(
                "circle",
                [
                    ("class", "chart-mean"), ("cx", number(mean)), ("cy", number(y)), ("r", "7"),
                    ("fill", SVGCanvas.accent),
                ]
            )
            canvas.add("g", [("class", "chart-interval")], children: children)
        }
        let description =
            "Means with intervals of \(xLabel), \(rows.count) rows: "
            + describe(
                rows.map {
                    "\(SVGCanvas.spoken($0.label)) \(NumberText.decimal($0.mean, digits: 2)) "
                        + "(\(NumberText.decimal($0.low, digits: 2)) to \(NumberText.decimal($0.high, digits: 2)), "
                        + "n = \(NumberText.count($0.count)))"
                },
                total: rows.count
            )
        return canvas.document(kind: "intervals", id: id, title: title, description: description, height: axisY + 64)
    }

    // MARK: - Shared layout

    /// The plot area of the charts with a value axis on the left and a category or time axis at the bottom.
    struct Frame {
        let left: Double
        let right: Double
        let top: Double
        let bottom: Double
        let height: Double

        static let standard = Frame(left: 90, right: SVGCanvas.width - 24, top: 20, bottom: 320, height: 390)
    }

    /// A list for a description: the first ``describedItems`` items, then how many more there are.
    static func describe(_ items: [String], total: Int) -> String {
        let listed = items.prefix(describedItems).joined(separator: "; ")
        let rest = total - min(items.count, describedItems)
        return listed + (rest > 0 ? "; and \(NumberText.count(rest)) more." : ".")
    }

    /// A time span to draw: one instant widens to half an hour on each side, so a single point has an axis.
    static func paddedSpan(_ first: Date, _ last: Date) -> (Date, Date) {
        guard last > first else { return (first.addingTimeInterval(-1_800), first.addingTimeInterval(1_800)) }
        return (first, last)
    }

    static func finiteOrZero(_ value: Double) -> Double {
        value.isFinite ? value : 0
    }
}
