public import FastCGI
public import PoolStatus

/// `GET /status` (PHP-FPM's `pm.status_path`): the pool's scoreboard as text, `?json`,
/// `?openmetrics`, with `?full` for each process. Any worker answers for the whole pool.
///
/// Allowed only from `BUTTON_STATUS_ALLOW` (loopback by default), checked here on
/// `REMOTE_ADDR` even though nginx checks too: a web server configured without its
/// `allow`/`deny` must not expose it. The page holds counts, times, route names and pids:
/// never a client address, cookie or session id.
public struct StatusEndpoint: Sendable {
    /// The path nginx passes on.
    public static let path = "/status"

    let board: Scoreboard?
    let listenFD: Int32?
    let allow: AddressAllowList
    let consumers: [(name: String, path: String)]
    let poolName: String

    /// - Parameters:
    ///   - board: the pool's scoreboard; nil answers 503 (a worker started without a master).
    ///   - listenFD: the pool's listening socket, for its queue.
    ///   - allow: who may read the page.
    ///   - consumers: status files of the sink, the enricher, … to include.
    ///   - poolName: shown as `pool`.
    public init(
        board: Scoreboard?,
        listenFD: Int32?,
        allow: AddressAllowList,
        consumers: [(name: String, path: String)],
        poolName: String = "button"
    ) {
        self.board = board
        self.listenFD = listenFD
        self.allow = allow
        self.consumers = consumers
        self.poolName = poolName
    }

    /// Whether a request asks for the status page.
    public static func matches(_ request: FastCGIRequest) -> Bool { request.path == path }

    /// Answers a status request.
    /// - Parameter denied: called when the address is not allowed (to count it).
    public func handle(_ request: FastCGIRequest, denied: () -> Void = {}) -> FastCGIResponse {
        // The address is only compared, never kept or echoed.
        guard let address = request["REMOTE_ADDR"], allow.allows(address) else {
            denied()
            return PressPage.clientError(403, "The status page is for operators only.")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return PressPage.clientError(405, "That method is not allowed here.", headers: [("Allow", "GET, HEAD")])
        }
        guard let board else {
            return FastCGIResponse(status: 503, contentType: PressPage.text, body: "This worker has no scoreboard.\n")
        }
        let (format, full) = StatusReport.options(query: request.query)
        let snapshot = StatusSnapshot(board: board, poolName: poolName, listenFD: listenFD, consumers: consumers)
        return FastCGIResponse(
            status: 200,
            contentType: StatusReport.contentType(format),
            body: StatusReport.render(snapshot, format: format, full: full),
            headers: [("Cache-Control", "no-store")]
        )
    }
}
