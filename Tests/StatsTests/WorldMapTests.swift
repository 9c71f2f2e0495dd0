import Foundation
import Testing

@testable import Stats

/// Four square "countries" in a 100×50 map; DE's name carries markup, to prove names are escaped.
private let fixture = """
    {"format":1,"width":100,"height":50,"outline":"M0 0 100 0 100 50 0 50Z","countries":[
    {"code":"US","name":"United States","path":"M5 10 25 10 25 20 5 20Z","compact":"M5 10 25 20 5 20Z"},
    {"code":"GB","name":"United Kingdom","path":"M40 5 44 5 44 9 40 9Z"},
    {"code":"DE","name":"Germany <b>&\\"'","path":"M50 8 55 8 55 13 50 13Z","compact":"M50 8 55 13 50 13Z"},
    {"code":"FR","name":"France","path":"M45 12 50 12 50 17 45 17ZM30 25 32 25 32 27Z"}
    ]}
    """

private func fixtureMap() throws -> WorldMap {
    try WorldMap(json: Data(fixture.utf8), path: "fixture.json")
}

/// Writes `contents` to a fresh temporary file, runs `body` on it, then removes it.
private func withTemporaryFile<T>(_ contents: String, _ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("world-map-\(UUID().uuidString).json")
    try Data(contents.utf8).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

extension ParsedSVG {
    /// The country paths by code, with the text of each one's `<title>`.
    fileprivate var countries: [String: (fill: String, title: String, d: String)] {
        var countries: [String: (fill: String, title: String, d: String)] = [:]
        for element in all("path") {
            guard let code = element.attributes["data-code"] else { continue }
            let title = children(of: element).first { $0.name == "title" }?.text ?? ""
            countries[code] = (element.attributes["fill"] ?? "", title, element.attributes["d"] ?? "")
        }
        return countries
    }
}

/// WCAG relative luminance of "#rrggbb": how light a colour looks, whatever its hue.
private func luminance(_ hex: String) throws -> Double {
    let value = try #require(UInt32(hex.dropFirst(), radix: 16), "not a colour: \(hex)")
    func channel(_ shift: UInt32) -> Double {
        let c = Double((value >> shift) & 0xff) / 255
        return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }
    return 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)
}

