import Foundation
import Session
import TestSupport
import Testing

// Nested in BrowserTests so that its .serialized covers these too: one browser at a time,
// for the reason BrowserTests gives (async waits starve when two cores are busy).
extension BrowserTests {
    /// The stats page in a real browser (headless Chromium through chromedriver): with
    /// JavaScript it updates itself in place after presses (htmx polling swaps each panel),
    /// without it it is a plain page with the same panels; neither page, nor the front page,
    /// logs a console error. Screenshots of both are kept under `$RUN_DIR/artifacts/`.
    ///
    /// Checks only what the page promises whatever the charts draw: the panels' section ids,
    /// their first figure's number (`.figure .value`), the session panel and the live stream.
    @Suite struct StatsPage {
        let stack: PressStack
        init() throws { stack = try PressStack() }

        /// Every panel, in page order.
        static let panels = [
            "stream", "session", "your-country", "countries", "map", "sessions", "by-country", "local-hour", "spread",
            "boredom", "lookup", "cohorts", "health",
        ]
        /// Presses each test makes.
        static let presses = 3

        var front: String { stack.app.hasSuffix("/") ? stack.app : stack.app + "/" }
        var statsPage: String { front + "stats" }

        @Test(.timeLimit(.minutes(3)))
        func withJavaScriptThePanelsUpdateInPlaceAfterPresses() async throws {
            try await withChromeDriver { driver in
                try await driver.withSession("stats-js") { browser in
                    try await browser.setViewportSize(width: 1600, height: 1200)
                    // Control for the console checks: an error the page logs is seen.
                    try await browser.open(front)
                    try await browser.execute("console.error('stats browser test: control error')")
                    let control = try await browser.browserLog()
                    #expect(
                        control.contains { $0.isError && $0.message.contains("control error") },
                        "console.error does not reach the browser log: \(control)"
                    )

                    try await browser.open(front)
                    try await browser.wait(for: "the EnterPage fragment in #response") {
                        try await browser.text("#response").flatMap { $0.contains("Pressing from") ? $0 : nil }
                    }
                    let cookie = try #require(try await browser.cookies()["button_session"], "no cookie after entering")
                    let session = try #require(
                        stack.codec.open(Substring(cookie), now: stack.nowSeconds),
                        "the browser's cookie does not open"
                    )
                    try await expectFavicon(browser, on: "/")
                    try await expectNoConsoleErrors(browser, on: "/")

                    try await browser.open(statsPage)
                    #expect(try await browser.currentURL() == statsPage)
                    #expect(try await title(browser).isEmpty == false, "the stats page has no title")
                    try await expectEveryPanel(browser, on: "/stats")
                    for panel in Self.panels {
                        let attributes =
                            try await browser.execute(
                                """
                                const s = document.getElementById(arguments[0]);
                                return s ? [s.getAttribute('hx-get'), s.getAttribute('hx-trigger'),
                                    s.getAttribute('hx-swap'), s.querySelector('h2')?.textContent ?? ''] : null
                                """,
                                arguments: ["panel-\(panel)"]
                            ) as? [String]
                        #expect(attributes?[0] == "/stats/panel/\(panel)?fake=0", "\(panel): \(attributes ?? [])")
                        #expect(attributes?[1].hasPrefix("every ") == true, "\(panel) polls: \(attributes ?? [])")
                        #expect(attributes?[2] == "outerHTML", "\(panel): \(attributes ?? [])")
                        #expect(attributes?[3].isEmpty == false, "\(panel) has a heading")
                    }
                    #expect(try await browser.execute("return typeof htmx") as? String == "object", "htmx is loaded")
                    // With JavaScript the <noscript> refresh must stay inert, or the page would reload.
                    #expect(
                        try await browser.execute("return document.querySelector('meta[http-equiv=refresh]') === null")
                            as? Bool == true,
                        "the no-JavaScript refresh is active with JavaScript on"
                    )
                    try await expectFavicon(browser, on: "/stats")
                    try await expectNoConsoleErrors(browser, on: "/stats")

