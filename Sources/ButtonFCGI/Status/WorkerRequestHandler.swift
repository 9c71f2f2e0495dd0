import FastCGI
import PoolStatus

/// One request thread's handler: the press service and the status page, with the thread's
/// scoreboard entry, the request metrics and the slow-request log around them.
///
/// With metrics off (`BUTTON_METRICS=0`) `metrics` is nil, and so is `thread` unless the pool
/// runs in dynamic mode (whose master counts busy threads): a request then costs exactly what
/// the press service costs, plus the slow-request check.
struct WorkerRequestHandler: FastCGIHandler {
    let service: PressService
    let status: StatusEndpoint
    let metrics: PressMetrics?
    let thread: ThreadSlot?
    let slowLog: SlowRequestLog?

    func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        var timing = PressTiming(start: PressTiming.now())
        let allBusy = thread?.begin(at: timing.start) == true
        if let metrics {
            metrics.accepted.increment()
            if allBusy { metrics.maxThreadsReached.increment() }
        }
        let route = Self.route(request.path)
        thread?.setRoute(route)
        let response: FastCGIResponse
        if route == Self.statusRoute {
            response = status.handle(request) { metrics?.statusDenied.increment() }
        } else {
            response = service.answer(request, timing: &timing)
        }
        let total = PressTiming.now() &- timing.start
        if let metrics {
            metrics.answered(route: route, status: response.status, nanoseconds: total)
            if timing.timedOut { metrics.requestTimeouts.increment() }
        }
        if let slowLog, total >= slowLog.threshold {
            metrics?.slowRequests.increment()
            slowLog.record(
                route: PressMetrics.layoutRoutes[route],
                status: response.status,
                total: total,
                timing: timing
            )
        }
        thread?.end()
        return response
    }

    static let statusRoute = 3

    /// The route index in `PressMetrics.routes` (then `other`), from the path alone.
    static func route(_ path: String) -> Int {
        switch path {
        case "/api/enter": 0
        case "/api/press": 1
        case "/api/health": 2
        case StatusEndpoint.path: statusRoute
        default: 4
        }
    }
}

extension PressMetrics {
    /// Route names by index, `other` last (as the scoreboard layout has them).
    static let layoutRoutes = routes + ["other"]
}
