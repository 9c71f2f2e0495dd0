internal import Foundation

/// Charts of values per category: bars across, columns up.
extension SVGChart {
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
}
