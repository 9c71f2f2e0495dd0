internal import Foundation

/// Means with confidence intervals side by side.
extension SVGChart {
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
}
