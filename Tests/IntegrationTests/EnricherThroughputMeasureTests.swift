import ButtonEvents
import Foundation
import TestSupport
import Testing

/// Enricher throughput on a backlog: events per second of a fresh consumer group reading the
/// whole of `button_presses` (at least 150 000 events). A measurement, not a check: runs only
/// with `ENRICH_MEASURE=1`, against a stack built in release
/// (`BUTTON_BUILD=release scripts/stack up`), and prints the figures. The stack's own sink
/// and enricher are paused (SIGSTOP) meanwhile, so the two cores are the measured
/// enricher's and the broker's.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ENRICH_MEASURE"] == "1"), .serialized)
struct EnricherThroughputMeasureTests {
    @Test func backlog() async throws {
        let topic = try EnrichedTopic()
        let stack = topic.stack
        let schemaID = try await stack.schemaID()
        // 24 sessions spread the backlog over the 6 partitions, 8000 events each.
        for _ in 0..<24 {
            let session = UUID()
            let values = (0..<8000).map { index in
                var event = SinkDatabase.event(session: session, index: index, cohort: index % 5 == 0 ? nil : 2)
                event.countryCode = ["US", "GB", "AU", "DE", "EU", "JP"][index % 6]
                event.cityName = index % 7 == 0 ? "Los Angeles" : ""
                return event.encoded(schemaID: schemaID)
            }
            _ = try stack.produce(values, key: Array(session.uuidString.lowercased().utf8))
        }
        let total = try TopicMark(bootstrap: stack.bootstrap, topic: "button_presses").offsets.values.reduce(0, +)
        let paused = ["sink", "enricher"].compactMap { name -> pid_t? in
            let text = try? String(contentsOfFile: "\(stack.runDir)/pids/\(name).pid", encoding: .utf8)
            return text.flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        for pid in paused { kill(pid, SIGSTOP) }
        defer { for pid in paused { kill(pid, SIGCONT) } }

        let build = stack.env.values["STACK_BUILD"] ?? "debug"
        let status = FileManager.default.temporaryDirectory.appendingPathComponent("enrich-measure-\(UUID()).status")
        let process = Process()
        process.executableURL = StackEnv.packageRoot.appendingPathComponent(".build/\(build)/button-enrich")
        process.environment = ProcessInfo.processInfo.environment.merging([
            "KAFKA_BOOTSTRAP": stack.bootstrap, "SCHEMA_REGISTRY_URL": stack.registry,
            "ENRICH_GROUP": "measure-\(UUID().uuidString)", "ENRICH_STATUS_FILE": status.path,
            "ENRICH_LAG_INTERVAL_MS": "100",
        ]) { $1 }
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The local broker keeps only the newest ~5 MB of each partition, so what is left of
        // the topic, not what was produced, is the backlog: done when every partition's lag
        // is 0 and nothing is in flight. The rate runs from the first output to the last.
        func sample() -> (enriched: Int, caughtUp: Bool) {
            let lines = ((try? String(contentsOf: status, encoding: .utf8)) ?? "").split(separator: "\n")
            func value(_ name: String) -> Int? {
                lines.first { $0.hasPrefix("\(name) ") }.flatMap { Int($0.dropFirst(name.count + 1)) }
            }
            let lags = lines.filter { $0.hasPrefix("lag ") }
            let caughtUp = lags.count == 6 && lags.allSatisfy { $0.hasSuffix(" 0") } && value("in_flight") == 0
            return (value("enriched") ?? 0, caughtUp)
        }
        var first: (ContinuousClock.Instant, Int)?
        var last = (ContinuousClock.now, 0)
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            let now = ContinuousClock.now
            let (done, caughtUp) = sample()
            if first == nil && done > 0 { first = (now, done) }
            if done != last.1 { last = (now, done) }
            if caughtUp && done > 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.terminate()
        process.waitUntilExit()
        let start = try #require(first)
        let elapsed = last.0 - start.0
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(last.1 - start.1) / seconds
        print(
            "enricher (\(build)): \(last.1) events enriched (of \(total) offsets in the topic; the broker evicted the rest); \(last.1 - start.1) in \(seconds) s = \(Int(rate)) events/s"
        )
        #expect(sample().caughtUp, "the whole backlog was enriched")
    }
}
