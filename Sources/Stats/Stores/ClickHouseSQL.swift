/// Values written into ClickHouse SQL text.
///
/// ClickHouse 18.16 (the local stack's) has no query parameters, so the few values a stats
/// query carries (a country code, a time bound) are written into the SQL text. They go
/// through these functions only, never by string concatenation: a string becomes a quoted
/// literal with every quote, backslash and control byte escaped, which both 18.16 and a
/// current ClickHouse read back as exactly the original text.
public enum ClickHouseSQL {
    /// A single-quoted string literal holding exactly `text`.
    ///
    /// Backslash and quote are escaped with a backslash; bytes below 0x20 and 0x7F are written
    /// as `\xHH`, so the literal is one line and no byte can end it early.
    public static func string(_ text: String) -> String {
        var out = "'"
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }

    /// An integer literal: digits only, so nothing to escape.
    public static func integer(_ value: some BinaryInteger) -> String { String(value) }
}
