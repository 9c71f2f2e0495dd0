extension Scoreboard {
    /// The busy and idle request threads of some live processes: what the master's dynamic
    /// mode needs, without the rest of a `StatusSnapshot` (no `/proc` reads beyond the
    /// owners' start times, no histograms).
    ///
    /// A slot counts when its owner is one of `pids` and still the process that claimed it
    /// (a slot left by a crashed worker whose pid came back is not). Busy threads come from
    /// the per-process counter the request threads keep, bounded by the process's threads
    /// (relaxed counters may be read mid-update).
    /// - Parameter pids: the processes to count (the master's serving workers).
    /// - Returns: the processes found among `pids`, and their busy and idle threads.
    public func threadLoad(of pids: Set<Int32>) -> (processes: Int, busy: Int, idle: Int) {
        var processes = 0
        var busy = 0
        var idle = 0
        for slot in 0..<layout.processSlots {
            let base = layout.process(slot)
            let pid = load(base + ProcessWord.pid.rawValue)
            guard pid != 0, pids.contains(Int32(truncatingIfNeeded: pid)), ownerIsAlive(slot: slot, pid: pid) else {
                continue
            }
            let threads = Int(min(load(base + ProcessWord.threads.rawValue), UInt64(Int32.max)))
            let working = Int(
                min(max(0, Int64(bitPattern: load(base + ProcessWord.busyThreads.rawValue))), Int64(threads))
            )
            processes += 1
            busy += working
            idle += threads - working
        }
        return (processes, busy, idle)
    }
}
