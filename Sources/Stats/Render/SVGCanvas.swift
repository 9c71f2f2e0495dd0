internal import Foundation

/// Builds one chart's SVG markup: the root element with its accessible name, the shapes, the axes. Every
/// attribute value and text goes through ``HTML/escape(_:)``; every coordinate through ``number(_:)``.
struct SVGCanvas {
    /// The viewBox's width: charts scale to their container, and text sized for 800 units reads on a projector.
    static let width = 800.0
    static let fontSize = 18.0
    static let smallFontSize = 16.0
    /// Colours chosen for contrast on a white page and a washed-out projector; style.css may override the
    /// classes.
    static let ink = "#111111"
    static let muted = "#444444"
    static let grid = "#d4d4d4"
    static let accent = "#1f5fa8"
    static let highlight = "#c2410c"

    private(set) var body = ""

    /// Appends an element. `text` is escaped; `children` is markup this file built.
    mutating func add(_ name: String, _ attributes: [(String, String)], text: String? = nil, children: String = "") {
        body += Self.element(name, attributes, text: text, children: children)
    }

    static func element(
        _ name: String,
        _ attributes: [(String, String)],
        text: String? = nil,
        children: String = ""
    ) -> String {
        var out = "<" + name
        for (key, value) in attributes { out += " \(key)=\"\(HTML.escape(value))\"" }
        guard text != nil || !children.isEmpty else { return out + "/>" }
        return out + ">" + HTML.escape(text ?? "") + children + "</\(name)>"
    }

    /// A tooltip (`<title>` child) for a shape: browsers show it on hover, screen readers read it.
    static func tooltip(_ text: String) -> String {
        element("title", [], text: text)
    }

    mutating func line(
        _ x1: Double,
        _ y1: Double,
        _ x2: Double,
        _ y2: Double,
        stroke: String,
        width: Double = 1,
        className: String
    ) {
        add(
            "line",
            [
                ("class", className), ("x1", number(x1)), ("y1", number(y1)), ("x2", number(x2)), ("y2", number(y2)),
                ("stroke", stroke), ("stroke-width", number(width)),
            ]
        )
    }

    mutating func text(
        _ content: String,
        x: Double,
        y: Double,
        anchor: String = "start",
        size: Double = fontSize,
        fill: String = ink,
        className: String,
        extra: [(String, String)] = []
    ) {
        add(
            "text",
            [
                ("class", className), ("x", number(x)), ("y", number(y)), ("text-anchor", anchor),
                ("font-size", number(size)), ("fill", fill),
            ] + extra,
            text: content
        )
    }

    /// An axis along the bottom of a plot: a line, tick marks with labels under them, vertical grid lines up to
    /// `gridTop`, and the axis's title under the labels.
    mutating func bottomAxis(
        ticks: [(x: Double, label: String)],
        y: Double,
        left: Double,
        right: Double,
        gridTop: Double?,
        title: String
    ) {
        for tick in ticks {
            if let gridTop { line(tick.x, gridTop, tick.x, y, stroke: Self.grid, className: "chart-grid") }
            line(tick.x, y, tick.x, y + 6, stroke: Self.muted, className: "chart-tick")
            text(
                tick.label,
                x: tick.x,
                y: y + 26,
                anchor: "middle",
                size: Self.smallFontSize,
                fill: Self.muted,
                className: "chart-tick-label"
            )
        }
        line(left, y, right, y, stroke: Self.muted, width: 1.5, className: "chart-axis")
        if !title.isEmpty {
            text(title, x: (left + right) / 2, y: y + 52, anchor: "middle", className: "chart-axis-title")
        }
    }

    /// An axis along the left of a plot: tick labels right-aligned against it, horizontal grid lines across to
    /// `right`, and the axis's title turned a quarter.
    mutating func leftAxis(
        ticks: [(y: Double, label: String)],
        x: Double,
        right: Double,
        top: Double,
        bottom: Double,
        title: String
    ) {
        for tick in ticks {
            line(x, tick.y, right, tick.y, stroke: Self.grid, className: "chart-grid")
            text(
                tick.label,
                x: x - 8,
                y: tick.y + 6,
                anchor: "end",
                size: Self.smallFontSize,
                fill: Self.muted,
                className: "chart-tick-label"
            )
        }
        line(x, top, x, bottom, stroke: Self.muted, width: 1.5, className: "chart-axis")
        if !title.isEmpty {
            let middle = (top + bottom) / 2
            text(
                Self.truncated(title, units: 28),
                x: 20,
                y: middle,
                anchor: "middle",
                className: "chart-axis-title",
                extra: [("transform", "rotate(-90 20 \(number(middle)))")]
            )
        }
    }

