import Foundation
import Session
import TestSupport
import Testing

/// The page in a real browser: headless Chromium driven through chromedriver (W3C WebDriver),
/// with JavaScript (htmx swaps fragments in place) and without (a plain form post answered
/// with a redirect), each press checked in Kafka.
///
/// Its own target, run in a pass of its own (scripts/test): it breaks nothing, but its waits
/// are async, and in the parallel pass other suites' blocking calls (Kafka polls, kcat,
/// python) can hold both cooperative threads of a 2-core machine long enough for
/// chromedriver's readiness check to time out. Alone, nothing else competes for those
/// threads; it is kept out of DisruptiveTests so that pass's server restarts and outages
/// can't break the page under it either.
@Suite(.serialized) struct BrowserTests {
    let stack: PressStack
    init() throws { stack = try PressStack() }

    /// The page's address as the browser reports it.
    var page: String { stack.app.hasSuffix("/") ? stack.app : stack.app + "/" }

    /// See `withChromeDriver` (shared with the stats page's tests).
    func withDriver(_ body: (ChromeDriver) async throws -> Void) async throws {
        try await withChromeDriver(body)
    }

    @Test(.timeLimit(.minutes(2)))
    func withJavaScriptHtmxEntersAndSwapsEachPressInPlace() async throws {
        let mark = try stack.mark()
        var sessionID: UUID?
        try await withDriver { driver in
            try await driver.withSession("js") { browser in
                try await browser.open(stack.app)
                // Control for withDriver's "no survivors" check: the search finds a running browser.
                #expect(!driver.processes().isEmpty, "the browser's processes are not found while it runs")
                let entered = try await browser.wait(for: "the EnterPage fragment in #response") {
                    try await browser.text("#response").flatMap { $0.contains("Pressing from") ? $0 : nil }
                }
                #expect(!entered.contains("Presses this session"), "entering is not a press")
                let cookie = try #require(
                    try await browser.cookies()["button_session"],
                    "no session cookie after entering"
                )
                let session = try #require(
                    stack.codec.open(Substring(cookie), now: stack.nowSeconds),
                    "the browser's cookie does not open"
                )
                sessionID = session.id
                #expect(try await browser.currentURL() == page)
                #expect(try await browser.execute("return typeof htmx") as? String == "object")

                // A navigation would drop this; htmx swaps must keep it.
                try await browser.execute("window.buttonBrowserTest = 42")
                var lines = [try await browser.text(".line")]
                for press in 1...3 {
                    try await browser.click("button.the-button")
                    try await browser.wait(for: "\"Presses this session: \(press)\"") {
                        try await browser.text(".count") == "Presses this session: \(press)" ? true : nil
                    }
                    lines.append(try await browser.text(".line"))
                }
                #expect(lines.allSatisfy { $0?.isEmpty == false }, "\(lines)")
                #expect(zip(lines, lines.dropFirst()).allSatisfy { $0 != $1 }, "the line changes each press: \(lines)")
                #expect(try await browser.currentURL() == page, "the page did not navigate")
                #expect(try await browser.execute("return window.buttonBrowserTest") as? Int == 42, "no reload")
                #expect(try await browser.text(".place")?.hasPrefix("Pressing from: ") == true)
                let after = try #require(try await browser.cookies()["button_session"])
                #expect(stack.codec.open(Substring(after), now: stack.nowSeconds)?.id == session.id, "same session")

                let png = try await browser.screenshot()
                #expect(png.count > 1024)
                #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "PNG magic")
                try png.write(to: URL(fileURLWithPath: "\(stack.runDir)/browser-test.png"))
            }
        }
        let session = try #require(sessionID)
        let events = try stack.events(since: mark, sessions: [session], expected: 4)
        #expect(events.map { $0["action"] as? String } == ["EnterPage", "PressButton", "PressButton", "PressButton"])
        #expect(events.allSatisfy { $0["session_id"] as? String == session.uuidString.lowercased() })
    }

    @Test(.timeLimit(.minutes(2)))
    func withoutJavaScriptTheFormPostsAndRedirectsBack() async throws {
        let mark = try stack.mark()
        var sessionID: UUID?
        try await withDriver { driver in
            try await driver.withSession("nojs", arguments: ["--blink-settings=scriptEnabled=false"]) { browser in
                try await browser.open(stack.app)
                // WebDriver's own scripts still run; the page's do not: no htmx, no /api/enter.
                #expect(try await browser.execute("return typeof htmx") as? String == "undefined", "JS is off")
                #expect(try await browser.text("#response") == "Go on. Press it. Nothing will happen.")
                #expect(try await browser.cookies()["button_session"] == nil, "no session before the first press")

                try await browser.execute("window.buttonBrowserTest = 42")
                try await browser.click("button.the-button")
                try await browser.wait(for: "the redirect back to \(page)") {
                    let state =
                        try await browser.execute(
                            "return [window.buttonBrowserTest === undefined, document.readyState, location.href]"
                        ) as? [Any]
                    let reloaded = state?.first as? Bool == true && state?[1] as? String == "complete"
                    return reloaded && state?[2] as? String == page ? true : nil
                }
                #expect(try await browser.currentURL() == page)
                let redirects = try await browser.execute(
                    "return performance.getEntriesByType('navigation')[0].redirectCount"
                )
                #expect(redirects as? Int == 1, "POST /api/press answered with a redirect to /")
                #expect(try await browser.text("#response") == "Go on. Press it. Nothing will happen.")
                let cookie = try #require(
                    try await browser.cookies()["button_session"],
                    "no session cookie after the post"
                )
                let session = try #require(
                    stack.codec.open(Substring(cookie), now: stack.nowSeconds),
                    "the browser's cookie does not open"
                )
                sessionID = session.id
            }
        }
        let session = try #require(sessionID)
        let events = try stack.events(since: mark, sessions: [session], expected: 1)
        #expect(events.map { $0["action"] as? String } == ["PressButton"])
    }
}
