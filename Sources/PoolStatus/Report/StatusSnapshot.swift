#if canImport(Glibc)
import Glibc
#endif

/// Everything the status page shows, read once from the scoreboard, `/proc`, the listening
/// socket and the consumers' status files. Only counts, times, route names and pids.
public struct StatusSnapshot: Sendable {
    /// One worker process.
    public struct Process: Sendable {
        public var slot: Int
        public var pid: Int
        public var state: String
        public var startMicroseconds: Int64
        public var requestsServed: Int64
        public var threads: Int
        public var busyThreads: Int
        public var residentBytes: Int
        /// The requests in progress: route name and age in seconds.
        public var currentRequests: [(route: String, ageSeconds: Double)]
        public var kafka: KafkaStatistics
    }

    /// One histogram: counts per upper bound (not cumulative), the overflow, sum and count.
    public struct Histogram: Sendable {
        public var name: String
        public var labels: [(String, String)]
        public var bucketCounts: [Int64]
        public var overflow: Int64
        public var sumSeconds: Double
        public var count: Int64
    }

    public var poolName: String
    public var poolStartMicroseconds: Int64
    public var nowMicroseconds: Int64
    public var metricsEnabled: Bool
    public var processes: [Process]
    public var globals: [ScoreboardLayout.Global: Int64]
    /// Requests by route and status text (`other` for unlisted ones); zero rows left out.
    public var requests: [(route: String, status: String, count: Int64)]
    public var histograms: [Histogram]
    public var listenQueue: ListenQueue?
    public var consumers: [ConsumerStatusFile]

    public var totalThreads: Int { processes.reduce(0) { $0 + $1.threads } }
    public var busyThreads: Int { processes.reduce(0) { $0 + $1.busyThreads } }
    public var uptimeSeconds: Int64 { max(0, (nowMicroseconds - poolStartMicroseconds) / 1_000_000) }

    /// Reads the scoreboard.
    /// - Parameters:
    ///   - board: the pool's scoreboard.
    ///   - poolName: shown as `pool`.
    ///   - listenFD: the pool's listening socket, for its queue.
    ///   - consumers: status files of the sink, the enricher, … by name.
    public init(board: Scoreboard, poolName: String, listenFD: Int32?, consumers: [(name: String, path: String)]) {
        let layout = board.layout
        self.poolName = poolName
        poolStartMicroseconds = board.poolStartMicroseconds
        nowMicroseconds = microsecondsNow()
        metricsEnabled = board.metricsEnabled
        let now = monotonicNanoseconds()
        var processes: [Process] = []
        for slot in 0..<layout.processSlots {
            let base = layout.process(slot)
            func word(_ word: ProcessWord) -> UInt64 { board.load(base + word.rawValue) }
            let pid = word(.pid)
            guard pid != 0, board.ownerIsAlive(slot: slot, pid: pid),
                let stat = ProcessStat.read(pid: pid_t(truncatingIfNeeded: pid))
            else { continue }
            let threads = Int(min(word(.threads), UInt64(layout.threadsPerSlot)))
            var current: [(route: String, ageSeconds: Double)] = []
            for thread in 0..<threads {
                let entry = layout.thread(thread, ofProcess: slot)
                guard board.load(entry + ThreadWord.state.rawValue) == 1 else { continue }
                let start = board.load(entry + ThreadWord.requestStart.rawValue)
                let route = Int(board.load(entry + ThreadWord.route.rawValue))
                let name = route > 0 && route <= layout.routes.count ? layout.routes[route - 1] : "reading"
                current.append((route: name, ageSeconds: now > start ? Double(now - start) / 1e9 : 0))
            }
            var kafka = KafkaStatistics()
            kafka.queuedMessages = Int64(bitPattern: word(.kafkaQueuedMessages))
            kafka.queuedBytes = Int64(bitPattern: word(.kafkaQueuedBytes))
            kafka.sentMessages = Int64(bitPattern: word(.kafkaSentMessages))
            kafka.sentBytes = Int64(bitPattern: word(.kafkaSentBytes))
            kafka.brokerRTTMicroseconds = Int64(bitPattern: word(.kafkaBrokerRTTMicroseconds))
            kafka.sendErrors = Int64(bitPattern: word(.kafkaSendErrors))
            processes.append(
                Process(
                    slot: slot,
                    pid: Int(pid),
                    state: (ProcessState(rawValue: word(.state)) ?? .starting).name,
                    startMicroseconds: Int64(bitPattern: word(.startMicroseconds)),
                    requestsServed: Int64(bitPattern: word(.requestsServed)),
                    threads: threads,
                    // Relaxed counters may be read mid-update: keep the figure in range.
                    busyThreads: Int(min(max(0, Int64(bitPattern: word(.busyThreads))), Int64(threads))),
                    residentBytes: stat.residentBytes,
                    currentRequests: current,
                    kafka: kafka
                )
            )
        }
        self.processes = processes
        var globals: [ScoreboardLayout.Global: Int64] = [:]
        for figure in ScoreboardLayout.Global.allCases { globals[figure] = board.value(figure) }
        listenQueue = listenFD.flatMap { ListenQueue.read(listening: $0) }
        if let listenQueue {
            board.noteListenQueue(listenQueue.length)
            globals[.maxListenQueue] = max(globals[.maxListenQueue] ?? 0, Int64(listenQueue.length))
        }
        self.globals = globals
        var requests: [(route: String, status: String, count: Int64)] = []
        for (routeIndex, route) in layout.routes.enumerated() {
            for column in 0..<layout.statusColumns {
                let count = Int64(bitPattern: board.load(layout.routeCounter(route: routeIndex, status: column)))
                guard count > 0 else { continue }
                let status = column < layout.statuses.count ? String(layout.statuses[column]) : "other"
                requests.append((route: route, status: status, count: count))
            }
        }
        self.requests = requests
        var histograms: [Histogram] = []
        let bounds = ScoreboardLayout.bucketBounds.count
        for index in 0..<layout.histogramCount {
            let base = layout.histogram(index)
            let counts = (0..<bounds).map { Int64(bitPattern: board.load(base + $0)) }
            let isKafka = index == layout.timedRoutes.count
            histograms.append(
                Histogram(
                    name: isKafka
                        ? ScoreboardMetricsFactory.Name.kafkaAckDuration
                        : ScoreboardMetricsFactory.Name.requestDuration,
                    labels: isKafka ? [] : [("route", layout.timedRoutes[index])],
                    bucketCounts: counts,
                    overflow: Int64(bitPattern: board.load(base + bounds)),
                    sumSeconds: Double(board.load(base + bounds + 1)) / 1e9,
                    count: Int64(bitPattern: board.load(base + bounds + 2))
                )
            )
        }
        self.histograms = histograms
        self.consumers = consumers.map { ConsumerStatusFile(name: $0.name, path: $0.path) }
    }

