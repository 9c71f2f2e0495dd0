/// Text helpers for the server-rendered stats page.
public enum HTML {
    /// Escapes text for element content and double-quoted (or single-quoted) attribute values, in HTML and in
    /// the inline SVG (XML) the charts are: `&`, `<`, `>`, `"` and `'` become entities.
    ///
    /// Characters that XML 1.0 forbids (C0 controls other than tab, line feed and carriage return) and the
    /// noncharacters U+FFFE and U+FFFF become U+FFFD: a label from the database holding one of them would
    /// otherwise make the whole SVG, and so the page, ill-formed.
    /// - Parameter text: Any text, typically from data (country names, labels) or from a request.
    /// - Returns: The text, safe to place between tags or inside an attribute's quotes.
    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            case "\t", "\n", "\r": out.append(scalar)
            case "\u{0}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": out.append("\u{FFFD}")
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