    /// The complete `<svg>` element.
    /// - Parameters:
    ///   - kind: The chart's kind, a class name and part of the id (`bars`, `columns` …).
    ///   - id: The caller's id, or nil to derive one from the kind, title and description.
    ///   - title: The chart's accessible name (its `<title>`).
    ///   - description: What the chart shows, in words (its `<desc>`).
    ///   - height: The viewBox's height.
    func document(kind: String, id: String?, title: String, description: String, height: Double) -> String {
        let id = Self.chartID(kind: kind, given: id, title: title, description: description)
        let root: [(String, String)] = [
            ("xmlns", "http://www.w3.org/2000/svg"), ("class", "chart chart-\(kind)"),
            ("viewBox", "0 0 \(number(Self.width)) \(number(height))"), ("width", "100%"), ("role", "img"),
            ("aria-labelledby", "\(id)-title"), ("aria-describedby", "\(id)-desc"), ("id", id),
            ("font-family", "system-ui, sans-serif"), ("font-size", number(Self.fontSize)), ("fill", Self.ink),
        ]
        let head =
            Self.element("title", [("id", "\(id)-title")], text: title)
            + Self.element("desc", [("id", "\(id)-desc")], text: description)
        return Self.element("svg", root, children: head + body)
    }

    /// A chart with nothing to draw yet (the page works on an empty database): its title, and "No data yet".
    static func empty(kind: String, id: String?, title: String) -> String {
        var canvas = SVGCanvas()
        canvas.text(
            "No data yet",
            x: width / 2,
            y: 88,
            anchor: "middle",
            size: 28,
            fill: muted,
            className: "chart-empty"
        )
        return canvas.document(kind: kind, id: id, title: title, description: "No data yet.", height: 140)
    }

    /// An id unique on a page of many charts and the same for the same chart every time: a slug of the title
    /// (readable in the page source) and a hash of the kind, title and description (charts with the same title
    /// but other data differ). A given id keeps only the characters valid in an id.
    static func chartID(kind: String, given: String?, title: String, description: String) -> String {
        if let given {
            let kept = String(
                given.unicodeScalars.filter {
                    $0.isASCII && ($0.properties.isAlphabetic || "0123456789-_".unicodeScalars.contains($0))
                }
            )
            if let first = kept.unicodeScalars.first, first.properties.isAlphabetic { return kept }
            return "chart-" + kept
        }
        var hash: UInt32 = 2_166_136_261  // FNV-1a: stable across runs and processes, unlike Hasher
        for byte in (kind + "\u{0}" + title + "\u{0}" + description).utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        var slug = ""
        for scalar in title.lowercased().unicodeScalars {
            let keep = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
            if keep { slug.unicodeScalars.append(scalar) } else if !slug.isEmpty, slug.last != "-" { slug += "-" }
            if slug.count >= 24 { break }
        }
        while slug.last == "-" { slug.removeLast() }
        let hex = String(hash, radix: 16)
        return "chart-\(kind)-" + (slug.isEmpty ? "" : slug + "-") + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Shortens text that would not fit in `units` average character widths, ending it with "…". Wide
    /// characters (CJK, emoji) count two; a cluster with many combining marks counts its scalars too, so a
    /// 10 000-character label, or one "character" of 10 000 marks, stays inside the layout.
    static func truncated(_ text: String, units: Int) -> String {
        let units = max(units, 2)
        var kept = Substring()
        var used = 0
        var scalars = 0
        for (index, character) in zip(text.indices, text) {
            let width = displayWidth(character)
            used += width
            scalars += character.unicodeScalars.count
            if used > units || scalars > units * 4 {
                return kept.trimmingCharacters(in: .whitespaces) + "\u{2026}"
            }
            // The prefix that still leaves room for the ellipsis, should the text turn out too long.
            if used <= units - 1 { kept = text[text.startIndex...index] }
        }
        return text
    }

    /// About how wide a character is, in average Latin character widths.
    static func displayWidth(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        if scalar.properties.isEmojiPresentation { return 2 }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1FAFF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    /// A label from data placed in a sentence (a description or tooltip): shortened less than on the chart,
    /// and between Unicode bidi isolates so a right-to-left label cannot reorder the words around it.
    static func spoken(_ label: String) -> String {
        "\u{2068}" + truncated(label, units: 80) + "\u{2069}"
    }

    /// The pixel width `text` needs at `size`, estimated from its display width.
    static func estimatedWidth(_ text: String, size: Double = fontSize) -> Double {
        Double(text.reduce(0) { $0 + displayWidth($1) }) * size * 0.6
    }
}

/// A coordinate with at most one decimal ("12.5", "300"), and "0" for a value that is not finite: the HTML
/// stays small and never holds "nan".
func number(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let clamped = min(max(value, -1e7), 1e7)
    var rounded = (clamped * 10).rounded() / 10
    if rounded == 0 { rounded = 0 }
    if rounded == rounded.rounded() { return String(Int(rounded)) }
    return String(rounded)
}