    /// Pool-wide Kafka figures from the processes' latest librdkafka statistics.
    public var kafkaTotals: KafkaStatistics {
        var total = KafkaStatistics()
        var rtts: [Int64] = []
        for process in processes {
            total.queuedMessages += process.kafka.queuedMessages
            total.queuedBytes += process.kafka.queuedBytes
            total.sentMessages += process.kafka.sentMessages
            total.sentBytes += process.kafka.sentBytes
            total.sendErrors += process.kafka.sendErrors
            if process.kafka.brokerRTTMicroseconds > 0 { rtts.append(process.kafka.brokerRTTMicroseconds) }
        }
        total.brokerRTTMicroseconds = rtts.isEmpty ? 0 : rtts.reduce(0, +) / Int64(rtts.count)
        return total
    }
}

/// A consumer's status file (`ConsumerStatus`: `name value` lines), read at render time.
public struct ConsumerStatusFile: Sendable {
    public var name: String
    /// Whether the file exists and names a running process.
    public var running: Bool
    /// Seconds since the consumer last wrote it.
    public var ageSeconds: Double?
    public var counters: [(name: String, value: Int64)]
    /// Lag per partition (`topic[partition]`); unknown lags are left out.
    public var lags: [(partition: String, lag: Int64)]

    init(name: String, path: String) {
        self.name = name
        counters = []
        lags = []
        running = false
        var info = stat()
        guard let text = readSmallFile(path, limit: 64 * 1024), stat(path, &info) == 0 else { return }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        ageSeconds = max(0, Double(microsecondsNow()) / 1e6 - modified)
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2 else { continue }
            switch fields[0] {
            case "updated": continue
            case "pid":
                if let pid = pid_t(fields[1]) { running = kill(pid, 0) == 0 || errno == EPERM }
            case "lag":
                if fields.count == 3, let lag = Int64(fields[2]) { lags.append((String(fields[1]), lag)) }
            default:
                if let value = Int64(fields[1]) { counters.append((String(fields[0]), value)) }
            }
        }
    }
}
