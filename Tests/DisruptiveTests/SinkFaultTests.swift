import ButtonEvents
import Foundation
import Kafka
import LocalBroker
import Postgres
import TestSupport
import Testing

/// The sink through crashes, a second member joining and PostgreSQL going away: every event of
/// a backlog is stored exactly once. Each test produces straight to Kafka (several sessions, so
/// several partitions) and counts that backlog's rows.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SinkFaultTests {
    let database: SinkDatabase
    init() throws { database = try SinkDatabase() }

    var runDir: String { database.stack.runDir }
    var sinkLog: String { "\(runDir)/logs/sink.log" }

    /// `sessions` sessions of `perSession` events each, produced and acknowledged.
    func produceBacklog(sessions: Int, perSession: Int) async throws -> [UUID] {
        let schemaID = try await database.schemaID()
        let ids = (0..<sessions).map { _ in UUID() }
        for id in ids {
            let values = (0..<perSession).map {
                SinkDatabase.event(session: id, index: $0, cohort: Int32($0 % 3)).encoded(schemaID: schemaID)
            }
            _ = try database.produce(values, key: Array(id.uuidString.utf8))
        }
        return ids
    }

    /// Rows of the sessions, and how many distinct Kafka positions they have.
    func counts(_ sessions: [UUID]) throws -> (rows: Int, positions: Int) {
        let list = sessions.map { $0.uuidString.lowercased() }.joined(separator: ",")
        let result = try database.connection.query(
            """
            SELECT count(*) AS rows, count(DISTINCT ("partition", "offset")) AS positions FROM button_presses
            WHERE session_id = ANY(string_to_array($1, ',')::uuid[])
            """,
            [.text(list)]
        )
        let row = try #require(result.first)
        return (try row.int("rows"), try row.int("positions"))
    }

    func waitForCount(_ sessions: [UUID], atLeast expected: Int, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let rows = try counts(sessions).rows
            if rows >= expected || ContinuousClock.now > deadline { return rows }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func logLength() -> Int { (try? Data(contentsOf: URL(fileURLWithPath: sinkLog)).count) ?? 0 }

    func logSince(_ offset: Int) -> String {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: sinkLog)), data.count >= offset else { return "" }
        return String(decoding: data[offset...], as: UTF8.self)
    }

    /// Whether the sink's log after `offset` satisfies `matches` within `timeout`.
    func waitForLog(since offset: Int, timeout: Duration, _ matches: (String) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !matches(logSince(offset)) {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(200))
        }
        return true
    }

    func sinkPID() throws -> pid_t {
        let text = try String(contentsOfFile: "\(runDir)/pids/sink.pid", encoding: .utf8)
        return try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func sigkillMidStreamThenRestartStoresEveryEventOnce() async throws {
        let logStart = logLength()
        let sessions = try await produceBacklog(sessions: 6, perSession: 5000)
        let total = 30_000
        // Kill while the backlog is being written: some rows stored, not all.
        let partial = try await waitForCount(sessions, atLeast: 1, timeout: .seconds(20))
        try #require(partial > 0)
        let before = try counts(sessions).rows
        #expect(kill(try sinkPID(), SIGKILL) == 0)
        try StackControl.run(["restart", "sink"], env: database.stack.env)
        let rows = try await waitForCount(sessions, atLeast: total, timeout: .seconds(120))
        #expect(before < total, "killed mid-stream (\(before) of \(total) stored)")
        #expect(rows == total)
        try await Task.sleep(for: .seconds(1))
        let final = try counts(sessions)
        #expect(final.rows == total && final.positions == total)
        // The sink logs its assignment on its next once-a-second check, which a loaded machine
        // can put after the last row is stored: wait for the line rather than read once.
        let resumed = try await waitForLog(since: logStart, timeout: .seconds(15)) {
            $0.contains("continuing at the stored offset") || $0.contains("assigned partitions")
        }
        #expect(resumed)
        #expect(!logSince(logStart).contains("already stored"), "the restarted sink resumed at the stored offsets")
    }

    /// The broker goes away while the sink reads a backlog and comes back: the sink neither
    /// skips nor repeats anything, and events produced after the outage are stored too.
    @Test func brokerDownThenUpLosesAndDuplicatesNothing() async throws {
        let control = BrokerControlClient(path: try database.stack.env.require("BROKER_CONTROL"))
        let first = try await produceBacklog(sessions: 3, perSession: 4000)
        _ = try await waitForCount(first, atLeast: 1, timeout: .seconds(20))
        #expect(try control.send("down all").hasPrefix("ok"))
        var restored = false
        defer { if !restored { _ = try? control.send("up all") } }
        try await Task.sleep(for: .seconds(4))
        let during = try counts(first).rows
        #expect(try control.send("up all").hasPrefix("ok"))
        restored = true
        let second = try await produceBacklog(sessions: 3, perSession: 1000)
        let all = first + second
        let rows = try await waitForCount(all, atLeast: 15_000, timeout: .seconds(120))
        #expect(rows == 15_000, "\(rows) rows (\(during) stored when the broker went down)")
        try await Task.sleep(for: .seconds(1))
        let final = try counts(all)
        #expect(final.rows == 15_000 && final.positions == 15_000, "each event once")
    }

    @Test func twoSinksInOneGroupStoreEveryEventOnceAndSigtermExitsZero() async throws {
        let second = try GroupMember(
            "button-sink",
            stack: database.stack,
            environment: ["PG_DSN": try database.stack.env.require("PG_DSN"), "SINK_LAG_INTERVAL_MS": "500"]
        )
        // Let the group rebalance onto two members, then produce.
        try await Task.sleep(for: .seconds(6))
        let sessions = try await produceBacklog(sessions: 6, perSession: 2000)
        let total = 12_000
        let rows = try await waitForCount(sessions, atLeast: total, timeout: .seconds(90))
        #expect(rows == total)
        let (status, text) = second.stop()
        #expect(status == 0, "SIGTERM: the batch in hand is written, exit 0")
        #expect(text.contains("assigned partitions: [\"button_presses"), "the second sink took partitions")
        #expect(text.contains("sink stopped"))
        try await Task.sleep(for: .seconds(1))
        let final = try counts(sessions)
        #expect(final.rows == total && final.positions == total)
    }

    @Test func postgresRestartMidBacklogLosesAndDuplicatesNothing() async throws {
        let logStart = logLength()
        let first = try await produceBacklog(sessions: 6, perSession: 5000)
        // Restart PostgreSQL while the sink is writing the backlog: batches fail mid-flight.
        let partial = try await waitForCount(first, atLeast: 1, timeout: .seconds(20))
        try #require(partial > 0)
        let before = try counts(first).rows
        try StackControl.run(["restart", "postgres"], env: database.stack.env)
        let second = try await produceBacklog(sessions: 3, perSession: 1000)
        let sessions = first + second
        let total = 33_000
        // The test's own connection was cut by the restart: a fresh one.
        let fresh = try SinkDatabase()
        let list = PostgresValue.text(sessions.map { $0.uuidString.lowercased() }.joined(separator: ","))
        let sql =
            "SELECT count(*) AS count FROM button_presses WHERE session_id = ANY(string_to_array($1, ',')::uuid[])"
        let deadline = ContinuousClock.now + .seconds(120)
        var rows = 0
        while ContinuousClock.now < deadline {
            rows = try fresh.count(sql, [list])
            if rows >= total { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(before < 30_000, "restarted mid-backlog (\(before) of 30000 stored)")
        #expect(rows == total)
        try await Task.sleep(for: .seconds(1))
        #expect(try fresh.count(sql, [list]) == total)
        let log = logSince(logStart)
        #expect(
            log.contains("PostgreSQL connection lost") || log.contains("writing a batch"),
            "the sink saw the outage"
        )
        #expect(!log.contains("already stored"))
    }
}

/// The local broker keeps its log in memory: restarted, it is empty, and the offsets the sink
/// stored name messages that no longer exist.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SinkLogResetTests {
    @Test func brokerRestartedEmptyIsNoticedAndNewEventsAreStored() async throws {
        let before = try SinkDatabase()
        // Something stored, so the sink has positions past the new, empty log's end.
        let schemaID = try await before.schemaID()
        let old = UUID()
        _ = try before.produce(
            (0..<50).map { SinkDatabase.event(session: old, index: $0).encoded(schemaID: schemaID) },
            key: Array(old.uuidString.utf8)
        )
        #expect(try await before.waitForRows(sessions: [old], expected: 50, timeout: .seconds(10)).count == 50)
        let logPath = "\(before.stack.runDir)/logs/sink.log"
        let logStart = (try? Data(contentsOf: URL(fileURLWithPath: logPath)).count) ?? 0

        try StackControl.run(["restart", "broker"], env: before.stack.env)
        let after = try SinkDatabase()  // new broker address
        let fresh = UUID()
        let newID = try await after.schemaID()
        _ = try after.produce(
            (0..<20).map { SinkDatabase.event(session: fresh, index: $0).encoded(schemaID: newID) },
            key: Array(fresh.uuidString.utf8)
        )
        let rows = try await after.waitForRows(sessions: [fresh], expected: 20, timeout: .seconds(30))
        #expect(rows.count == 20, "events after the reset are stored, not skipped as already written")
        let oldRows = try after.rows(sessions: [old])
        #expect(oldRows.count == 50, "the rows of the lost log stay")
        #expect(oldRows.allSatisfy { $0.partition == nil && $0.offset == nil }, "their positions are cleared")
        #expect(rows.allSatisfy { $0.offset != nil })
        let log = String(decoding: try Data(contentsOf: URL(fileURLWithPath: logPath))[logStart...], as: UTF8.self)
        #expect(log.contains("belongs to Kafka cluster") || log.contains("it was reset"), "the reset is logged")
    }
}
