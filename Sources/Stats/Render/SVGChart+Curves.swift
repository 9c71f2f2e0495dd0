internal import Foundation

/// Curves: a value over time, a share against x.
extension SVGChart {
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
            "Line chart of \(yLabel) over time, \(points.count) points from \(time.full(first.time)) to "
            + "\(time.full(last.time)); highest \(NumberText.decimal(peak.value)) at \(time.full(peak.time))."
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
}
