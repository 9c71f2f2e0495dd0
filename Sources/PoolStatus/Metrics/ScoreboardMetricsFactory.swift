public import CoreMetrics

/// A swift-metrics backend that writes into the shared scoreboard.
///
/// Why not swift-prometheus's own factory: its counters and histograms live in the memory
/// of one process behind a lock, and a request lands on any of the pool's processes, so a
/// scrape answered by one worker would see only that worker's share. Here every metric is
/// a fixed place in the scoreboard (known to all processes, see `ScoreboardLayout`), updated
/// with relaxed atomic adds, so whichever worker renders the exposition sums the whole pool
/// and the request path takes no lock.
///
/// Only the metrics the scoreboard knows are stored (`Name`); any other label gets a
/// handler that does nothing.
public struct ScoreboardMetricsFactory: MetricsFactory {
    /// The metric labels the scoreboard stores.
    public enum Name {
        /// Counter; dimensions `route` and `status`.
        public static let requests = "button_requests_total"
        public static let acceptedRequests = "button_accepted_requests_total"
        public static let maxThreadsReached = "button_max_threads_reached_total"
        public static let kafkaProduceErrors = "button_kafka_produce_errors_total"
        public static let slowRequests = "button_slow_requests_total"
        public static let requestTimeouts = "button_request_timeouts_total"
        public static let statusDenied = "button_status_denied_total"
        /// Meter (gauge).
        public static let kafkaInFlight = "button_kafka_in_flight_messages"
        /// Timer; dimension `route`.
        public static let requestDuration = "button_request_duration_seconds"
        /// Timer.
        public static let kafkaAckDuration = "button_kafka_ack_duration_seconds"
    }

    static let globals: [String: ScoreboardLayout.Global] = [
        Name.acceptedRequests: .acceptedRequests,
        Name.maxThreadsReached: .maxThreadsReached,
        Name.kafkaProduceErrors: .kafkaProduceErrors,
        Name.slowRequests: .slowRequests,
        Name.requestTimeouts: .requestTimeouts,
        Name.statusDenied: .statusDenied,
        Name.kafkaInFlight: .kafkaInFlight,
    ]

    let board: Scoreboard

    /// - Parameter board: the pool's scoreboard.
    public init(board: Scoreboard) { self.board = board }

    static func dimension(_ name: String, _ dimensions: [(String, String)]) -> String? {
        dimensions.first { $0.0 == name }?.1
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        if label == Name.requests, let route = Self.dimension("route", dimensions),
            let status = Self.dimension("status", dimensions).flatMap({ Int($0) })
        {
            let layout = board.layout
            return ScoreboardWordHandler(
                board: board,
                word: layout.routeCounter(route: layout.routeIndex(route), status: layout.statusColumn(status))
            )
        }
        if let global = Self.globals[label] {
            return ScoreboardWordHandler(board: board, word: board.layout.global(global))
        }
        return NOOPMetricsHandler.instance
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        if let global = Self.globals[label] {
            return ScoreboardWordHandler(board: board, word: board.layout.global(global))
        }
        return NOOPMetricsHandler.instance
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        if label == Name.kafkaAckDuration {
            return ScoreboardHistogramHandler(board: board, index: board.kafkaAckHistogram)
        }
        if label == Name.requestDuration, let route = Self.dimension("route", dimensions),
            let index = board.histogramIndex(route: route)
        {
            return ScoreboardHistogramHandler(board: board, index: index)
        }
        return NOOPMetricsHandler.instance
    }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}
}

/// A counter or gauge that is one scoreboard word.
final class ScoreboardWordHandler: CounterHandler, MeterHandler, Sendable {
    let board: Scoreboard
    let word: Int

    init(board: Scoreboard, word: Int) {
        self.board = board
        self.word = word
    }

    func increment(by amount: Int64) { board.add(UInt64(bitPattern: amount), at: word) }
    /// Counters of the pool are never reset by one process.
    func reset() {}
    func set(_ value: Int64) { board.store(UInt64(bitPattern: value), at: word) }
    func set(_ value: Double) { set(Int64(value)) }
    func increment(by amount: Double) { increment(by: Int64(amount)) }
    func decrement(by amount: Double) { increment(by: -Int64(amount)) }
}

/// A timer that is one of the scoreboard's histograms.
final class ScoreboardHistogramHandler: TimerHandler, Sendable {
    let board: Scoreboard
    let index: Int

    init(board: Scoreboard, index: Int) {
        self.board = board
        self.index = index
    }

    func recordNanoseconds(_ duration: Int64) { board.record(nanoseconds: duration, inHistogram: index) }
}
