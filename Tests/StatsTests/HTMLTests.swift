import Foundation
import Testing

@testable import Stats

@Suite("HTML escaping, number text and axis ticks")
struct HTMLTests {
    @Test("escape turns the five markup characters into entities and leaves other text alone")
    func escape() {
        #expect(
            HTML.escape("<a href=\"x\">Tom & 'Jerry'</a>")
                == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        )
        #expect(HTML.escape("&amp;") == "&amp;amp;")
        #expect(HTML.escape("🇬🇧 Zürich العربية 東京") == "🇬🇧 Zürich العربية 東京")
        #expect(HTML.escape("tab\tline\ncr\r") == "tab\tline\ncr\r")
    }

    @Test("escape replaces characters XML forbids, so a label cannot make the page ill-formed")
    func escapeControlCharacters() {
        #expect(HTML.escape("a\u{0}b\u{1B}c\u{FFFF}") == "a\u{FFFD}b\u{FFFD}c\u{FFFD}")
    }

    @Test("counts group thousands")
    func counts() {
        #expect(NumberText.count(0) == "0")
        #expect(NumberText.count(999) == "999")
        #expect(NumberText.count(1_000) == "1,000")
        #expect(NumberText.count(1_234_567) == "1,234,567")
        #expect(NumberText.count(-1_234) == "-1,234")
        #expect(NumberText.count(Int.min) == "-9,223,372,036,854,775,808")
    }

    @Test("decimals: one decimal where fractional, none where whole, a dash for NaN")
    func decimals() {
        #expect(NumberText.decimal(2.345) == "2.3")
        #expect(NumberText.decimal(2.0) == "2")
        #expect(NumberText.decimal(2.96) == "3")
        #expect(NumberText.decimal(1_234.56) == "1,234.6")
        #expect(NumberText.decimal(-0.04) == "0")
        #expect(NumberText.decimal(-2.25, digits: 2) == "-2.25")
        #expect(NumberText.decimal(.nan) == "—")
        #expect(NumberText.decimal(.infinity) == "—")
        #expect(NumberText.decimal(.greatestFiniteMagnitude) == "1.8e+308")
    }

    @Test("percentages")
    func percents() {
        #expect(NumberText.percent(0.1234) == "12.3%")
        #expect(NumberText.percent(0.5) == "50%")
        #expect(NumberText.percent(1) == "100%")
        #expect(NumberText.percent(0) == "0%")
        #expect(NumberText.percent(0.12346, digits: 2) == "12.35%")
        #expect(NumberText.percent(.nan) == "—")
    }

    @Test("compact axis numbers")
    func compact() {
        #expect(NumberText.compact(950) == "950")
        #expect(NumberText.compact(12_000) == "12k")
        #expect(NumberText.compact(2_500_000) == "2.5M")
        #expect(NumberText.compact(0.25) == "0.25")
    }

    @Test(
        "ticks are 1, 2 or 5 × 10^k and cover the data",
        arguments: [
            (0.0, 1_234.0), (0, 97), (0, 1), (0, 0.003), (-7, 42), (3, 3), (0, 0), (0, 10_000_000), (12.5, 13.1),
        ]
    )
    func niceTicks(lower: Double, upper: Double) throws {
        let ticks = NiceTicks(lower: lower, upper: upper)
        let mantissa = ticks.step / pow(10, log10(ticks.step).rounded(.down))
        #expect([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "step \(ticks.step)")
        #expect(ticks.lower <= lower && ticks.upper >= upper && ticks.upper > ticks.lower)
        #expect((3...11).contains(ticks.values.count), "\(ticks.values)")
        #expect(abs((ticks.values.last ?? 0) - ticks.upper) < ticks.step * 1e-9)
    }

    @Test("known tick choices")
    func tickExamples() {
        #expect(NiceTicks(lower: 0, upper: 97).values == [0, 20, 40, 60, 80, 100])
        #expect(NiceTicks(lower: 0, upper: 1_234).values == [0, 500, 1_000, 1_500])
        #expect(NiceTicks(lower: 0, upper: 0).lower == 0 && NiceTicks(lower: 0, upper: 0).upper == 1)
        #expect(NiceTicks(lower: 5, upper: 5).values == [0, 1, 2, 3, 4, 5])
        #expect(NiceTicks(lower: .nan, upper: .infinity).upper.isFinite)
        #expect(NiceTicks.niceStep(0.03) == 0.05)
        #expect(NiceTicks.niceStep(700) == 1_000)
    }

    @Test("truncation keeps short labels and cuts long ones with an ellipsis, counting wide characters twice")
    func truncation() {
        #expect(SVGCanvas.truncated("France", units: 20) == "France")
        #expect(SVGCanvas.truncated(String(repeating: "a", count: 20), units: 20) == String(repeating: "a", count: 20))
        #expect(
            SVGCanvas.truncated(String(repeating: "a", count: 21), units: 20) == String(repeating: "a", count: 19) + "…"
        )
        #expect(SVGCanvas.truncated("日本語のとても長い国の名前です", units: 10) == "日本語の…")
        #expect(SVGCanvas.truncated("e" + String(repeating: "\u{301}", count: 10_000), units: 20) == "…")
        #expect(SVGCanvas.truncated("United Kingdom of Great Britain", units: 16) == "United Kingdom…")
    }

    @Test("coordinates have at most one decimal and are never nan")
    func coordinates() {
        #expect(number(12.34) == "12.3")
        #expect(number(300) == "300")
        #expect(number(-0.01) == "0")
        #expect(number(.nan) == "0")
        #expect(number(.infinity) == "0")
        #expect(number(1e300) == "10000000")
    }
}
