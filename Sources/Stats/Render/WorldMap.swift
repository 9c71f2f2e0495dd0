public import Foundation

/// The stats page's world map: country outlines already projected by scripts/fetch-map
/// (Natural Earth 1:110m, public domain), filled by a value per country.
///
/// Rendering is pure string building over shapes loaded once: no file access, no randomness,
/// the same values give the same bytes, so a panel cache can keep the result.
public struct WorldMap: Sendable {
    /// One country's outlines, with what rendering needs already escaped.
    struct Shape: Sendable {
        let code: String
        let name: String
        /// SVG path data of the full-size map.
        let path: String
        /// Coarser path data for small multiples, where detail is lost anyway.
        let compactPath: String
    }

    /// Country names by ISO alpha-2 code, as the shapes file names them.
    public let countryNames: [String: String]
    /// Width and height of the projected map in viewBox units.
    let width: Int
    let height: Int
    /// The projection's edge: drawn as the sea.
    let outline: String
    /// Sorted by code, so the output's order never depends on a dictionary's.
    let shapes: [Shape]

    /// Loads the projected shapes written by scripts/fetch-map.
    /// - Parameter url: the file, normally `static/vendor/world-110m.json`.
    /// - Throws: `WorldMapError` naming the file and saying to run scripts/fetch-map when it
    ///   is missing or malformed.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw WorldMapError(
                .fileMissing,
                "cannot read the world map \(url.path) (\(error.localizedDescription)): run scripts/fetch-map",
                path: url.path
            )
        }
        try self.init(json: data, path: url.path)
    }

    /// Parses and checks the file's contents; `path` only names the file in errors.
    init(json: Data, path: String) throws {
        func invalid(_ reason: String) -> WorldMapError {
            WorldMapError(
                .fileInvalid,
                "the world map \(path) is not one scripts/fetch-map writes (\(reason)): run scripts/fetch-map again",
                path: path
            )
        }
        let file: MapFile
        do {
            file = try JSONDecoder().decode(MapFile.self, from: json)
        } catch {
            throw invalid("not the expected JSON: \(error)")
        }
        guard file.format == 1 else { throw invalid("format \(file.format), expected 1") }
        guard (1...100_000).contains(file.width), (1...100_000).contains(file.height) else {
            throw invalid("size \(file.width)×\(file.height)")
        }
        guard Self.isPathData(file.outline) else { throw invalid("bad outline path data") }
        var names: [String: String] = [:]
        var shapes: [Shape] = []
        for country in file.countries {
            // Codes become attribute values and are matched against query results: two
            // capital ASCII letters only, so neither needs escaping or normalising.
            guard country.code.utf8.count == 2, country.code.utf8.allSatisfy({ (65...90).contains($0) }) else {
                throw invalid("country code \"\(country.code)\"")
            }
            guard names[country.code] == nil else { throw invalid("country \(country.code) twice") }
            guard !country.name.isEmpty, !country.path.isEmpty, Self.isPathData(country.path) else {
                throw invalid("country \(country.code) has no name or bad path data")
            }
            let compact = country.compact ?? country.path
            guard Self.isPathData(compact) else { throw invalid("country \(country.code) has bad compact path data") }
            names[country.code] = country.name
            shapes.append(Shape(code: country.code, name: country.name, path: country.path, compactPath: compact))
        }
        guard !shapes.isEmpty else { throw invalid("no countries") }
        self.countryNames = names
        self.width = file.width
        self.height = file.height
        self.outline = file.outline
        self.shapes = shapes.sorted { $0.code < $1.code }
    }

    /// The map: each country filled by its value on a sequential colour scale (log scale:
    /// counts are skewed), countries without a value in a neutral grey, a `<title>` per
    /// country with name and value (hover), and a legend with the scale's bounds.
    ///
    /// Values that are NaN, infinite or negative are ignored, as are codes not on the map
    /// ("EU", "", "A1", states too small for 1:110m): the page lists those elsewhere. A value
    /// of 0 is shown in the country's title but coloured like no value (a log scale has no 0).
    /// Element ids derive from the title (and `compact`), so maps with different titles can
    /// share one page.
    /// - Parameters:
    ///   - values: value per ISO alpha-2 code, e.g. presses per country.
    ///   - title: the map's accessible title (escaped here).
    ///   - unit: what the values count, e.g. "presses" (escaped here).
    ///   - compact: a small version for small multiples: no legend, thinner strokes, coarser outlines.
    ///   - domain: the colour scale's bounds, both positive; nil (or an unusable range) takes the
    ///     smallest and largest positive value drawn. Small multiples pass one domain so that a
    ///     colour means the same in each.
    /// - Returns: a standalone `<svg>` element.
    public func svg(
        values: [String: Double],
        title: String,
        unit: String,
        compact: Bool = false,
        domain: ClosedRange<Double>? = nil
    ) -> String {
        var drawn: [String: Double] = [:]
        for (code, value) in values where value.isFinite && value >= 0 && countryNames[code] != nil {
            drawn[code] = value
        }
        let scale = LogScale(values: drawn.values, domain: domain)
        let id = Self.idBase(title: title, compact: compact)
        let legendHeight = compact ? 0 : 56
        let unitText = Self.text(unit)

        var svg = ""
        svg.reserveCapacity(compact ? 40_000 : 140_000)
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height + legendHeight)\""
        svg += " class=\"world-map\(compact ? " compact" : "")\" role=\"img\""
        svg += " aria-labelledby=\"\(id)-title\" aria-describedby=\"\(id)-desc\">"
        svg += "<title id=\"\(id)-title\">\(Self.text(title))</title>"
        svg += "<desc id=\"\(id)-desc\">\(description(of: drawn, title: title, unit: unit, scale: scale))</desc>"
        svg += "<path d=\"\(outline)\" fill=\"\(MapPalette.sea)\"/>"
        // Strokes keep their width in screen pixels (non-scaling-stroke), so a map drawn
        // small keeps hairline borders instead of borders that eat small countries.
        svg += "<g stroke=\"#ffffff\" stroke-width=\"\(compact ? "0.4" : "0.75")\" stroke-linejoin=\"round\""
        svg += " fill-rule=\"evenodd\">"
        for shape in shapes {
            let value = drawn[shape.code]
            let fill = value.flatMap { scale?.position(of: $0) }.map(MapPalette.colour(at:)) ?? MapPalette.noData
            let label = value.map { "\(Self.format($0)) \(unitText)" } ?? "no data"
            svg += "<path data-code=\"\(shape.code)\" d=\"\(compact ? shape.compactPath : shape.path)\""
            svg += " fill=\"\(fill)\" vector-effect=\"non-scaling-stroke\">"
            svg += "<title>\(Self.text(shape.name)): \(label)</title></path>"
        }
        svg += "</g>"
        if !compact {
            svg += legend(id: id, top: height, scale: scale, unit: unitText)
        }
        svg += "</svg>"
        return svg
    }

    /// The legend below the map: the no-data swatch, then the scale's bounds on either side of
    /// a gradient that samples the same palette as the countries.
    private func legend(id: String, top: Int, scale: LogScale?, unit: String) -> String {
        let y = top + 14
        let baseline = y + 17
        var legend = "<g class=\"legend\" font-family=\"sans-serif\" font-size=\"20\" fill=\"#222222\">"
        legend += "<rect x=\"20\" y=\"\(y)\" width=\"22\" height=\"22\" fill=\"\(MapPalette.noData)\"/>"
        legend += "<text x=\"50\" y=\"\(baseline)\">no data</text>"
        if let scale {
            legend += "<defs><linearGradient id=\"\(id)-scale\">"
            for step in 0...10 {
                let t = Double(step) / 10
                legend += "<stop offset=\"\(Self.format(t))\" stop-color=\"\(MapPalette.colour(at: t))\"/>"
            }
            legend += "</linearGradient></defs>"
            legend += "<text x=\"320\" y=\"\(baseline)\" text-anchor=\"end\">\(Self.format(scale.lower))</text>"
            legend += "<rect x=\"330\" y=\"\(y)\" width=\"300\" height=\"22\" fill=\"url(#\(id)-scale)\"/>"
            legend += "<text x=\"640\" y=\"\(baseline)\">\(Self.format(scale.upper)) \(unit) (log scale)</text>"
        }
        legend += "</g>"
        return legend
    }

    /// The `<desc>`: what a screen reader says instead of the picture.
    private func description(of drawn: [String: Double], title: String, unit: String, scale: LogScale?) -> String {
        let withData = drawn.filter { $0.value > 0 }
        var text = "World map: \(title). \(withData.count) of \(shapes.count) countries have a value"
        if let scale {
            let top = withData.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
            let highest = top.map { "\(countryNames[$0.key] ?? $0.key) \(Self.format($0.value))" }
            text += "; highest: \(highest.joined(separator: ", ")) \(unit)"
            text += "; colours on a log scale from \(Self.format(scale.lower)) to \(Self.format(scale.upper))."
        } else {
            text += "."
        }
        return Self.text(text)
    }

    // MARK: Helpers

    /// Escapes text for the SVG, first dropping the characters XML 1.0 cannot carry at all
    /// (control characters other than tab and newlines, U+FFFE, U+FFFF), even escaped.
    static func text(_ raw: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in raw.unicodeScalars where Self.isXMLCharacter(scalar) {
            scalars.append(scalar)
        }
        return HTML.escape(String(scalars))
    }

    private static func isXMLCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    /// Ids unique per title: a readable slug plus a hash of the exact title, so titles that
    /// slug alike ("Presses 2024" and "presses-2024") still differ. FNV-1a: stable across runs,
    /// unlike `Hasher`.
    static func idBase(title: String, compact: Bool) -> String {
        var slug = ""
        for byte in title.lowercased().utf8.prefix(40) {
            if (97...122).contains(byte) || (48...57).contains(byte) {
                slug.append(Character(Unicode.Scalar(byte)))
            } else if !slug.isEmpty, !slug.hasSuffix("-") {
                slug.append("-")
            }
        }
        var hash: UInt32 = 2_166_136_261
        for byte in (compact ? "compact:" + title : title).utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        if !slug.isEmpty, !slug.hasSuffix("-") { slug.append("-") }
        let hex = String(hash, radix: 16)
        return "map-" + slug + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// A value as the page shows it: whole numbers with thousands separators, others with at
    /// most two decimals. Locale-independent, so the output does not depend on the machine.
    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        guard rounded.isFinite, abs(rounded) < 1e15 else { return "\(value)" }
        let cents = Int64((abs(rounded) * 100).rounded())
        var whole = String(cents / 100)
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole.removeLast(3)
        }
        grouped = (rounded < 0 ? "-" : "") + whole + grouped
        let fraction = cents % 100
        if fraction == 0 { return grouped }
        let digits = fraction % 10 == 0 ? String(fraction / 10) : (fraction < 10 ? "0\(fraction)" : String(fraction))
        return "\(grouped).\(digits)"
    }

    /// Path data as scripts/fetch-map writes it: commands and numbers only, so it can go into
    /// an attribute as it is.
    private static func isPathData(_ path: String) -> Bool {
        !path.isEmpty && path.utf8.allSatisfy { pathBytes.contains($0) }
    }

    private static let pathBytes = Set("0123456789.-, MLZ".utf8)
}

