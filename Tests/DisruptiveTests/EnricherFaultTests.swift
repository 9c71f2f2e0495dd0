import ButtonEvents
import Foundation
import TestSupport
import Testing

/// The enricher killed, stopped and doubled while it reads a backlog: every source position
/// reaches `button_presses_enriched` at least once (ClickHouse collapses duplicates on the
/// position), and a clean stop commits what it produced, so a restart repeats nothing.
/// Each test produces straight to Kafka (several sessions, so several partitions) and reads
/// the enriched topic back with kcat.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct EnricherFaultTests {
    let topic: EnrichedTopic
    init() throws { topic = try EnrichedTopic() }
    var stack: PressStack { topic.stack }

    /// How often each source position of these sessions is in the enriched topic since the mark.
    func sourceCounts(
        _ mark: TopicMark,
        _ sessions: [UUID],
        atLeast expected: Int,
        timeout: Duration
    ) throws
        -> [EnrichedTopic.Position: Int]
    {
        let deadline = ContinuousClock.now + timeout
        while true {
            var counts: [EnrichedTopic.Position: Int] = [:]
            for message in try topic.messages(since: mark, sessions: sessions, expected: 0, timeout: .zero) {
                if let source = message.source { counts[source, default: 0] += 1 }
            }
            if counts.count >= expected || ContinuousClock.now > deadline { return counts }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    func waitForEnriched(atLeast count: Int, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let enriched = topic.counter("enriched") ?? 0
            if enriched >= count || ContinuousClock.now > deadline { return enriched }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func logLength() -> Int { (try? Data(contentsOf: URL(fileURLWithPath: topic.logPath)).count) ?? 0 }

    func logSince(_ offset: Int) -> String {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: topic.logPath)), data.count >= offset else {
            return ""
        }
        return String(decoding: data[offset...], as: UTF8.self)
    }

    // The backlogs stay small: the local broker keeps about 5 MB per partition, and an enriched
    // message is about 450 bytes, so a larger backlog would evict its own first messages.
    @Test func sigkillMidStreamThenRestartEnrichesEverySourcePositionAtLeastOnce() async throws {
        let (mark, backlog, done) = try await topic.interruptMidStream(SIGKILL, sessions: 6, perSession: 2000)
        let total = backlog.positions.count
        try #require(total == 12_000)
        #expect(done > 0 && done < total, "killed mid-stream (\(done) of \(total) written)")
        try StackControl.run(["restart", "enricher"], env: stack.env)
        // The local broker's group waits for the killed member before it assigns the partitions.
        let counts = try sourceCounts(mark, backlog.ids, atLeast: total, timeout: .seconds(150))
        let missing = backlog.positions.subtracting(counts.keys)
        #expect(missing.isEmpty, "\(missing.count) source positions never enriched, e.g. \(missing.sorted().prefix(3))")
        #expect(counts.count == total, "nothing but this backlog's positions")
        let duplicates = counts.values.reduce(0) { $0 + $1 - 1 }
        // Duplicates are allowed after a kill (at-least-once): what was written but not committed.
        #expect(duplicates <= done, "\(duplicates) duplicates")
    }

    @Test func sigtermMidStreamCommitsWhatWasProducedSoARestartRepeatsNothing() async throws {
        let logStart = logLength()
        let (mark, backlog, done) = try await topic.interruptMidStream(SIGTERM, sessions: 6, perSession: 2000)
        let total = backlog.positions.count
        #expect(done > 0 && done < total, "stopped mid-stream (\(done) of \(total) written)")
        // SIGTERM: finish in flight, flush, commit, exit 0; then the stack starts it again.
        let pid = try topic.pid()
        let deadline = ContinuousClock.now + .seconds(30)
        while kill(pid, 0) == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kill(pid, 0) != 0, "the enricher exited after SIGTERM")
        try StackControl.run(["restart", "enricher"], env: stack.env)
        let counts = try sourceCounts(mark, backlog.ids, atLeast: total, timeout: .seconds(150))
        #expect(Set(counts.keys) == backlog.positions, "every source position")
        let repeated = counts.filter { $0.value > 1 }.count
        #expect(repeated == 0, "\(repeated) positions enriched twice after a clean stop")
        let log = logSince(logStart)
        #expect(log.contains("enricher stopped:") && log.contains(", 0 not acknowledged"), "\(log.suffix(1500))")
    }

    @Test func aRestartWithNothingNewToReadReportsNoLag() async throws {
        // Something in every partition, enriched and committed: the log is not empty, so a
        // lag computed from the log's start instead of the committed offset would show.
        let mark = try topic.mark()
        let backlog = try await topic.produceBacklog(sessions: 60, perSession: 10)
        let counts = try sourceCounts(mark, backlog.ids, atLeast: backlog.positions.count, timeout: .seconds(150))
        #expect(counts.count == backlog.positions.count)
        #expect(Set(backlog.positions.map(\.partition)).count == 6, "the backlog reaches every partition")
        try await Task.sleep(for: .seconds(2))  // its commit interval is 1 s
        try StackControl.run(["restart", "enricher"], env: stack.env)
        let statusPath = "\(stack.runDir)/enricher.status"
        var lags: [String: Int] = [:]
        let deadline = ContinuousClock.now + .seconds(150)
        while true {
            let text = (try? String(contentsOfFile: statusPath, encoding: .utf8)) ?? ""
            lags = [:]
            for line in text.split(separator: "\n") where line.hasPrefix("lag ") {
                let fields = line.split(separator: " ")
                if fields.count == 3, let lag = Int(fields[2]) { lags[String(fields[1])] = lag }
            }
            if lags.count == 6 || ContinuousClock.now > deadline { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(lags.count == 6, "every partition assigned and reported: \(lags)")
        #expect(lags.values.allSatisfy { $0 == 0 }, "nothing new to read, so no lag: \(lags)")
    }

    @Test func secondEnricherInTheGroupSharesTheWorkAndSigtermExitsZero() async throws {
        let second = try GroupMember("button-enrich", stack: stack, environment: ["ENRICH_LAG_INTERVAL_MS": "500"])
        try await Task.sleep(for: .seconds(6))
        let mark = try topic.mark()
        let backlog = try await topic.produceBacklog(sessions: 6, perSession: 2000)
        let counts = try sourceCounts(mark, backlog.ids, atLeast: backlog.positions.count, timeout: .seconds(120))
        #expect(Set(counts.keys) == backlog.positions)
        let logStart = logLength()
        let (status, text) = second.stop()
        #expect(status == 0, "SIGTERM: flush, commit, exit 0")
        #expect(text.contains("assigned partitions: [\"button_presses"), "the second enricher took partitions")
        #expect(text.contains("enricher stopped:"))
        // Leave the group settled for the next test: the stack's enricher has every partition again.
        let all = (0..<6).map { "\"button_presses[\($0)]\"" }.joined(separator: ", ")
        let deadline = ContinuousClock.now + .seconds(60)
        while !logSince(logStart).contains("assigned partitions: [\(all)]") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(logSince(logStart).contains("assigned partitions: [\(all)]"))
    }
}

/// Events the original workshop app's way (python3-avro under its own schema text, no key)
/// are enriched, keyed by their session. Here, after the parallel pass: registering the
/// original schema makes it the latest version of `button_presses-value`.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct EnricherOriginalAppTests {
    @Test func eventsOfTheOriginalAppsProducerAreEnriched() async throws {
        let topic = try EnrichedTopic()
        let stack = topic.stack
        let mark = try topic.mark()
        let sessions = (0..<3).map { _ in UUID() }
        let base: Int64 = 1_751_371_200_000_007  // 2025-07-01 12:00:00.000007 UTC
        let places = [("FI", "Finland", "Helsinki"), ("US", "United States", "Chicago"), ("??", "", "")]
        let events = zip(sessions, places).enumerated().map { index, item in
            OriginalAppProducer.Event(
                sessionID: item.0.uuidString.lowercased(),
                timestamp: base + Int64(index),
                action: "PressButton",
                countryName: item.1.1,
                countryCode: item.1.0,
                cityName: item.1.2,
                cohort: index == 1 ? 5 : nil
            )
        }
        let produced = try OriginalAppProducer.produce(
            events: events,
            bootstrap: stack.bootstrap,
            registryURL: stack.registry
        )
        #expect(produced.count == events.count)
        let messages = try topic.messages(
            since: mark,
            sessions: sessions,
            expected: events.count,
            timeout: .seconds(20)
        )
        // Each event at least once (a rebalance may repeat one; ClickHouse collapses it).
        #expect(Set(messages.compactMap(\.source)).count == events.count)
        let expected: [(zone: String, hour: Int?, cohort: Int?, fake: Int)] = [
            ("Europe/Helsinki", 15, nil, 1), ("America/Chicago", 7, 5, 0), ("", nil, nil, 1),
        ]
        for (event, want) in zip(events, expected) {
            let message = try #require(messages.first { $0["session_id"] as? String == event.sessionID })
            #expect(message.key == event.sessionID, "keyed by the session though the original sent no key")
            #expect(message["timestamp"] as? Int == Int(event.timestamp))
            #expect(message["country_code"] as? String == event.countryCode)
            #expect(message["city_name"] as? String == event.cityName)
            #expect(message["time_zone"] as? String == want.zone)
            #expect(message["local_hour"] as? Int == want.hour)
            if want.hour == nil { #expect(message["local_hour"] is NSNull && message["latitude"] is NSNull) }
            #expect(message["cohort"] as? Int == want.cohort)
            if want.cohort == nil { #expect(message["cohort"] is NSNull, "a null cohort stays null") }
            #expect(message["is_fake"] as? Int == want.fake)
        }
    }
}
