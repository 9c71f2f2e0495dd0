import ButtonEvents
public import Foundation

extension EnrichedTopic {
    /// A backlog produced straight to `button_presses`: its sessions and the source
    /// position of every event.
    public struct Backlog: Sendable {
        public let ids: [UUID]
        public let positions: Set<Position>
    }

    /// `sessions` sessions of `perSession` events each (cohorts 0, 1, 2 in turn), produced
    /// under the current schema and acknowledged. Several sessions, so several partitions.
    /// - Throws: when the registry has no schema or a message is not delivered.
    public func produceBacklog(sessions: Int, perSession: Int) async throws -> Backlog {
        let schemaID = try await stack.schemaID()
        let ids = (0..<sessions).map { _ in UUID() }
        var positions = Set<Position>()
        for id in ids {
            let values = (0..<perSession).map {
                SinkDatabase.event(session: id, index: $0, cohort: Int32($0 % 3)).encoded(schemaID: schemaID)
            }
            for position in try stack.produce(values, key: Array(id.uuidString.lowercased().utf8)) {
                positions.insert(.init(partition: position.partition, offset: position.offset))
            }
        }
        return Backlog(ids: ids, positions: positions)
    }

    /// Waits until the stack's enricher enriches: one event of a fresh session is produced and
    /// its enriched message awaited. Right after a restart the enricher has no partitions yet
    /// (the local broker's group may first wait for the old member's session to expire).
    /// - Throws: when the probe is not enriched within `timeout`.
    public func waitUntilEnriching(timeout: Duration = .seconds(150)) async throws {
        let mark = try mark()
        let probe = UUID()
        let schemaID = try await stack.schemaID()
        _ = try stack.produce(
            [SinkDatabase.event(session: probe, index: 0, cohort: 1).encoded(schemaID: schemaID)],
            key: Array(probe.uuidString.lowercased().utf8)
        )
        guard try !messages(since: mark, sessions: [probe], expected: 1, timeout: timeout).isEmpty else {
            throw StackEnvError(message: "the enricher enriched nothing within \(timeout)")
        }
    }

    /// Waits until the stack's enricher enriches, pauses it (SIGSTOP) while a backlog is
    /// produced, lets it run until its first output of the backlog, then sends it `signal`:
    /// it is interrupted mid-stream for sure, however fast it is and however loaded the
    /// machine, even right after a restart. Every pause stays well under the group's session
    /// timeout.
    /// - Returns: the enriched topic's mark from before the backlog, the backlog, and how
    ///   many enriched messages were written when the signal was sent (the caller checks
    ///   that this is more than none and less than all).
    /// - Throws: when a signal cannot be sent, the backlog cannot be produced, or kcat fails.
    public func interruptMidStream(
        _ signal: Int32,
        sessions: Int,
        perSession: Int
    ) async throws -> (mark: TopicMark, backlog: Backlog, done: Int) {
        try await waitUntilEnriching()
        let mark = try mark()
        let pid = try pid()
        func send(_ signal: Int32) throws {
            guard kill(pid, signal) == 0 else { throw StackEnvError(message: "cannot signal the enricher (\(pid))") }
        }
        // Never leave it stopped, whatever fails.
        defer { kill(pid, SIGCONT) }
        try send(SIGSTOP)
        let backlog = try await produceBacklog(sessions: sessions, perSession: perSession)
        // It runs in short slices and is counted while stopped, so the signal comes within one
        // slice of its first output however loaded the machine is (polling a running enricher,
        // a slow kcat could see its first output only after its last).
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            try send(SIGCONT)
            usleep(20_000)  // blocking on purpose: an async sleep can oversleep by far on 2 busy cores
            try send(SIGSTOP)
            let done = try mark.count()
            if done > 0 || ContinuousClock.now >= deadline {
                // A stopped process acts on SIGTERM once it runs again: the deferred SIGCONT.
                try send(signal)
                return (mark, backlog, done)
            }
        }
    }
}
