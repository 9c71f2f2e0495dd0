/// The page around the panels, and the panels' sections.
///
/// Polyglot markup: valid HTML that is also well-formed XML (void elements closed, every
/// attribute quoted), so tests check it with an XML parser.
///
/// With JavaScript, htmx polls each panel at its own pace and swaps the section in place;
/// without it, the same page is complete as served and reloads itself every 30 seconds.
enum StatsPage {
    static func page(panels: [String], includeFake: Bool, includeBots: Bool = false) -> String {
        // Each link keeps the other choice as it is.
        let hideFake = includeBots ? "/stats?bots=1" : "/stats"
        let showFake = includeBots ? "/stats?fake=1&amp;bots=1" : "/stats?fake=1"
        let hideBots = includeFake ? "/stats?fake=1" : "/stats"
        let showBots = includeFake ? "/stats?fake=1&amp;bots=1" : "/stats?bots=1"
        let toggle =
            (includeFake
                ? "<a href=\"\(hideFake)\">Hide fake data</a> (now included: sessions without a cohort)"
                : "<a href=\"\(showFake)\">Include fake data</a> (now excluded: sessions without a cohort)")
            + " · "
            + (includeBots
                ? "<a href=\"\(hideBots)\">Hide bots</a> (now included: sessions pressing faster than a person)"
                : "<a href=\"\(showBots)\">Include bots</a> (now excluded: sessions pressing faster than a person)")
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>The Button: what the mad data scientist found</title>
            <!-- A panel whose poll fails (the stats pool restarting: nginx's 503) keeps what it shows. -->
            <meta name="htmx-config" content='{"responseHandling":[{"code":"[23]..","swap":true},{"code":"[45]..","swap":false,"error":false}],"historyCacheSize":0}' />
            <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
            <link rel="stylesheet" href="/style.css" />
            <script src="/vendor/htmx.min.js" defer="defer"></script>
            <noscript><meta http-equiv="refresh" content="30" /></noscript>
            </head>
            <body class="stats">
            <header>
            <h1>What the mad data scientist found</h1>
            <p class="lede">Every press, live from Kafka, PostgreSQL and ClickHouse. This page updates itself.</p>
            <p class="controls">\(toggle) · <a href="/">Back to the button</a></p>
            </header>
            <main class="panels">
            \(panels.joined(separator: "\n"))
            </main>
            </body>
            </html>

            """
    }

    /// One panel: heading, caption, body, and the notice when a store failed or was late.
    static func section(
        _ kind: PanelKind,
        includeFake: Bool,
        body: String,
        notice: String?,
        includeBots: Bool = false
    ) -> String {
        let name = kind.rawValue
        var html = "<section class=\"panel panel-\(name)\" id=\"panel-\(name)\""
        html += " hx-get=\"/stats/panel/\(name)?fake=\(includeFake ? 1 : 0)\(includeBots ? "&amp;bots=1" : "")\""
        html += " hx-trigger=\"every \(kind.pollSeconds)s\" hx-swap=\"outerHTML\">"
        html += "<h2>\(HTML.escape(kind.title))</h2><p class=\"caption\">\(HTML.escape(kind.caption))</p>"
        if let notice { html += "<p class=\"notice\" role=\"status\">\(HTML.escape(notice))</p>" }
        html += "<div class=\"body\">\(body)</div></section>"
        return html
    }

    /// A refused request's page; `message` is ours, never the client's input.
    static func refusal(_ message: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8" /><title>The Button: statistics</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" /><link rel="stylesheet" href="/style.css" /></head>
        <body><main><p>\(HTML.escape(message))</p><p><a href="/stats">The statistics</a></p></main></body></html>

        """
    }
}
