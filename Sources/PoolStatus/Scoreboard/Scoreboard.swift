import Atomics
public import POSIXSupport

#if canImport(Glibc)
import Glibc
#endif

/// The pool's scoreboard: figures every worker process writes and any of them reads, in
/// shared memory, like PHP-FPM's.
///
/// The master creates it (unlinked POSIX shared memory, not close-on-exec, so the workers
/// it spawns inherit it) and names its descriptor in `BUTTON_SCOREBOARD_FD`; each worker maps
/// the same pages. Writers use relaxed atomic adds and stores only: no lock is ever taken
/// on the request path, and a reader sees each word whole (a status page may mix figures
/// a few requests apart, which is fine for monitoring).
///
/// No client address, cookie or session id is ever written here: only counts, times,
/// route names and process ids.
///
/// `@unchecked Sendable`: the mapping lives as long as the process (it is never unmapped
/// while the object exists), and every access to it is atomic.
public final class Scoreboard: @unchecked Sendable {
    /// A word's storage, as swift-atomics spells it (the Synchronization module has a type of
    /// the same name on `UInt64`).
    typealias Word = UnsafeAtomic<UInt64>.Storage

    /// The environment variable naming the inherited descriptor.
    public static let descriptorVariable = "BUTTON_SCOREBOARD_FD"
    static let magic: UInt64 = 0x4254_4e53_434f_5245  // "BTNSCORE"
    /// The scoreboard's descriptor is at least this.
    public static let lowestDescriptor: Int32 = 64

    /// The layout shared by every process of the pool.
    public let layout: ScoreboardLayout
    /// The scoreboard's descriptor (inherited by spawned workers).
    public let descriptor: Int32
    let words: UnsafeMutablePointer<Word>

    private init(layout: ScoreboardLayout, descriptor: Int32, words: UnsafeMutablePointer<Word>) {
        self.layout = layout
        self.descriptor = descriptor
        self.words = words
    }

    deinit {
        munmap(UnsafeMutableRawPointer(words), layout.byteCount)
    }

    /// Creates a zeroed scoreboard in the master and stamps it with the pool's start time.
    /// - Parameters:
    ///   - layout: the layout every worker will use.
    ///   - metricsEnabled: whether workers record per-request figures.
    /// - Throws: `SystemError` when the memory cannot be created or mapped.
    public static func create(layout: ScoreboardLayout, metricsEnabled: Bool) throws(SystemError) -> Scoreboard {
        // POSIX shared memory, unlinked at once: only descriptors reach it. (memfd_create
        // would do the same, but Swift's Glibc module does not declare it.)
        let name = "/button-scoreboard-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let opened = try retryingSystemCall("shm_open \(name)") { shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600) }
        shm_unlink(name)
        // Moved above the low descriptors: a worker gets its listening socket on 3 (and
        // socket activation hands out 3 and up), which would replace a scoreboard there.
        let moved = fcntl(opened, F_DUPFD, lowestDescriptor)
        close(opened)
        guard moved >= 0 else { throw SystemError.last("fcntl F_DUPFD") }
        let fd = moved
        do {
            // Not close-on-exec (a duplicate never is): the workers are spawned with it.
            try retryingSystemCall("ftruncate") { ftruncate(fd, off_t(layout.byteCount)) }
            let board = try map(fd: fd, layout: layout)
            board.store(UInt64(bitPattern: microsecondsNow()), at: ScoreboardLayout.poolStartWord)
            board.store(metricsEnabled ? 1 : 0, at: ScoreboardLayout.metricsEnabledWord)
            board.store(layout.fingerprint, at: ScoreboardLayout.fingerprintWord)
            board.store(magic, at: ScoreboardLayout.magicWord)
            return board
        } catch {
            close(fd)
            throw error
        }
    }

    /// Maps the scoreboard a worker inherited, if its descriptor is named and its layout matches.
    /// - Parameters:
    ///   - layout: the layout this executable expects.
    ///   - environment: the process environment.
    /// - Returns: nil when no scoreboard was passed.
    /// - Throws: `ScoreboardError` when one was named but cannot be used.
    public static func inherited(layout: ScoreboardLayout, environment: [String: String]) throws -> Scoreboard? {
        guard let text = environment[descriptorVariable] else { return nil }
        guard let fd = Int32(text), fd >= 0 else {
            throw ScoreboardError("\(descriptorVariable) must be a descriptor number, not '\(text)'")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) >= layout.byteCount else {
            throw ScoreboardError("descriptor \(fd) is not a scoreboard of \(layout.byteCount) bytes")
        }
        let board = try map(fd: fd, layout: layout)
        guard board.load(ScoreboardLayout.magicWord) == magic,
            board.load(ScoreboardLayout.fingerprintWord) == layout.fingerprint
        else {
            throw ScoreboardError("the scoreboard was made by another version of the worker (layout differs)")
        }
        return board
    }