@Suite("World map")
struct WorldMapTests {
    @Test("Loads the shapes and their names")
    func loads() throws {
        let map = try fixtureMap()
        #expect(
            map.countryNames == [
                "US": "United States", "GB": "United Kingdom", "DE": "Germany <b>&\"'", "FR": "France",
            ]
        )
        #expect(map.shapes.map(\.code) == ["DE", "FR", "GB", "US"])
        // Without "compact", the full outline serves for both.
        #expect(map.shapes.first { $0.code == "GB" }?.compactPath == "M40 5 44 5 44 9 40 9Z")
        let fromFile = try withTemporaryFile(fixture) { try WorldMap(contentsOf: $0) }
        #expect(fromFile.countryNames == map.countryNames)
    }

    @Test("A missing file is an error naming it and scripts/fetch-map")
    func missingFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent/static/vendor/world-110m.json")
        let error = try #require(throws: WorldMapError.self) { try WorldMap(contentsOf: url) }
        #expect(error.code == .fileMissing)
        #expect(error.path == url.path)
        #expect(error.message.contains(url.path))
        #expect(error.message.contains("run scripts/fetch-map"))
    }

    @Test(
        "A malformed file is an error naming it and scripts/fetch-map",
        arguments: [
            "",
            "not json",
            String(fixture.prefix(200)),
            #"{"format":2,"width":100,"height":50,"outline":"M0 0 1 1 0 1Z","countries":[]}"#,
            #"{"format":1,"width":100,"height":50,"outline":"M0 0 1 1 0 1Z","countries":[]}"#,
            #"{"format":1,"width":0,"height":50,"outline":"M0 0 1 1 0 1Z","countries":[{"code":"GB","name":"UK","path":"M1 1 2 2 1 2Z"}]}"#,
            #"{"format":1,"width":100,"height":50,"outline":"M0 0 1 1 0 1Z","countries":[{"code":"gb","name":"UK","path":"M1 1 2 2 1 2Z"}]}"#,
            #"{"format":1,"width":100,"height":50,"outline":"M0 0 1 1 0 1Z","countries":[{"code":"G\"","name":"UK","path":"M1 1 2 2 1 2Z"}]}"#,
            #"{"format":1,"width":100,"height":50,"outline":"M0 0 1 1 0 1Z","countries":[{"code":"GB","name":"","path":"M1 1 2 2 1 2Z"}]}"#,
            #"{"format":1,"width":100,"height":50,"outline":"M0 0 1 1 0 1Z","countries":[{"code":"GB","name":"UK","path":"M1 1\" onload=\"x"}]}"#,
            #"{"format":1,"width":100,"height":50,"outline":"<x/>","countries":[{"code":"GB","name":"UK","path":"M1 1 2 2 1 2Z"}]}"#,
            #"{"format":1,"width":100,"height":50,"outline":"M0 0 1 1 0 1Z","countries":[{"code":"GB","name":"UK","path":"M1 1 2 2 1 2Z"},{"code":"GB","name":"UK","path":"M1 1 2 2 1 2Z"}]}"#,
        ]
    )
    func malformedFile(contents: String) throws {
        let error = try withTemporaryFile(contents) { url in
            let error = try #require(throws: WorldMapError.self) { try WorldMap(contentsOf: url) }
            #expect(error.message.contains(url.path))
            return error
        }
        #expect(error.code == .fileInvalid)
        #expect(error.message.contains("run scripts/fetch-map"))
    }

    @Test("Colours darken as values grow, on a log scale; no value, zero, NaN and negatives are grey")
    func coloursOrderedByValue() throws {
        let map = try fixtureMap()
        let svg = map.svg(
            values: ["GB": 1, "DE": 10, "FR": 100, "US": 1000],
            title: "Presses by country",
            unit: "presses"
        )
        let countries = try parseSVG(svg).countries
        let byValue = try ["GB", "DE", "FR", "US"].map { try luminance(try #require(countries[$0]?.fill)) }
        #expect(byValue == byValue.sorted(by: >))
        #expect(Set(byValue).count == 4)
        // Log scale: 10 and 100 sit a third and two thirds of the way.
        #expect(countries["GB"]?.fill == MapPalette.colour(at: 0))
        #expect(countries["DE"]?.fill == MapPalette.colour(at: 1.0 / 3))
        #expect(countries["FR"]?.fill == MapPalette.colour(at: 2.0 / 3))
        #expect(countries["US"]?.fill == MapPalette.colour(at: 1))
        #expect(countries["US"]?.title == "United States: 1,000 presses")

        let sparse = try parseSVG(
            map.svg(values: ["GB": 0, "DE": .nan, "FR": -5, "US": 7], title: "t", unit: "presses")
        ).countries
        #expect(sparse["GB"]?.fill == MapPalette.noData)
        #expect(sparse["GB"]?.title == "United Kingdom: 0 presses")
        #expect(sparse["DE"]?.fill == MapPalette.noData)
        #expect(sparse["DE"]?.title.hasSuffix(": no data") == true)
        #expect(sparse["FR"]?.fill == MapPalette.noData)
        #expect(sparse["FR"]?.title == "France: no data")
        // One value alone takes the top of the scale.
        #expect(sparse["US"]?.fill == MapPalette.colour(at: 1))
    }

    @Test("Codes not on the map are not drawn and everything stays grey without data")
    func unknownCodes() throws {
        let map = try fixtureMap()
        let svg = map.svg(values: ["EU": 5, "": 3, "A1": 9, "gb": 4], title: "Presses", unit: "presses")
        let document = try parseSVG(svg)
        #expect(document.countries.count == 4)
        #expect(document.countries.values.allSatisfy { $0.fill == MapPalette.noData })
        #expect(!svg.contains("EU"))
        #expect(!svg.contains("A1"))
        #expect(document.all("linearGradient").isEmpty)
        #expect(document.all("text").map(\.text) == ["no data"])
    }

    @Test("Title, unit and names from data are escaped; characters XML cannot carry are dropped")
    func escaping() throws {
        let map = try fixtureMap()
        let title = "<script>alert(\"x\")</script> & 'q'\u{0}\u{1B}"
        let unit = "<img src=x onerror=alert(1)>"
        let svg = map.svg(values: ["DE": 3, "US": 30], title: title, unit: unit)
        #expect(!svg.contains("<script"))
        #expect(!svg.contains("<img"))
        #expect(!svg.contains("<b>"))
        let document = try parseSVG(svg)
        let titleElement = try #require(document.all("title").first)
        #expect(titleElement.text == "<script>alert(\"x\")</script> & 'q'")
        #expect(document.countries["DE"]?.title == "Germany <b>&\"': 3 \(unit)")
        #expect(document.all("text").contains { $0.text == "30 \(unit) (log scale)" })
        // The ids derived from the hostile title are plain: letters, digits and dashes.
        let labelledBy = try #require(document.root?.attributes["aria-labelledby"])
        #expect(labelledBy.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
    }

    @Test("The SVG is well-formed, titled and described, for the full and the compact map")
    func wellFormed() throws {
        let map = try fixtureMap()
        for compact in [false, true] {
            let svg = map.svg(
                values: ["GB": 12, "US": 3400],
                title: "Presses by country",
                unit: "presses",
                compact: compact
            )
            let document = try parseSVG(svg)
            let root = try #require(document.root)
            #expect(root.name == "svg")
            #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg")
            #expect(root.attributes["viewBox"] == (compact ? "0 0 100 50" : "0 0 100 106"))
            #expect(root.attributes["role"] == "img")
            let ids = Set(document.elements.compactMap { $0.attributes["id"] })
            let titleID = try #require(root.attributes["aria-labelledby"])
            let descID = try #require(root.attributes["aria-describedby"])
            #expect(ids.contains(titleID))
            #expect(ids.contains(descID))
            let desc = try #require(document.all("desc").first)
            #expect(desc.text.contains("2 of 4 countries have a value"))
            #expect(desc.text.contains("highest: United States 3,400, United Kingdom 12 presses"))
        }
    }

    @Test("Ids follow the title, so several maps share a page; the output is deterministic")
    func idsAndDeterminism() throws {
        let map = try fixtureMap()
        var forward: [String: Double] = [:]
        var backward: [String: Double] = [:]
        for (index, code) in ["DE", "FR", "GB", "US"].enumerated() { forward[code] = Double(index + 1) }
        for (index, code) in ["DE", "FR", "GB", "US"].enumerated().reversed() { backward[code] = Double(index + 1) }
        let one = map.svg(values: forward, title: "Presses 2024", unit: "presses")
        #expect(one == map.svg(values: backward, title: "Presses 2024", unit: "presses"))

        func ids(_ svg: String) throws -> Set<String> {
            Set(try parseSVG(svg).elements.compactMap { $0.attributes["id"] })
        }
        let idsOne = try ids(one)
        #expect(idsOne.count == 3)  // title, desc, gradient
        #expect(idsOne.allSatisfy { $0.hasPrefix("map-presses-2024-") })
        let others = [
            map.svg(values: forward, title: "presses-2024", unit: "presses"),
            map.svg(values: forward, title: "Presses 2025", unit: "presses"),
            map.svg(values: forward, title: "Presses 2024", unit: "presses", compact: true),
            map.svg(values: forward, title: "", unit: "presses"),
        ]
        var seen = idsOne
        for other in others {
            let otherIDs = try ids(other)
            #expect(seen.isDisjoint(with: otherIDs))
            seen.formUnion(otherIDs)
        }
    }

    @Test("The compact map has no legend, thinner strokes and the coarser outlines")
    func compactVariant() throws {
        let map = try fixtureMap()
        let values = ["DE": 5.0, "US": 500]
        let full = try parseSVG(map.svg(values: values, title: "Presses", unit: "presses"))
        let compact = try parseSVG(map.svg(values: values, title: "Presses", unit: "presses", compact: true))

        #expect(full.all("g").contains { $0.attributes["class"] == "legend" })
        #expect(full.all("text").map(\.text) == ["no data", "5", "500 presses (log scale)"])
        #expect(full.all("linearGradient").count == 1)
        #expect(compact.all("text").isEmpty)
        #expect(compact.all("linearGradient").isEmpty)
        #expect(!compact.all("g").contains { $0.attributes["class"] == "legend" })

        func strokeWidth(_ document: ParsedSVG) throws -> Double {
            let group = try #require(document.all("g").first { $0.attributes["stroke-width"] != nil })
            return try #require(Double(group.attributes["stroke-width"] ?? ""))
        }
        #expect(try strokeWidth(compact) < strokeWidth(full))
        #expect(compact.countries["US"]?.d == "M5 10 25 20 5 20Z")
        #expect(full.countries["US"]?.d == "M5 10 25 10 25 20 5 20Z")
        #expect(compact.countries["US"]?.fill == full.countries["US"]?.fill)
    }

    @Test("A shared domain gives a value the same colour in every map")
    func sharedDomain() throws {
        let map = try fixtureMap()
        let domain = 1.0...1000
        let early = try parseSVG(map.svg(values: ["GB": 10], title: "2024", unit: "presses", domain: domain))
        let late = try parseSVG(
            map.svg(values: ["GB": 10, "US": 1000], title: "2025", unit: "presses", domain: domain)
        )
        #expect(early.countries["GB"]?.fill == MapPalette.colour(at: 1.0 / 3))
        #expect(late.countries["GB"]?.fill == early.countries["GB"]?.fill)
        // Without the domain, a lone value takes the top colour.
        let alone = try parseSVG(map.svg(values: ["GB": 10], title: "2024", unit: "presses"))
        #expect(alone.countries["GB"]?.fill == MapPalette.colour(at: 1))
    }

    @Test(
        "Values are written without locale: grouped thousands, at most two decimals",
        arguments: [
            (0.0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (1_234_567, "1,234,567"), (3.456, "3.46"),
            (0.5, "0.5"), (1000.05, "1,000.05"), (2.999, "3"), (0.04, "0.04"),
        ]
    )
    func formatting(value: Double, expected: String) {
        #expect(WorldMap.format(value) == expected)
    }

    @Test("The palette runs from light to dark")
    func palette() throws {
        let steps = try (0...20).map { try luminance(MapPalette.colour(at: Double($0) / 20)) }
        #expect(zip(steps, steps.dropFirst()).allSatisfy { $0 > $1 })
        #expect(try luminance(MapPalette.colour(at: 0)) > 0.6)
        #expect(try luminance(MapPalette.colour(at: 1)) < 0.05)
    }

    /// The file scripts/fetch-map installs (stack up runs it): fails, never skips, without it.
    @Test("The installed Natural Earth map has the world's countries where they belong")
    func installedMap() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = root.appendingPathComponent("static/vendor/world-110m.json")
        try #require(
            FileManager.default.fileExists(atPath: url.path),
            "\(url.path) is missing: run scripts/fetch-map (scripts/stack up does)"
        )
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        #expect(size < 300_000)
        let map = try WorldMap(contentsOf: url)
        #expect(map.countryNames.count >= 170)
        #expect(map.countryNames["GB"] == "United Kingdom")
        #expect(map.countryNames["FR"] == "France")
        #expect(map.countryNames["NO"] == "Norway")
        #expect(map.countryNames["XK"] == "Kosovo")
        #expect(map.countryNames["AQ"] == nil)  // Antarctica is left out

        struct Box {
            var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
            var midX: Double { (minX + maxX) / 2 }
            var midY: Double { (minY + maxY) / 2 }
        }
        var boxes: [String: Box] = [:]
        for shape in map.shapes {
            let numbers = shape.path.split { "MLZ ,".contains($0) }.compactMap { Double($0) }
            #expect(numbers.count >= 6 && numbers.count % 2 == 0, "\(shape.code)")
            var box = Box()
            for index in stride(from: 0, to: numbers.count - 1, by: 2) {
                box.minX = min(box.minX, numbers[index])
                box.maxX = max(box.maxX, numbers[index])
                box.minY = min(box.minY, numbers[index + 1])
                box.maxY = max(box.maxY, numbers[index + 1])
            }
            #expect(box.minX >= 0 && box.maxX <= Double(map.width), "\(shape.code) x")
            #expect(box.minY >= 0 && box.maxY <= Double(map.height), "\(shape.code) y")
            boxes[shape.code] = box
        }
        let codes = ["GB", "US", "DE", "JP", "FR", "NO", "BR", "AU", "IN", "CN", "ZA"]
        let box = try Dictionary(uniqueKeysWithValues: codes.map { ($0, try #require(boxes[$0], "\($0) missing")) })
        func at(_ code: String) -> Box { box[code] ?? Box() }
        let width = Double(map.width)
        let height = Double(map.height)
        #expect(at("GB").maxX < at("DE").minX)  // west of Germany
        #expect(at("NO").minY < at("DE").minY)  // north of Germany
        #expect(at("US").maxX < at("GB").minX)
        #expect(at("AU").minX > width / 2 && at("AU").minY > height / 2)  // south-east quadrant
        #expect(at("BR").midX < width / 2 && at("BR").midY > height / 2)
        #expect(at("ZA").midY > at("IN").midY && at("ZA").midX < at("IN").midX)
        #expect(at("JP").maxX > at("CN").maxX && at("JP").midY < at("IN").midY)
        #expect(at("FR").minX < at("DE").maxX)
        for code in codes {
            // Swapped or unprojected coordinates would stretch a country across the map.
            #expect(at(code).maxY - at(code).minY < height / 2, "\(code)")
            if code != "US" && code != "FR" {  // Alaska; French Guiana
                #expect(at(code).maxX - at(code).minX < width / 4, "\(code)")
            }
        }

        let svg = map.svg(
            values: ["GB": 120, "US": 4500, "DE": 60, "EU": 3],
            title: "Presses by country",
            unit: "presses"
        )
        let document = try parseSVG(svg)
        #expect(document.countries.count == map.countryNames.count)
        #expect(svg.utf8.count < 200_000)
        let compact = map.svg(values: ["GB": 120], title: "Presses by country", unit: "presses", compact: true)
        _ = try parseSVG(compact)
        #expect(compact.utf8.count < 60_000)
    }
}