/// The file scripts/fetch-map writes.
private struct MapFile: Decodable {
    struct Country: Decodable {
        let code: String
        let name: String
        let path: String
        let compact: String?
    }

    let format: Int
    let width: Int
    let height: Int
    let outline: String
    let countries: [Country]
}

extension WorldMap {
    /// A logarithmic colour scale over positive values: counts per country span several orders of
    /// magnitude, and a linear scale would paint every country but the top one the same colour.
    struct LogScale {
        let lower: Double
        let upper: Double

        /// Nil when nothing positive is drawn: there is no scale to show.
        init?(values: some Sequence<Double>, domain: ClosedRange<Double>?) {
            if let domain, domain.lowerBound > 0, domain.upperBound.isFinite {
                lower = domain.lowerBound
                upper = domain.upperBound
                return
            }
            var lower = Double.infinity
            var upper = 0.0
            for value in values where value > 0 {
                lower = min(lower, value)
                upper = max(upper, value)
            }
            guard upper > 0 else { return nil }
            self.lower = lower
            self.upper = upper
        }

        /// Where a value falls on the scale, 0…1 (clamped); nil for a value of 0.
        func position(of value: Double) -> Double? {
            guard value > 0 else { return nil }
            guard upper > lower else { return 1 }
            let t = (log(value) - log(lower)) / (log(upper) - log(lower))
            return min(1, max(0, t))
        }
    }
}
