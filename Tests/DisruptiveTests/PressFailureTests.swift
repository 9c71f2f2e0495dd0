import Foundation
import LocalBroker
import Session
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Failures on purpose: Kafka down, workers terminated or killed, connection floods.
/// In DisruptiveTests, run alone after the others, so counts of the whole topic are exact.
@Suite(.serialized) struct PressFailureTests {
    let stack: PressStack
    init() throws { stack = try PressStack() }

    func broker() throws -> BrokerControlClient {
        BrokerControlClient(path: try stack.env.require("BROKER_CONTROL"))
    }

    @Test func kafkaDownAnswers503WithRetryAfterThenRecoversByItself() async throws {
        let control = try broker()
        let mark = try stack.mark()
        let client = PressClient(appURL: stack.app, forwardedFor: "130.149.0.1")
        #expect(try await client.post("/api/enter").status == 200)
        var acknowledged = 1

        #expect(try control.send("down all").hasPrefix("ok"))
        defer { _ = try? control.send("up all") }
        let started = ContinuousClock.now
        let refused = try await client.post("/api/press")
        let waited = ContinuousClock.now - started
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "5")
        #expect(refused.text.contains("short break"), "a friendly fragment for the page")
        #expect(waited < .seconds(6), "answered within the ack timeout, no hang (took \(waited))")
        let plain = try await client.post("/api/press", htmx: false)
        #expect(plain.status == 503)
        #expect(plain.text.contains("<a href=\"/\">"), "a small page for clients without JavaScript")

        #expect(try control.send("up all").hasPrefix("ok"))
        // The same workers, not restarted, succeed again once librdkafka reconnects.
        var recovered = false
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await client.post("/api/press").status == 200 {
                recovered = true
                acknowledged += 1
                break
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(recovered, "presses succeed again after Kafka is back")
        for _ in 0..<3 {
            #expect(try await client.post("/api/press").status == 200)
            acknowledged += 1
        }
        // Every 2xx has its event in the topic.
        let session = try stack.session(client)
        let events = try stack.messages(since: mark, sessions: [session.id], expected: acknowledged)
        #expect(events.count >= acknowledged)
    }

    /// Defect: a 503 carried a Set-Cookie whose press count had gone up; after an outage the
    /// page said 5 where 3 presses were in Kafka.
    @Test func aRefusedPressLeavesTheSessionAsItWas() async throws {
        let control = try broker()
        let mark = try stack.mark()
        let client = PressClient(appURL: stack.app, forwardedFor: "130.149.0.1")
        #expect(try await client.post("/api/enter").status == 200)
        for _ in 0..<2 { #expect(try await client.post("/api/press").status == 200) }
        let before = try #require(client.cookie)

        #expect(try control.send("down all").hasPrefix("ok"))
        defer { _ = try? control.send("up all") }
        for _ in 0..<2 {
            let refused = try await client.post("/api/press")
            #expect(refused.status == 503)
            #expect(refused.header("Set-Cookie") == nil, "a refused press must not change the session")
        }
        #expect(client.cookie == before)
        let newcomer = PressClient(appURL: stack.app, forwardedFor: "81.2.69.160")
        let refusedEnter = try await newcomer.post("/api/enter")
        #expect(refusedEnter.status == 503)
        #expect(refusedEnter.header("Set-Cookie") == nil, "no cookie for a session whose EnterPage Kafka never got")

        #expect(try control.send("up all").hasPrefix("ok"))
        var answer = try await client.post("/api/press")
        let deadline = ContinuousClock.now + .seconds(30)
        while answer.status != 200 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            answer = try await client.post("/api/press")
        }
        #expect(answer.status == 200)
        #expect(answer.text.contains("Presses this session: 3"), "the page counts only presses Kafka took")
        let session = try stack.session(client)
        #expect(session.presses == 3)
        let events = try stack.messages(since: mark, sessions: [session.id], expected: 4)
        #expect(events.count == 4, "EnterPage and three acknowledged presses, nothing else")
    }

