import Foundation
import LocalBroker
import TestSupport
import Testing

/// Slow requests and the per-request budget (issue 11, item 5), with a broker slowed down on
/// purpose: the workers are restarted with a 250 ms slow-request threshold and a 1.2 s budget
/// (the ack timeout stays 2 s), then put back.
@Suite(.serialized) struct SlowRequestTests {
    @Test func slowPressesAreLoggedWithTheirPhasesAndASpentBudgetAnswers503() async throws {
        let stack = try PressStack()
        let control = BrokerControlClient(path: try stack.env.require("BROKER_CONTROL"))
        let page = PoolStatusPage(appURL: stack.app)
        try StackControl.run(
            ["restart", "workers"],
            env: stack.env,
            extra: ["BUTTON_SLOW_REQUEST_MS": "250", "BUTTON_REQUEST_TIMEOUT_MS": "1200"]
        )
        defer {
            _ = try? control.send("rtt all 0")
            _ = try? StackControl.run(["restart", "workers"], env: stack.env)
        }
        let log = "\(stack.runDir)/logs/workers.log"
        func slowLines() throws -> [String] {
            try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
                .filter { $0.contains("slow request") }
        }
        let linesBefore = try slowLines().count
        let before = try await page.exposition()
        let address = "130.149.0.77"
        let client = PressClient(appURL: stack.app, forwardedFor: address)
        #expect(try await client.post("/api/enter").status == 200)

        // Slow but within the budget: acknowledged, and logged with where the time went.
        #expect(try control.send("rtt all 350").hasPrefix("ok"))
        let slow = try await client.post("/api/press")
        #expect(slow.status == 200)
        var lines = Array(try slowLines().dropFirst(linesBefore))
        let slowLine = try #require(lines.first { $0.contains("route=press") && $0.contains("status=200") }, "\(lines)")
        let ack = try #require(Self.milliseconds("kafka_ack_ms", in: slowLine))
        let total = try #require(Self.milliseconds("total_ms", in: slowLine))
        #expect(ack >= 300 && total >= ack, "\(slowLine)")
        for phase in ["cookie_ms", "locate_ms", "encode_ms"] { #expect(slowLine.contains(phase)) }

        // Slower than the budget: 503 with Retry-After after about 1.2 s, not the 2 s ack timeout.
        #expect(try control.send("rtt all 3000").hasPrefix("ok"))
        let started = ContinuousClock.now
        let late = try await client.post("/api/press")
        let waited = ContinuousClock.now - started
        #expect(late.status == 503)
        #expect(late.header("Retry-After") == "5")
        #expect(late.text.contains("short break"), "the page's friendly fragment")
        #expect(waited >= .milliseconds(1100) && waited < .milliseconds(1900), "answered at the budget: \(waited)")
        #expect(try control.send("rtt all 0").hasPrefix("ok"))

        lines = Array(try slowLines().dropFirst(linesBefore))
        #expect(lines.contains { $0.contains("status=503") && $0.contains("timed_out=true") }, "\(lines)")
        for line in lines {
            #expect(!line.contains(address), "no client address in the slow log")
            #expect(!line.contains(client.cookie ?? "no cookie"))
        }
        let after = try await page.exposition()
        #expect(
            (after.value("button_request_timeouts_total") ?? 0) >= (before.value("button_request_timeouts_total") ?? 0)
                + 1
        )
        #expect(
            (after.value("button_slow_requests_total") ?? 0) >= (before.value("button_slow_requests_total") ?? 0) + 2
        )
        #expect(
            (after.value("button_kafka_produce_errors_total") ?? 0)
                >= (before.value("button_kafka_produce_errors_total") ?? 0) + 1
        )
    }

    /// `name=12.345` in a log line.
    static func milliseconds(_ name: String, in line: String) -> Double? {
        guard let range = line.range(of: "\(name)=") else { return nil }
        return Double(line[range.upperBound...].prefix { $0.isNumber || $0 == "." })
    }
}
