/// Where each figure lives in the shared scoreboard, in 64-bit words.
///
/// Every process of a pool runs the same executable and builds the same layout from the
/// same route and status lists, so an offset means the same figure in all of them; the
/// header stores a fingerprint of the layout and a process refuses a scoreboard whose
/// fingerprint differs (an upgrade with another layout gets a fresh one).
public struct ScoreboardLayout: Sendable, Equatable {
    /// Route names counted separately (the last bucket, `other`, is added).
    public let routes: [String]
    /// HTTP statuses counted separately (anything else is `other`).
    public let statuses: [Int]
    /// Routes with a request-duration histogram.
    public let timedRoutes: [String]
    /// Process slots: worker processes that can be shown at once (old and new during a reload).
    public let processSlots: Int
    /// Threads per process slot.
    public let threadsPerSlot: Int

    /// Histogram upper bounds in nanoseconds: 0.1 ms to 2.5 s, so the sub-millisecond
    /// press path is resolved and a Kafka timeout still lands in a finite bucket.
    public static let bucketBounds: [Int64] = [
        100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000,
    ]

    /// Pool-wide counters and gauges, one word each.
    public enum Global: Int, CaseIterable, Sendable {
        /// Requests accepted by any worker (PHP-FPM's "accepted conn").
        case acceptedRequests
        /// Requests accepted while every thread of that process was busy.
        case maxThreadsReached
        /// The longest listen queue seen (updated whenever the queue is read).
        case maxListenQueue
        /// Events handed to Kafka and not yet acknowledged or given up (a gauge).
        case kafkaInFlight
        /// Events Kafka refused or did not acknowledge in time.
        case kafkaProduceErrors
        /// Requests slower than the slow-request threshold.
        case slowRequests
        /// Requests answered 503 because their time budget ran out.
        case requestTimeouts
        /// Status requests refused (403) for their address.
        case statusDenied
    }

    /// Words in one histogram: a count per bound, the overflow bucket, the sum in ns, the count.
    public static var histogramWords: Int { bucketBounds.count + 3 }
    /// Words of a process slot before its threads.
    public static let processHeaderWords = 16
    /// Words per thread.
    public static let threadWords = 4

    /// - Parameters:
    ///   - routes: route names, in a fixed order.
    ///   - statuses: statuses counted separately.
    ///   - timedRoutes: routes whose duration is a histogram.
    ///   - processSlots: process slots (at least 1).
    ///   - threadsPerSlot: threads per process slot (at least 1).
    public init(routes: [String], statuses: [Int], timedRoutes: [String], processSlots: Int, threadsPerSlot: Int) {
        self.routes = routes + ["other"]
        self.statuses = statuses
        self.timedRoutes = timedRoutes
        self.processSlots = max(1, processSlots)
        self.threadsPerSlot = max(1, threadsPerSlot)
    }

    // MARK: header words

    static let magicWord = 0
    static let fingerprintWord = 1
    static let poolStartWord = 2
    static let metricsEnabledWord = 3
    static let globalsStart = 8

    var routeCountersStart: Int { Self.globalsStart + 32 }
    var statusColumns: Int { statuses.count + 1 }
    var histogramsStart: Int { routeCountersStart + routes.count * statusColumns }
    /// Histograms: one per timed route, then the Kafka acknowledgement.
    var histogramCount: Int { timedRoutes.count + 1 }
    var processesStart: Int {
        let end = histogramsStart + histogramCount * Self.histogramWords
        return (end + 511) / 512 * 512  // a page of its own for the processes
    }
    var processWords: Int { Self.processHeaderWords + threadsPerSlot * Self.threadWords }
    /// The scoreboard's size in bytes.
    public var byteCount: Int { (processesStart + processSlots * processWords) * 8 }

    /// A number that changes when any offset would.
    var fingerprint: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: Int) {
            hash = (hash ^ UInt64(truncatingIfNeeded: value)) &* 0x0000_0100_0000_01b3
        }
        func mixText(_ text: String) {
            for byte in text.utf8 { mix(Int(byte)) }
            mix(0)
        }
        for route in routes { mixText(route) }
        for status in statuses { mix(status) }
        for route in timedRoutes { mixText(route) }
        for bound in Self.bucketBounds { mix(Int(bound)) }
        mix(Global.allCases.count)
        mix(processSlots)
        mix(threadsPerSlot)
        mix(2)  // layout version
        return hash
    }

    func global(_ figure: Global) -> Int { Self.globalsStart + figure.rawValue }

    /// The route's index; unknown names count as `other`.
    public func routeIndex(_ name: String) -> Int { routes.firstIndex(of: name) ?? routes.count - 1 }

    /// The status column; unlisted statuses count as `other`.
    public func statusColumn(_ status: Int) -> Int { statuses.firstIndex(of: status) ?? statuses.count }

    func routeCounter(route: Int, status column: Int) -> Int {
        routeCountersStart + route * statusColumns + column
    }

    /// The histogram word offset: timed routes first, then Kafka's.
    func histogram(_ index: Int) -> Int { histogramsStart + index * Self.histogramWords }
    var kafkaAckHistogram: Int { histogram(timedRoutes.count) }

    func process(_ slot: Int) -> Int { processesStart + slot * processWords }
    func thread(_ index: Int, ofProcess slot: Int) -> Int {
        process(slot) + Self.processHeaderWords + index * Self.threadWords
    }
}

/// The words of a process slot's header.
enum ProcessWord: Int {
    case pid = 0
    /// The process's start time in clock ticks after boot (`/proc/PID/stat` field 22): with
    /// the pid, it tells a live owner from a reused pid.
    case startTicks
    case startMicroseconds
    case requestsServed
    case threads
    case busyThreads
    /// 0 starting, 1 serving, 2 draining.
    case state
    case kafkaQueuedMessages
    case kafkaQueuedBytes
    case kafkaSentMessages
    case kafkaSentBytes
    case kafkaBrokerRTTMicroseconds
    case kafkaStatisticsAt
    case kafkaSendErrors
}

/// The words of a thread's entry.
enum ThreadWord: Int {
    /// 0 idle, 1 busy.
    case state = 0
    /// When the current request started, monotonic nanoseconds.
    case requestStart
    /// The current route's index + 1; 0 before it is known.
    case route
}
