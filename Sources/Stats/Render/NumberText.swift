internal import Foundation

/// Numbers as the stats page prints them: thousands grouped with commas, one decimal where a value is
/// fractional, shares as percentages. Locale-independent on purpose: the page reads the same on every server.
/// A value that is not finite prints as an em dash, never as "nan" or "inf".
public enum NumberText {
    /// What a value that is not a number (NaN, ±infinity) prints as.
    public static let missing = "\u{2014}"

    /// A count with grouped thousands: 1234567 → "1,234,567", -1234 → "-1,234".
    /// - Parameter value: The count.
    /// - Returns: The grouped digits.
    public static func count(_ value: Int) -> String {
        (value < 0 ? "-" : "") + grouped(String(value.magnitude))
    }

    /// A number rounded to `digits` decimals, grouped, with no decimals when the rounded value is whole:
    /// 2.345 → "2.3", 2.0 → "2", 1234.56 → "1,234.6".
    /// - Parameters:
    ///   - value: The number.
    ///   - digits: Decimals to keep when the value is fractional (0...6).
    /// - Returns: The number as text, or ``missing`` when it is not finite.
    public static func decimal(_ value: Double, digits: Int = 1) -> String {
        guard value.isFinite else { return missing }
        // Beyond 10^15 digits stop meaning anything (and scaling could overflow to infinity): print 1.8e+308.
        guard value.magnitude < 1e15 else { return String(format: "%.1e", value) }
        let digits = min(max(digits, 0), 6)
        let scale = pow(10, Double(digits))
        var rounded = (value * scale).rounded() / scale
        if rounded == 0 { rounded = 0 }  // -0.04 rounds to -0: print "0", not "-0"
        let whole = rounded == rounded.rounded(.towardZero)
        let text = String(format: "%.\(whole ? 0 : digits)f", rounded.magnitude)
        let parts = text.split(separator: ".", maxSplits: 1)
        let integer = grouped(String(parts.first ?? "0"))
        let fraction = parts.count > 1 ? "." + parts[1] : ""
        return (rounded < 0 ? "-" : "") + integer + fraction
    }

    /// A share in 0...1 as a percentage: 0.1234 → "12.3%", 0.5 → "50%".
    /// - Parameters:
    ///   - share: The share (1 is 100 %); values outside 0...1 print as they are (1.5 → "150%").
    ///   - digits: Decimals of the percentage when it is fractional.
    /// - Returns: The percentage, or ``missing`` when the share is not finite.
    public static func percent(_ share: Double, digits: Int = 1) -> String {
        guard share.isFinite else { return missing }
        return decimal(share * 100, digits: digits) + "%"
    }

    /// A short axis label: 950 → "950", 12 000 → "12k", 2 500 000 → "2.5M"; an axis of 10 M events keeps its
    /// labels narrow enough to read from the back of the room.
    static func compact(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        let magnitude = value.magnitude
        for (limit, unit, suffix) in [(1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")] where magnitude >= limit {
            return decimal(value / unit, digits: 1) + suffix
        }
        return decimal(value, digits: 2)
    }

    /// Inserts a comma every three digits from the right of a run of digits.
    private static func grouped(_ digits: String) -> String {
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }
}
