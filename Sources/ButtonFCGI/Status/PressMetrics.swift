public import CoreMetrics
public import PoolStatus

/// The worker's metrics, made once per process through swift-metrics: the press path only
/// calls `increment`/`recordNanoseconds` on them (a relaxed atomic add in the scoreboard
/// each, see `ScoreboardMetricsFactory`).
public struct PressMetrics: Sendable {
    /// The routes counted separately, in the scoreboard's order.
    public static let routes = ["enter", "press", "health", "status"]
    /// The statuses counted separately.
    public static let statuses = [200, 303, 400, 403, 404, 405, 413, 503]
    /// The routes with a duration histogram.
    public static let timedRoutes = ["enter", "press"]

    /// The scoreboard layout every process of the pool uses.
    /// - Parameter threads: the most threads a worker may have (`BUTTON_THREADS`'s limit).
    public static func layout(threads: Int = 1024) -> ScoreboardLayout {
        // 128 process slots: BUTTON_PROCESSES goes to 64, and a reload may briefly run old
        // and new workers side by side.
        ScoreboardLayout(
            routes: routes,
            statuses: statuses,
            timedRoutes: timedRoutes,
            processSlots: 128,
            threadsPerSlot: threads
        )
    }

    let requests: [[CoreMetrics.Counter]]
    let durations: [CoreMetrics.Timer?]
    let accepted: CoreMetrics.Counter
    let maxThreadsReached: CoreMetrics.Counter
    let slowRequests: CoreMetrics.Counter
    let requestTimeouts: CoreMetrics.Counter
    let statusDenied: CoreMetrics.Counter
    let kafkaProduceErrors: CoreMetrics.Counter
    let kafkaInFlight: CoreMetrics.Meter
    let kafkaAck: CoreMetrics.Timer
    let layout: ScoreboardLayout

    /// - Parameters:
    ///   - factory: the swift-metrics backend (the scoreboard's, or a test's).
    ///   - layout: where routes and statuses are counted.
    public init(factory: any MetricsFactory, layout: ScoreboardLayout) {
        typealias Name = ScoreboardMetricsFactory.Name
        self.layout = layout
        requests = layout.routes.map { route in
            (layout.statuses + [999]).map { status in
                CoreMetrics.Counter(
                    label: Name.requests,
                    dimensions: [("route", route), ("status", String(status))],
                    factory: factory
                )
            }
        }
        durations = layout.routes.map { route in
            layout.timedRoutes.contains(route)
                ? CoreMetrics.Timer(label: Name.requestDuration, dimensions: [("route", route)], factory: factory) : nil
        }
        accepted = CoreMetrics.Counter(label: Name.acceptedRequests, factory: factory)
        maxThreadsReached = CoreMetrics.Counter(label: Name.maxThreadsReached, factory: factory)
        slowRequests = CoreMetrics.Counter(label: Name.slowRequests, factory: factory)
        requestTimeouts = CoreMetrics.Counter(label: Name.requestTimeouts, factory: factory)
        statusDenied = CoreMetrics.Counter(label: Name.statusDenied, factory: factory)
        kafkaProduceErrors = CoreMetrics.Counter(label: Name.kafkaProduceErrors, factory: factory)
        kafkaInFlight = CoreMetrics.Meter(label: Name.kafkaInFlight, factory: factory)
        kafkaAck = CoreMetrics.Timer(label: Name.kafkaAckDuration, factory: factory)
    }

    /// Counts an answered request and its duration.
    func answered(route: Int, status: Int, nanoseconds: UInt64) {
        requests[route][layout.statusColumn(status)].increment()
        durations[route]?.recordNanoseconds(Int64(clamping: nanoseconds))
    }
}
