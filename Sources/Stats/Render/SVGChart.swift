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
