// TEMPORARY until HTML.escape lands: the lead deletes this file at merge, when the
// stats page's own `HTML.escape(_:)` (same signature) replaces it.

/// HTML and XML escaping for text nodes and quoted attribute values.
public enum HTML {
    /// Escapes the five characters that can end a text node or a quoted attribute value.
    /// - Parameter text: any text, e.g. from a database row or a request.
    /// - Returns: the text with `&`, `<`, `>`, `"` and `'` replaced by character references.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
