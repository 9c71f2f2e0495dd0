internal import Foundation

/// Events on a time axis.
extension SVGChart {
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
            var children = SVGCanvas.tooltip("\(SVGCanvas.spoken(item.mark.label)): \(time.full(item.mark.time))")
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
                "\(NumberText.count(unlabelled)) more without a label",
                x: right,
                y: axisY + 52,
                anchor: "end",
                size: size,
                fill: SVGCanvas.muted,
                className: "chart-note"
            )
        }
        let description =
            "Timeline of \(marks.count) events from \(time.full(first.time)) to \(time.full(last.time)): "
            + describe(marks.map { "\(SVGCanvas.spoken($0.label)) \(time.full($0.time))" }, total: marks.count)
        return canvas.document(kind: "timeline", id: id, title: title, description: description, height: axisY + 64)
    }
}
