import Foundation
import Postgres
import Session
import Stats
import TestSupport
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The stats page through nginx and the stats pool: markup, routes, hostile input, the
/// session panel, privacy. Known answers and outages are in DisruptiveTests (StatsPanelTests).
@Suite struct StatsPageTests {
    let stack: PressStack
    init() throws { stack = try PressStack() }

    func get(_ path: String, cookie: String? = nil, headers: [String: String] = [:]) async throws -> HTTP.Answer {
        var headers = headers
        if let cookie { headers["Cookie"] = cookie }
        return try await HTTP.send("GET", stack.app + path, headers: headers)
    }

    /// Parses `text` as XML; returns the parser's error, or nil when it is well-formed.
    static func xmlError(_ text: String) -> String? {
        let parser = XMLParser(data: Data(text.utf8))
        return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "unknown") at line \(parser.lineNumber)"
    }

    @Test func thePageIsWellFormedWithEveryPanelATitleAndAFavicon() async throws {
        let answer = try await get("/stats")
        #expect(answer.status == 200)
        #expect(answer.header("Content-Type") == "text/html; charset=utf-8")
        #expect(answer.header("Cache-Control") == "no-store")
        let html = answer.text
        #expect(Self.xmlError(html) == nil, "\(Self.xmlError(html) ?? "")")
        #expect(html.contains("<title>The Button: what the mad data scientist found</title>"))
        #expect(html.contains("<link rel=\"icon\" href=\"/favicon.svg\""))
        for kind in PanelKind.allCases {
            #expect(html.contains("id=\"panel-\(kind.rawValue)\""), "panel \(kind.rawValue) is missing")
            #expect(html.contains("hx-get=\"/stats/panel/\(kind.rawValue)?fake=0\""))
            // Each panel alone is what htmx swaps in: well-formed too.
            let panel = try await get("/stats/panel/\(kind.rawValue)")
            #expect(panel.status == 200)
            #expect(Self.xmlError(panel.text) == nil, "\(kind.rawValue): \(Self.xmlError(panel.text) ?? "")")
            #expect(panel.text.hasPrefix("<section class=\"panel panel-\(kind.rawValue)\""))
        }
        let icon = try await get("/favicon.svg")
        #expect(icon.status == 200 && icon.header("Content-Type") == "image/svg+xml")
        #expect(Self.xmlError(icon.text) == nil)
        let front = try await get("/")
        #expect(front.text.contains("href=\"/favicon.svg\"") && front.text.contains("href=\"/stats\""))
        let old = try await get("/stats.html")
        #expect(old.status == 301 && old.header("Location")?.hasSuffix("/stats") == true)
    }

    @Test func fakeDataIsAToggle() async throws {
        let without = try await get("/stats")
        #expect(without.text.contains("<a href=\"/stats?fake=1\">Include fake data</a>"))
        let with = try await get("/stats?fake=1")
        #expect(with.status == 200)
        #expect(with.text.contains("<a href=\"/stats\">Hide fake data</a>"))
        #expect(with.text.contains("hx-get=\"/stats/panel/countries?fake=1\""))
    }

    @Test(arguments: [
        ("/stats?fake=%3Cscript%3Ealert(1)%3C/script%3E", 400),
        ("/stats?q='%20OR%201=1--", 400),
        ("/stats?fake=1%27;DROP%20TABLE%20button_presses;--", 400),
        ("/stats?%FF%FE=%C0%AF", 400),
        ("/stats/panel/countries?fake=1&then=%22%3E%3Csvg%20onload=alert(1)%3E", 400),
        ("/stats?" + String(repeating: "fake=1&", count: 300), 414),
        ("/stats/panel/nope", 404),
        ("/stats/panel/%3Cscript%3E", 404),
        ("/stats/panel/countries/../../etc/passwd", 404),
        ("/stats/anything", 404),
    ])
    func hostileQueriesAndPathsAreRefusedWithoutEcho(path: String, status: Int) async throws {
        let answer = try await get(path)
        #expect(answer.status == status, "\(path)")
        let body = answer.text.lowercased()
        for raw in ["<script", "onload", "drop table", "' or 1=1", "etc/passwd"] {
            #expect(!body.contains(raw), "\(path) echoed \(raw)")
        }
        #expect(answer.text.count < 2000)
    }

    @Test func otherMethodsAre405() async throws {
        let answer = try await HTTP.send("POST", stack.app + "/stats", body: Data("x=1".utf8))
        #expect(answer.status == 405)
        #expect(answer.header("Allow") == "GET, HEAD")
    }

    @Test(arguments: [
        "button_session=<script>alert(1)</script>",
        "button_session='; DROP TABLE button_presses; --",
        "button_session=v1.\(String(repeating: "A", count: 6000)).x",
        "button_session=v1.eyJ4IjoxfQ.AAAA; other=\"><img src=x onerror=alert(1)>",
    ])
    func hostileCookiesAreIgnoredNeverReflected(cookie: String) async throws {
        let answer = try await get("/stats/panel/session", cookie: cookie)
        #expect(answer.status == 200)
        #expect(answer.text.contains("No session yet"))
        for raw in ["<script", "onerror", "DROP TABLE", "AAAAAAAA"] {
            #expect(!answer.text.contains(raw))
        }
        // Nothing ran: the table is still there.
        let database = try SinkDatabase()
        #expect(try database.count("SELECT count(*) FROM pg_tables WHERE tablename = 'button_presses'") == 1)
    }

    @Test func invalidUTF8InTheCookieIsIgnored() async throws {
        // Foundation's client cannot send raw bytes in a header: curl can.
        let result = try Command.run(
            "/usr/bin/curl",
            [
                "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Cookie: button_session=v1.\u{FF}\u{FE}.x",
                stack.app + "/stats",
            ]
        )
        #expect(result.output == "200")
    }

    /// A validly signed cookie whose country is hostile text: the country code goes into
    /// ClickHouse SQL as a literal (18.16 has no parameters) and its name into the page.
    @Test func aHostileCountryInASignedCookieIsALiteralAndEscaped() async throws {
        let now = stack.nowSeconds
        let session = Session(
            id: UUID(),
            cohort: 1,
            countryName: "<script>alert('x')</script>",
            countryCode: "X'); DROP TABLE button_presses; --\\",
            subdivisionName: "",
            subdivisionCode: "",
            cityName: "",
            startedAt: now,
            lastSeenAt: now,
            presses: 0
        )
        let cookie = "button_session=" + stack.codec.seal(session)
        // A cold query may miss the request's deadline while other suites load ClickHouse:
        // the panel then says so, and the next request gets the answer.
        var answer = try await get("/stats/panel/your-country", cookie: cookie)
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while answer.text.contains("class=\"notice\""), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            answer = try await get("/stats/panel/your-country", cookie: cookie)
        }
        #expect(answer.status == 200)
        #expect(!answer.text.contains("<script>"))
        #expect(answer.text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        // The query ran and found nothing: no notice, zero presses.
        #expect(!answer.text.contains("class=\"notice\""), "\(answer.text)")
        #expect(answer.text.contains("<span class=\"value\">0</span>"))
        let clickHouse = try TestSupport.ClickHouseClient(env: stack.env)
        #expect(try await clickHouse.number("SELECT count() FROM system.tables WHERE name = 'button_presses'") == 1)
    }

    @Test func literalsRoundTripThroughClickHouse() throws {
        let url = try #require(URL(string: try stack.env.require("CLICKHOUSE_URL")))
        let client = Stats.ClickHouseClient(url: url, timeout: .seconds(5))
        let inputs = [
            "plain", "", "O'Brien", "\\", "\\'", "a\\nb", "tab\there", "new\nline", "nul\u{0}byte", "\u{7F}",
            "\\N", "Côte d’Ivoire 🇨🇮", "'; DROP TABLE button_presses; --", "\u{1}\u{1F}",
        ]
        let sql = inputs.map { ClickHouseSQL.string($0) }.joined(separator: ", ")
        let rows = try client.rows("SELECT \(sql)")
        #expect(rows.count == 1)
        #expect(rows.first == inputs.map { Optional($0) })
    }

    @Test func theSessionPanelCountsThisSessionsPressesFromPostgreSQL() async throws {
        let client = PressClient(appURL: stack.app, forwardedFor: "81.2.69.160")
        try await client.post("/api/enter")
        let cookie = try #require(client.cookie)
        let before = try await get("/stats/panel/session", cookie: "button_session=\(cookie)")
        #expect(before.text.contains("<span class=\"value\">0</span>"), "\(before.text)")
        for _ in 1...3 { try await client.post("/api/press") }
        var text = ""
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            text = try await get("/stats/panel/session", cookie: "button_session=\(cookie)").text
            if text.contains("<span class=\"value\">3</span>") { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(text.contains("<span class=\"value\">3</span>"), "\(text)")
        #expect(text.contains("presses in this session"))
        // Your country: the cookie's, the United Kingdom.
        let country = try await get("/stats/panel/your-country", cookie: "button_session=\(cookie)").text
        #expect(country.contains("United Kingdom"), "\(country)")
    }

    /// The stats pool is not given the client's address, and logs none.
    @Test func theStatsPoolNeverSeesOrLogsTheClientAddress() async throws {
        let address = "198.51.100.\(Int.random(in: 2...250))"
        for path in ["/stats", "/stats/panel/session", "/stats?bad=1", "/stats/panel/nope"] {
            _ = try await get(path, headers: ["X-Forwarded-For": address])
        }
        let runDir = try stack.env.require("RUN_DIR")
        let log = try String(contentsOfFile: runDir + "/logs/stats.log", encoding: .utf8)
        // The right file: it has the running pool's start lines.
        #expect(log.contains("[FastCGI] worker pool started"))
        #expect(!log.contains(address))
        let config = try String(contentsOfFile: runDir + "/nginx/fastcgi-stats.conf", encoding: .utf8)
        #expect(config.contains("fastcgi_param  DOCUMENT_URI") && !config.contains("REMOTE_ADDR"))
        let nginx = try String(contentsOfFile: runDir + "/nginx/nginx.conf", encoding: .utf8)
        #expect(nginx.contains("include \(runDir)/nginx/fastcgi-stats.conf;"))
    }
}