                    // A navigation would drop this; htmx swaps must keep it.
                    try await browser.execute("window.buttonStatsTest = 42")
                    try await waitInPanel(browser, "session", for: "0 presses", timeout: .seconds(20)) {
                        try await figure(browser, "session") == 0 ? true : nil
                    }
                    // The panel counts without FINAL: copies of a row that other tests stored on
                    // purpose (same source position) count until a background merge collapses
                    // them, and a merge during this test would take them out of the total while
                    // the panel's cached figure still held them. So collapse them all first, and
                    // start from a figure the panel read after that (ClickHouse's own count,
                    // with the panel's filters); the browser pass runs alone, so no new copies come.
                    let clickHouse = try ClickHouseClient(env: stack.env)
                    _ = try await clickHouse.query("OPTIMIZE TABLE button_presses FINAL")
                    let counted =
                        "SELECT count() FROM button_presses WHERE action = 'PressButton' AND cohort IS NOT NULL AND is_bot = 0"
                    let countriesBefore = try await waitInPanel(
                        browser,
                        "countries",
                        for: "the total ClickHouse holds once its copies are collapsed",
                        timeout: .seconds(60)
                    ) {
                        let total = try await countriesTotal(browser)
                        return try await total == clickHouse.number(counted) ? total : nil
                    }
                    // Press in a second tab of the same browser: same profile, same cookie, same session.
                    let statsWindow = try await browser.windowHandle()
                    let tab = try await browser.newTab()
                    try await browser.switchToWindow(tab)
                    try await browser.open(front)
                    try await browser.wait(for: "the EnterPage fragment in the second tab") {
                        try await browser.text("#response").flatMap { $0.contains("Pressing from") ? $0 : nil }
                    }
                    for press in 1...Self.presses {
                        try await browser.click("button.the-button")
                        try await browser.wait(for: "\"Presses this session: \(press)\"") {
                            try await browser.text(".count") == "Presses this session: \(press)" ? true : nil
                        }
                    }
                    let pressed = try #require(try await browser.cookies()["button_session"])
                    #expect(
                        stack.codec.open(Substring(pressed), now: stack.nowSeconds)?.id == session.id,
                        "same session"
                    )
                    try await expectNoConsoleErrors(browser, on: "/ while pressing")
                    try await browser.closeWindow()
                    try await browser.switchToWindow(statsWindow)

                    // PostgreSQL (the sink) within a second or two, then the panel's next poll.
                    try await waitInPanel(browser, "session", for: "\(Self.presses) presses", timeout: .seconds(20)) {
                        try await figure(browser, "session") == Self.presses ? true : nil
                    }
                    // The live stream: this session's presses, its id shortened to 8 characters.
                    let prefix = String(session.id.uuidString.lowercased().prefix(8))
                    let inStream = "\(Self.presses) presses of \(prefix)"
                    try await waitInPanel(browser, "stream", for: inStream, timeout: .seconds(20)) {
                        let count =
                            try await browser.execute(
                                """
                                return Array.from(document.querySelectorAll('#panel-stream li'))
                                    .filter(li => li.textContent.includes(arguments[0]) && li.textContent.includes('PressButton'))
                                    .length
                                """,
                                arguments: [prefix]
                            ) as? Int
                        return count.map { $0 >= Self.presses } == true ? true : nil
                    }
                    // ClickHouse: the enricher, the Kafka engine's flush, the panel cache, then the poll.
                    // A load measured slow on a busy machine is reused for up to 20 s, so allow
                    // a few of those: 40 s failed once with four builds running beside the tests.
                    try await waitInPanel(
                        browser,
                        "countries",
                        for: "the total to grow from \(countriesBefore) by \(Self.presses)",
                        timeout: .seconds(75)
                    ) {
                        let wanted = countriesBefore + Self.presses
                        return try await countriesTotal(browser).map { $0 >= wanted } == true ? true : nil
                    }
                    #expect(try await browser.currentURL() == statsPage, "the page did not navigate")
                    #expect(try await browser.execute("return window.buttonStatsTest") as? Int == 42, "no reload")
                    try await expectEveryPanel(browser, on: "/stats after its panels were swapped")
                    try await expectNoConsoleErrors(browser, on: "/stats after its panels updated")

