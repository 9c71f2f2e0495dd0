import FastCGI

/// The HTML the workers answer with: htmx fragments, and small pages for clients
/// without JavaScript. Only our own constant texts and geolocation names appear, and
/// every interpolated value is escaped.
enum PressPage {
    static let html = "text/html; charset=utf-8"
    static let text = "text/plain; charset=utf-8"

    /// One line per press, in order; the session's press count picks the line.
    static let responses = [
        "Nothing happened. As promised.",
        "The button remains unmoved.",
        "Congratulations. That did nothing.",
        "Your press has been noted by no one in particular.",
        "Still nothing. Consistency is our brand.",
        "Somewhere, a data scientist nods slowly.",
        "That press was exactly as useful as the last one.",
        "Zero things happened, measured to the microsecond.",
        "The button thanks you for your service. It will not elaborate.",
        "Impressive. Pointless, but impressive.",
        "Achievement unlocked: none.",
        "Press accepted. Meaning not included.",
        "The void acknowledges your input.",
        "Nothing. Again. You are very good at this.",
        "This press will be studied. Not understood, but studied.",
        "If you stop now, nothing will happen. Same as if you don't.",
    ]

    static let welcome = "Go on. Press it. Nothing will happen."

    /// The fragment swapped in after an event was recorded.
    static func fragment(line: String, presses: UInt32, place: String) -> String {
        var html = "<p class=\"line\">\(escape(line))</p>"
        if presses > 0 { html += "<p class=\"count\">Presses this session: \(presses)</p>" }
        if !place.isEmpty { html += "<p class=\"place\">Pressing from: \(escape(place))</p>" }
        return html
    }

    /// The line for the n-th press of a session.
    static func line(forPress presses: UInt32) -> String {
        presses == 0 ? welcome : responses[Int((presses - 1) % UInt32(responses.count))]
    }

    static let busyLine =
        "The button is taking a short break: our event log is busy. That press was not recorded; "
        + "please try again in a few seconds."

    /// A 4xx answer with a short human message.
    static func clientError(_ status: Int, _ message: String, headers: [(String, String)] = []) -> FastCGIResponse {
        FastCGIResponse(status: status, contentType: text, body: message + "\n", headers: headers)
    }

    /// The 503 answer: a fragment for htmx, a small page for plain forms.
    static func busy(htmx: Bool, retryAfter: Int, headers: [(String, String)]) -> FastCGIResponse {
        let body =
            htmx
            ? "<p class=\"line busy\">\(escape(busyLine))</p>"
            : page(title: "Busy", body: "<p>\(escape(busyLine))</p><p><a href=\"/\">Back to the button</a></p>")
        return FastCGIResponse(
            status: 503,
            contentType: html,
            body: body,
            headers: [("Retry-After", String(retryAfter)), ("Cache-Control", "no-store")] + headers
        )
    }

    static func page(title: String, body: String) -> String {
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>\(escape(title))</title><body>\(body)</body></html>"
    }

    static func escape(_ text: String) -> String {
        // Place names rarely hold a character that needs escaping: return them as they are.
        guard text.utf8.contains(where: { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }) else {
            return text
        }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): escaped.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): escaped.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): escaped.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): escaped.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): escaped.append(contentsOf: "&#39;".utf8)
            default: escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }
}