    private static func map(fd: Int32, layout: ScoreboardLayout) throws(SystemError) -> Scoreboard {
        let address = mmap(nil, layout.byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else { throw SystemError.last("mmap scoreboard") }
        let words = address.bindMemory(to: Word.self, capacity: layout.byteCount / 8)
        return Scoreboard(layout: layout, descriptor: fd, words: words)
    }

    // MARK: words

    @inline(__always) func atomic(_ word: Int) -> UnsafeAtomic<UInt64> { UnsafeAtomic(at: words + word) }
    @inline(__always) func load(_ word: Int) -> UInt64 { atomic(word).load(ordering: .relaxed) }
    @inline(__always) func store(_ value: UInt64, at word: Int) { atomic(word).store(value, ordering: .relaxed) }
    @inline(__always) func add(_ value: UInt64, at word: Int) {
        atomic(word).wrappingIncrement(by: value, ordering: .relaxed)
    }

    /// When the pool started, microseconds since the epoch.
    public var poolStartMicroseconds: Int64 { Int64(bitPattern: load(ScoreboardLayout.poolStartWord)) }
    /// Whether per-request figures are recorded (`BUTTON_METRICS`).
    public var metricsEnabled: Bool { load(ScoreboardLayout.metricsEnabledWord) != 0 }

    /// Adds to a pool-wide figure.
    public func add(_ amount: Int64, to figure: ScoreboardLayout.Global) {
        add(UInt64(bitPattern: amount), at: layout.global(figure))
    }

    /// A pool-wide figure.
    public func value(_ figure: ScoreboardLayout.Global) -> Int64 {
        Int64(bitPattern: load(layout.global(figure)))
    }

    /// Raises the longest listen queue seen to `length` if it is longer.
    public func noteListenQueue(_ length: Int) {
        let cell = atomic(layout.global(.maxListenQueue))
        var seen = cell.load(ordering: .relaxed)
        while UInt64(length) > seen {
            let (exchanged, original) = cell.compareExchange(
                expected: seen,
                desired: UInt64(length),
                ordering: .relaxed
            )
            if exchanged { return }
            seen = original
        }
    }

    /// Counts one answered request by route and status.
    public func countRequest(route: Int, status: Int) {
        add(1, at: layout.routeCounter(route: route, status: layout.statusColumn(status)))
    }

    /// Records a duration in histogram `index` (timed routes in order, then Kafka's ack).
    public func record(nanoseconds: Int64, inHistogram index: Int) {
        let base = layout.histogram(index)
        let value = max(0, nanoseconds)
        var bucket = ScoreboardLayout.bucketBounds.count
        for (position, bound) in ScoreboardLayout.bucketBounds.enumerated() where value <= bound {
            bucket = position
            break
        }
        add(1, at: base + bucket)
        add(UInt64(value), at: base + ScoreboardLayout.bucketBounds.count + 1)
        add(1, at: base + ScoreboardLayout.bucketBounds.count + 2)
    }

    /// The histogram index of the Kafka acknowledgement.
    public var kafkaAckHistogram: Int { layout.timedRoutes.count }

    /// The histogram index of a timed route, if it has one.
    public func histogramIndex(route: String) -> Int? { layout.timedRoutes.firstIndex(of: route) }

    /// Takes a process slot for the calling process: a free one, or one whose owner is gone
    /// (a worker that crashed cannot give its slot back).
    /// - Parameter threads: the process's request threads (at most `threadsPerSlot` are shown).
    /// - Returns: the slot, or nil when all are held by live processes.
    public func claimProcessSlot(threads: Int) -> ProcessSlot? {
        let pid = UInt64(getpid())
        let ticks = ProcessStat.read(pid: getpid())?.startTicks ?? 0
        for slot in 0..<layout.processSlots {
            let pidCell = atomic(layout.process(slot) + ProcessWord.pid.rawValue)
            let owner = pidCell.load(ordering: .relaxed)
            if owner != 0 && ownerIsAlive(slot: slot, pid: owner) { continue }
            guard pidCell.compareExchange(expected: owner, desired: pid, ordering: .acquiringAndReleasing).exchanged
            else { continue }
            let base = layout.process(slot)
            // Fresh per-process figures (the threads this process has); pool-wide ones are
            // never reset.
            let used =
                ScoreboardLayout.processHeaderWords + min(threads, layout.threadsPerSlot) * ScoreboardLayout.threadWords
            for word in 1..<used { store(0, at: base + word) }
            store(ticks, at: base + ProcessWord.startTicks.rawValue)
            store(UInt64(bitPattern: microsecondsNow()), at: base + ProcessWord.startMicroseconds.rawValue)
            store(UInt64(threads), at: base + ProcessWord.threads.rawValue)
            return ProcessSlot(board: self, index: slot)
        }
        return nil
    }

    /// Whether the process recorded in `slot` still runs (the same pid and start time).
    func ownerIsAlive(slot: Int, pid: UInt64) -> Bool {
        guard let stat = ProcessStat.read(pid: pid_t(truncatingIfNeeded: pid)) else { return false }
        let ticks = load(layout.process(slot) + ProcessWord.startTicks.rawValue)
        return ticks == 0 || stat.startTicks == ticks
    }
}

/// One worker process's entry in the scoreboard.
public struct ProcessSlot: Sendable {
    let board: Scoreboard
    /// The slot number.
    public let index: Int