                    let png = try await browser.screenshot()
                    try save(png, "stats-page.png", width: 1600, height: 1200)
                    // Every panel, for a person to look at; not checked beyond being a PNG.
                    let full = try await browser.fullPageScreenshot()
                    #expect(full.starts(with: [0x89, 0x50, 0x4E, 0x47]), "the full-page screenshot is a PNG")
                    try full.write(to: URL(fileURLWithPath: "\(stack.runDir)/artifacts/stats-page-full.png"))
                    print("stats page, whole: \(stack.runDir)/artifacts/stats-page-full.png (\(full.count) bytes)")
                }
            }
        }

        @Test(.timeLimit(.minutes(3)))
        func withoutJavaScriptTheStatsPageIsPlainWithTheSameNumbers() async throws {
            try await withChromeDriver { driver in
                try await driver.withSession("stats-nojs", arguments: ["--blink-settings=scriptEnabled=false"]) {
                    browser in
                    try await browser.setViewportSize(width: 1600, height: 1200)
                    try await browser.open(front)
                    #expect(try await browser.execute("return typeof htmx") as? String == "undefined", "JS is off")
                    try await expectFavicon(browser, on: "/ without JavaScript")
                    try await expectNoConsoleErrors(browser, on: "/ without JavaScript")

                    // Before any press: no session, so the session panel says so.
                    try await browser.open(statsPage)
                    #expect(try await browser.execute("return typeof htmx") as? String == "undefined", "JS is off")
                    #expect(try await title(browser).isEmpty == false, "the stats page has no title")
                    try await expectEveryPanel(browser, on: "/stats without JavaScript")
                    #expect(try await figure(browser, "session") == nil, "a session panel without a session")
                    #expect(
                        try await browser.text("#panel-session .empty")?.isEmpty == false,
                        "the session panel's no-session text"
                    )
                    // Without JavaScript the page refreshes itself.
                    #expect(
                        try await browser.execute(
                            "return document.querySelector('meta[http-equiv=refresh]')?.getAttribute('content') ?? null"
                        ) is String,
                        "the no-JavaScript page does not refresh itself"
                    )
                    try await expectFavicon(browser, on: "/stats without JavaScript")
                    let countriesBefore = try await waitInPanel(browser, "countries", for: "a total or the empty text")
                    {
                        if let total = try await countriesTotal(browser) { return total }
                        try await browser.refresh()
                        return nil
                    }

                    try await browser.open(front)
                    for _ in 1...Self.presses {
                        try await browser.execute("window.buttonStatsTest = 42")
                        try await browser.click("button.the-button")
                        // The form posts; the redirect back reloads the page, dropping the marker.
                        try await browser.wait(for: "the redirect back to \(front)") {
                            let state =
                                try await browser.execute(
                                    "return [window.buttonStatsTest === undefined, document.readyState, location.href]"
                                ) as? [Any]
                            let reloaded = state?.first as? Bool == true && state?[1] as? String == "complete"
                            return reloaded && state?[2] as? String == front ? true : nil
                        }
                    }
                    #expect(try await browser.cookies()["button_session"] != nil, "no session cookie after the posts")

                    // Reloaded by hand rather than waiting for the page's own 30 s refresh.
                    try await browser.open(statsPage)
                    try await waitInPanel(browser, "session", for: "\(Self.presses) presses", timeout: .seconds(20)) {
                        if try await figure(browser, "session") == Self.presses { return true }
                        try await Task.sleep(for: .seconds(1))
                        try await browser.refresh()
                        return nil
                    }
                    try await waitInPanel(
                        browser,
                        "countries",
                        for: "the total to grow from \(countriesBefore) by \(Self.presses)",
                        timeout: .seconds(75)
                    ) {
                        if try await countriesTotal(browser).map({ $0 >= countriesBefore + Self.presses }) == true {
                            return true
                        }
                        try await Task.sleep(for: .seconds(1))
                        try await browser.refresh()
                        return nil
                    }
                    try await expectEveryPanel(browser, on: "/stats without JavaScript, after the presses")
                    #expect(try await figure(browser, "sessions").map { $0 >= 1 } == true, "the sessions panel's count")
                    let health = try await browser.text("#panel-health")
                    #expect(
                        health?.contains(where: \.isNumber) == true,
                        "the health panel shows numbers: \(health ?? "")"
                    )
                    try await expectNoConsoleErrors(browser, on: "/stats without JavaScript")

                    let png = try await browser.screenshot()
                    try save(png, "stats-page-nojs.png", width: 1600, height: 1200)
                }
            }
        }

        // MARK: - Reading the page

        func title(_ browser: WebDriverSession) async throws -> String {
            try await browser.execute("return document.title") as? String ?? ""
        }

        /// The ids of the page's panel sections, in page order.
        func panelIDs(_ browser: WebDriverSession) async throws -> [String] {
            try await browser.execute("return Array.from(document.querySelectorAll('section.panel')).map(s => s.id)")
                as? [String] ?? []
        }

        /// The number in a panel's first figure, or nil when it shows none (read in one script,
        /// so a swap between two commands cannot get in the way).
        func figure(_ browser: WebDriverSession, _ panel: String) async throws -> Int? {
            let text =
                try await browser.execute(
                    "return document.querySelector(arguments[0])?.textContent ?? null",
                    arguments: ["#panel-\(panel) .figure .value"]
                ) as? String
            return text.flatMap { Self.number($0) }
        }

        /// Presses in the countries panel: its first figure, 0 while it says there are none yet,
        /// nil while it shows neither (a store is late).
        func countriesTotal(_ browser: WebDriverSession) async throws -> Int? {
            if let total = try await figure(browser, "countries") { return total }
            let empty = try await browser.execute("return document.querySelector('#panel-countries .empty') !== null")
            return empty as? Bool == true ? 0 : nil
        }

        /// The digits of a figure ("1,234" and "1 234" are 1234); nil when it has none.
        static func number(_ text: String) -> Int? {
            let digits = text.filter { $0.isASCII && $0.isNumber }
            return digits.isEmpty ? nil : Int(digits)
        }

        // MARK: - Checks

        /// The page links its icon at /favicon.svg and the browser gets it: a missing icon is a
        /// console error (a failed load) on every page that links it.
        func expectFavicon(
            _ browser: WebDriverSession,
            on page: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let answer =
                try await browser.executeAsync(
                    """
                    const done = arguments[arguments.length - 1];
                    const link = document.querySelector('link[rel~="icon"]');
                    if (!link) { done(['no icon link']); return; }
                    fetch(link.href).then(
                        r => r.text().then(t => done(
                            [link.getAttribute('href'), r.status, r.headers.get('content-type'), t.length])),
                        e => done([link.getAttribute('href'), String(e)]));
                    """
                ) as? [Any] ?? []
            #expect(
                answer.first as? String == "/favicon.svg",
                "\(page): icon link \(answer)",
                sourceLocation: sourceLocation
            )
            #expect(
                answer.count == 4 && answer[1] as? Int == 200,
                "\(page): icon \(answer)",
                sourceLocation: sourceLocation
            )
            if answer.count == 4 {
                #expect(
                    (answer[2] as? String)?.hasPrefix("image/svg+xml") == true && (answer[3] as? Int ?? 0) > 0,
                    "\(page): icon \(answer)",
                    sourceLocation: sourceLocation
                )
            }
        }

        /// Nothing the browser logged since the last look is an error: no console.error, no
        /// uncaught exception, no failed load (a 404 for the icon, a script or a panel poll).
        func expectNoConsoleErrors(
            _ browser: WebDriverSession,
            on page: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let errors = try await browser.browserLog().filter(\.isError)
            #expect(errors.isEmpty, "the browser logged errors on \(page): \(errors)", sourceLocation: sourceLocation)
        }

        /// The page holds every panel, in order.
        func expectEveryPanel(
            _ browser: WebDriverSession,
            on page: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let ids = try await panelIDs(browser)
            #expect(
                ids == Self.panels.map { "panel-\($0)" },
                "the panels on \(page): \(ids)",
                sourceLocation: sourceLocation
            )
        }

        /// `WebDriverSession.wait`, whose timeout says what the panel showed last.
        @discardableResult
        func waitInPanel<T>(
            _ browser: WebDriverSession,
            _ panel: String,
            for what: String,
            timeout: Duration = .seconds(15),
            _ probe: () async throws -> T?
        ) async throws -> T {
            do {
                return try await browser.wait(for: "\(what) in #panel-\(panel)", timeout: timeout, probe)
            } catch let error as WebDriverError {
                let text = (try? await browser.text("#panel-\(panel)")).flatMap { $0 } ?? "nothing"
                throw WebDriverError(message: "\(error.message)\n#panel-\(panel) reads: \(text.prefix(600))")
            }
        }

        /// Keeps a screenshot under `$RUN_DIR/artifacts/` after checking it is a PNG of the
        /// viewport's size, and not a blank one (a blank page compresses to a few kilobytes).
        func save(
            _ png: Data,
            _ name: String,
            width: Int,
            height: Int,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let directory = "\(stack.runDir)/artifacts"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = "\(directory)/\(name)"
            try png.write(to: URL(fileURLWithPath: path))
            print("stats page screenshot: \(path) (\(png.count) bytes)")
            let bytes = Array(png)
            #expect(
                bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
                "\(path) is not a PNG",
                sourceLocation: sourceLocation
            )
            // IHDR comes first: width and height, big-endian, at bytes 16..<24.
            let size =
                bytes.count >= 24 && bytes[12..<16] == Array("IHDR".utf8)[...]
                ? [bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }]
                : []
            #expect(
                size == [width, height],
                "\(path) is \(size), not \(width)x\(height)",
                sourceLocation: sourceLocation
            )
            #expect(
                png.count > 20_000 && png.count < 20_000_000,
                "\(path) is \(png.count) bytes",
                sourceLocation: sourceLocation
            )
        }
    }
}
