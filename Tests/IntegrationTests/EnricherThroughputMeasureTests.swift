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
        func enriched() -> Int {
            let text = (try? String(contentsOf: status, encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix("enriched ") }
            return line.flatMap { Int($0.dropFirst("enriched ".count)) } ?? 0
        }
        var first: (ContinuousClock.Instant, Int)?
        let deadline = ContinuousClock.now + .seconds(300)
        var done = 0
        while ContinuousClock.now < deadline {
            done = enriched()
            if first == nil && done > 0 { first = (.now, done) }
            if done >= total { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let end = ContinuousClock.now
        process.terminate()
        process.waitUntilExit()
        let start = try #require(first)
        let seconds = Double((end - start.0).components.seconds) + Double((end - start.0).components.attoseconds) / 1e18
        let rate = Double(done - start.1) / seconds
        print("enricher (\(build)): \(done - start.1) of \(total) events in \(seconds) s = \(Int(rate)) events/s")
        #expect(done >= total, "the whole backlog was enriched")
    }
}
