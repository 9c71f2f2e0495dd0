import Foundation
import TestSupport
import Testing

/// nginx's per-address limits (README, "Rate limits"). The test stack runs the load-test
/// profile (`BUTTON_RATE_LIMIT=off`, scripts/test) so the other suites' floods from a few
/// addresses are never refused; each test here restarts nginx with the limits on, at their
/// default numbers, and puts the stack's profile back afterwards. In DisruptiveTests: a
/// restart of nginx would cut other suites' requests.
@Suite(.serialized) struct RateLimitTests {
    let stack: PressStack
    init() throws { stack = try PressStack() }

    /// Runs `body` with nginx restarted in the default profile, then restores the stack's.
    func withLimits(_ body: () async throws -> Void) async throws {
        let previous = stack.env.values["RATE_LIMIT"] ?? "off"
        try StackControl.run(
            ["restart", "nginx"],
            env: stack.env,
            extra: [
                "BUTTON_RATE_LIMIT": "on", "BUTTON_PRESS_RATE": "10r/s", "BUTTON_PRESS_BURST": "20",
                "BUTTON_STATS_RATE": "10r/s", "BUTTON_STATS_BURST": "30",
            ]
        )
        let published = try StackEnv.load()
        #expect(published.values["RATE_LIMIT"] == "on", "stack.env names the profile nginx runs")
        var failure: (any Error)?
        do { try await body() } catch { failure = error }
        try StackControl.run(["restart", "nginx"], env: stack.env, extra: ["BUTTON_RATE_LIMIT": previous])
        if let failure { throw failure }
    }