    func word(_ word: ProcessWord) -> Int { board.layout.process(index) + word.rawValue }

    /// Marks the process as serving (1) or draining (2).
    public func setState(_ state: ProcessState) { board.store(state.rawValue, at: word(.state)) }

    /// Gives the slot back (on a clean exit).
    public func release() { board.store(0, at: word(.pid)) }

    /// The entry of request thread `index`, or nil past the slot's capacity.
    public func thread(_ index: Int) -> ThreadSlot? {
        guard index >= 0 && index < board.layout.threadsPerSlot else { return nil }
        return ThreadSlot(process: self, base: board.layout.thread(index, ofProcess: self.index))
    }

    /// Stores librdkafka's latest statistics for this process's producer.
    public func storeKafkaStatistics(_ statistics: KafkaStatistics) {
        board.store(UInt64(max(0, statistics.queuedMessages)), at: word(.kafkaQueuedMessages))
        board.store(UInt64(max(0, statistics.queuedBytes)), at: word(.kafkaQueuedBytes))
        board.store(UInt64(max(0, statistics.sentMessages)), at: word(.kafkaSentMessages))
        board.store(UInt64(max(0, statistics.sentBytes)), at: word(.kafkaSentBytes))
        board.store(UInt64(max(0, statistics.brokerRTTMicroseconds)), at: word(.kafkaBrokerRTTMicroseconds))
        board.store(UInt64(max(0, statistics.sendErrors)), at: word(.kafkaSendErrors))
        board.store(UInt64(bitPattern: microsecondsNow()), at: word(.kafkaStatisticsAt))
    }
}

/// What a worker process is doing.
public enum ProcessState: UInt64, Sendable {
    case starting = 0
    case serving = 1
    case draining = 2

    var name: String {
        switch self {
        case .starting: "starting"
        case .serving: "serving"
        case .draining: "draining"
        }
    }
}

/// One request thread's entry: a few relaxed stores per request.
public struct ThreadSlot: Sendable {
    let process: ProcessSlot
    let base: Int

    /// A request was accepted: the thread is busy from now, on a route not known yet.
    /// - Returns: whether every thread of the process is now busy.
    @discardableResult
    public func begin(at start: UInt64) -> Bool {
        let board = process.board
        board.store(start, at: base + ThreadWord.requestStart.rawValue)
        board.store(0, at: base + ThreadWord.route.rawValue)
        board.store(1, at: base + ThreadWord.state.rawValue)
        let busyWord = process.word(.busyThreads)
        let busy = board.atomic(busyWord).wrappingIncrementThenLoad(by: 1, ordering: .relaxed)
        return busy >= board.load(process.word(.threads))
    }

    /// Names the route of the current request.
    public func setRoute(_ route: Int) { process.board.store(UInt64(route + 1), at: base + ThreadWord.route.rawValue) }

    /// The request was answered: the thread is idle again.
    public func end() {
        let board = process.board
        board.store(0, at: base + ThreadWord.state.rawValue)
        board.atomic(process.word(.busyThreads)).wrappingDecrement(by: 1, ordering: .relaxed)
        board.add(1, at: process.word(.requestsServed))
    }
}

/// A scoreboard that cannot be used.
public struct ScoreboardError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Monotonic nanoseconds (comparable across processes of one host).
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Wall-clock microseconds since the epoch.
func microsecondsNow() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
}