    /// Defect: an outage wrote one warning per refused request, from every thread at once.
    @Test func anOutageIsLoggedOncePerIntervalNotPerRequest() async throws {
        let control = try broker()
        let log = "\(stack.runDir)/logs/workers.log"
        let line = "Kafka did not acknowledge events"
        func refusalLines() throws -> [Substring] {
            try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.contains(line) }
        }
        let before = try refusalLines().count
        #expect(try control.send("down all").hasPrefix("ok"))
        defer { _ = try? control.send("up all") }
        let refused = Counter()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<24 {
                group.addTask {
                    let client = PressClient(appURL: stack.app, forwardedFor: "128.32.1.\(index + 1)")
                    if (try? await client.post("/api/enter"))?.status == 503 { refused.add() }
                }
            }
        }
        #expect(try control.send("up all").hasPrefix("ok"))
        #expect(refused.value == 24)
        let added = try refusalLines().dropFirst(before)
        // Positive control: the outage is in this log at all.
        #expect(!added.isEmpty, "the first refusal is logged at once")
        // Each worker process writes its first refusal, then at most one summary per 5 s;
        // the 24 refusals took about one ack timeout (2 s).
        let workers = Int(ProcessInfo.processInfo.environment["BUTTON_PROCESSES"] ?? "") ?? 2
        #expect(added.count <= 2 * workers, "\(added.count) lines for 24 refusals")
    }

    @Test func sigtermUnderLoadLosesNothingAcknowledged() async throws {
        let mark = try stack.mark()
        let stop = StopFlag()
        let acknowledged = Counter()
        let failedFast = Counter()
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        let client = PressClient(appURL: stack.app, forwardedFor: "128.32.0.\(index + 1)")
                        while !stop.isSet {
                            guard let answer = try? await client.post("/api/press") else {
                                failedFast.add()
                                continue
                            }
                            if answer.status == 200 { acknowledged.add() } else { failedFast.add() }
                        }
                    }
                }
            }
        }
        try await Task.sleep(for: .seconds(2))
        // SIGTERM to the pool (and a fresh pool after it), while 16 clients keep pressing.
        try StackControl.run(["restart", "workers"], env: stack.env)
        try await Task.sleep(for: .seconds(2))
        stop.set()
        await load.value
        #expect(acknowledged.value > 50, "the load ran")
        let recorded = try mark.count()
        #expect(recorded >= acknowledged.value, "every acknowledged press is in Kafka")
        // Unacknowledged presses may or may not have been recorded; never more than tried.
        #expect(recorded <= acknowledged.value + failedFast.value)
    }

    @Test func aKilledWorkerIsReplacedAndServiceContinues() async throws {
        let master = try #require(
            Int32(
                try String(contentsOfFile: "\(stack.runDir)/pids/workers.pid", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            )
        )
        let workers = Self.children(of: master)
        try #require(workers.count >= 1)
        let victim = workers[0]
        #expect(kill(victim, SIGKILL) == 0)
        let client = PressClient(appURL: stack.app)
        var statuses: [Int] = []
        for _ in 0..<20 { statuses.append(try await client.post("/api/enter").status) }
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "never a hang or another error: \(statuses)")
        #expect(statuses.suffix(5).allSatisfy { $0 == 200 })
        var replaced: [Int32] = []
        for _ in 0..<50 {
            replaced = Self.children(of: master)
            if replaced.count == workers.count && !replaced.contains(victim) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(replaced.count == workers.count, "the pool is back to full size")
        #expect(!replaced.contains(victim))
    }

    @Test func farMoreConnectionsThanWorkerThreadsAllComplete() throws {
        // The test stack runs 2 processes x 64 threads; wrk opens 400 connections.
        let mark = try stack.mark()
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("press-\(UUID().uuidString).lua")
        try """
        wrk.method = "POST"
        wrk.headers["HX-Request"] = "true"
        wrk.headers["X-Forwarded-For"] = "193.0.6.139"
        """.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let output = try Self.run(
            "/usr/bin/wrk",
            ["-t2", "-c400", "-d5s", "--timeout", "15s", "-s", script.path, "\(stack.app)/api/press"]
        )
        // Control first: this is wrk's summary, where those error lines would be.
        let requests = try #require(Self.requests(in: output), "wrk printed no request count:\n\(output)")
        #expect(!output.contains("Socket errors"), "no connection failed or timed out:\n\(output)")
        #expect(!output.contains("Non-2xx"), "every request was answered 2xx:\n\(output)")
        #expect(requests > 400)
        let recorded = try mark.count()
        #expect(recorded >= requests, "each answered press is in Kafka (\(recorded) events, \(requests) answers)")
    }

    static func requests(in wrkOutput: String) -> Int? {
        // "  12345 requests in 5.00s, ..."
        for line in wrkOutput.split(separator: "\n") where line.contains(" requests in ") {
            return Int(line.trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
        }
        return nil
    }

    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent && fields[0] != "Z"
        }.sorted()
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let result = try Command.run(executable, arguments)
        return result.output + result.errors
    }
}

/// A flag and counters shared by the load tasks.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add() { count.withLock { $0 += 1 } }
}