    /// Sends `count` requests at once and returns the answers.
    func burst(_ count: Int, _ send: @escaping @Sendable () async throws -> HTTP.Answer) async throws -> [HTTP.Answer] {
        try await withThrowingTaskGroup(of: HTTP.Answer.self) { group in
            for _ in 0..<count { group.addTask { try await send() } }
            var answers: [HTTP.Answer] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
    }

    @Test func aBurstBeyondTheLimitIsRefusedWith429AndAHumanPaceIsNot() async throws {
        try await withLimits {
            // Pressing as a bot would: 120 presses at once from one address, with its cookie.
            let fast = PressClient(appURL: stack.app, forwardedFor: "81.2.69.160")
            #expect(try await fast.post("/api/enter").status == 200)
            let cookie = try #require(fast.cookie)
            try await Task.sleep(for: .seconds(2.5))  // the bucket full again
            let app = stack.app
            let answers = try await burst(120) {
                try await HTTP.send(
                    "POST",
                    app + "/api/press",
                    body: Data(),
                    headers: [
                        "HX-Request": "true", "X-Forwarded-For": "81.2.69.160",
                        "Cookie": "button_session=\(cookie)",
                    ]
                )
            }
            let accepted = answers.filter { $0.status == 200 }.count
            let refused = answers.filter { $0.status == 429 }
            #expect(accepted + refused.count == answers.count, "\(answers.map(\.status))")
            // burst 20 + the one in hand, and a little refill while the 120 are sent.
            #expect(accepted >= 15 && accepted <= 40, "accepted \(accepted)")
            #expect(refused.count >= 60, "refused \(refused.count)")
            for answer in refused.prefix(5) {
                #expect(answer.header("Retry-After") == "1")
                #expect(answer.header("Set-Cookie") == nil, "nothing recorded, the session unchanged")
                #expect(answer.header("Content-Type")?.hasPrefix("text/html") == true)
                #expect(answer.text.contains("faster than a person can press"), "the page's own line: \(answer.text)")
                #expect(answer.text.hasPrefix("<p class=\"line busy\">"), "a fragment htmx swaps in")
            }

            // Another address is not affected by the first one's burst.
            let other = PressClient(appURL: stack.app, forwardedFor: "2.16.0.1")
            #expect(try await other.post("/api/enter").status == 200)
            #expect(try await other.post("/api/press").status == 200)

            // A human at a button: 30 presses at 8 a second, more than the burst, never refused.
            let human = PressClient(appURL: stack.app, forwardedFor: "130.149.0.1")
            #expect(try await human.post("/api/enter").status == 200)
            var statuses: [Int] = []
            for _ in 0..<30 {
                statuses.append(try await human.post("/api/press").status)
                try await Task.sleep(for: .milliseconds(125))
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        }
    }

    @Test func theStatsAreLimitedPerAddressAndAnOpenPageIsNot() async throws {
        try await withLimits {
            let app = stack.app
            let flood = try await burst(150) {
                try await HTTP.send("GET", app + "/stats/panel/health", headers: ["X-Forwarded-For": "81.2.69.161"])
            }
            let refused = flood.filter { $0.status == 429 }
            #expect(refused.count >= 60, "\(flood.map(\.status))")
            #expect(flood.filter { $0.status == 200 }.count >= 20, "the burst is served: \(flood.map(\.status))")
            for answer in refused.prefix(3) {
                #expect(answer.header("Retry-After") == "1")
                #expect(answer.text.contains("a lot of statistics"), "\(answer.text)")
            }
            // One open page: the page, then all 13 panels at once (htmx's polls line up
            // every 30 s), then their polls for a few seconds; never refused.
            let viewer = "130.149.0.2"
            #expect(try await HTTP.send("GET", app + "/stats", headers: ["X-Forwarded-For": viewer]).status == 200)
            let panels = [
                "stream", "session", "your-country", "countries", "map", "sessions", "by-country", "local-hour",
                "spread", "boredom", "lookup", "cohorts", "health",
            ]
            var statuses: [Int] = []
            for round in 0..<4 {
                let names = round == 0 ? panels : ["stream", "session", "your-country", "health"]
                let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                    for name in names {
                        group.addTask {
                            try await HTTP.send(
                                "GET",
                                app + "/stats/panel/\(name)",
                                headers: ["X-Forwarded-For": viewer, "HX-Request": "true"]
                            ).status
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                statuses += answers
                try await Task.sleep(for: .seconds(1))
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        }
    }

    @Test func refusalsLeaveNoClientAddressInAnyLog() async throws {
        let addresses = ["81.2.69.162", "2001:67c:2e8:22::c100:68b"]
        try await withLimits {
            let app = stack.app
            for address in addresses {
                let answers = try await burst(60) {
                    try await HTTP.send(
                        "POST",
                        app + "/api/press",
                        body: Data(),
                        headers: ["HX-Request": "true", "X-Forwarded-For": address]
                    )
                }
                #expect(answers.contains { $0.status == 429 }, "the limit was hit for \(address)")
                _ = try await burst(60) {
                    try await HTTP.send("GET", app + "/stats/panel/health", headers: ["X-Forwarded-For": address])
                }
            }
            // The control: the marker, asked for last, is in the access log, and so are
            // the refusals, without whom they came from.
            let marked = try await StackFiles.markLogs(appURL: app, runDir: stack.runDir)
            #expect(marked.contains { $0.hasSuffix("nginx/access.log") }, "the access log is read: \(marked)")
            let accessLog = try String(contentsOfFile: "\(stack.runDir)/nginx/access.log", encoding: .utf8)
            #expect(accessLog.contains("\"POST /api/press\" 429"), "refusals are logged, by status")
            #expect(accessLog.contains("\"GET /stats/panel/health\" 429"))
            for address in addresses {
                #expect(
                    StackFiles.filesContaining(address, runDir: stack.runDir).isEmpty,
                    "\(address) is in \(StackFiles.filesContaining(address, runDir: stack.runDir))"
                )
            }
            // The error log can name clients: the refusals go to a level it does not keep.
            let config = try String(contentsOfFile: "\(stack.runDir)/nginx/nginx.conf", encoding: .utf8)
            #expect(config.contains("limit_req_log_level info;"))
            #expect(config.contains("error.log emerg;"))
        }
    }
}

extension RateLimitTests {
    @Test func aBadLimitIsRefusedNamingItsVariableAndNginxKeepsServing() async throws {
        for (name, value) in [
            ("BUTTON_PRESS_RATE", "fast"), ("BUTTON_STATS_BURST", "-1"), ("BUTTON_RATE_LIMIT", "maybe"),
        ] {
            do {
                try StackControl.run(["restart", "nginx"], env: stack.env, extra: [name: value])
                Issue.record("\(name)=\(value) was accepted")
            } catch let error as StackEnvError {
                #expect(error.message.contains(name), "\(error.message)")
                #expect(!error.message.contains("stopping what was started"), "the stack stays up")
            }
            let health = try await HTTP.send("GET", stack.app + "/api/health")
            #expect(health.status == 200, "the running nginx kept serving")
        }
    }
}
