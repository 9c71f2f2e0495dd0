import ButtonEvents
public import FastCGI
import Foundation
public import Logging
public import Session

/// Answers stats requests: the whole page, or one panel for the page's polling.
///
/// Panels come from `PanelCache`; a request never waits longer than the query timeout,
/// whatever the stores do, and a store that fails or is late gives its panels a notice
/// naming it and when their data was last fresh, never an error page.
public final class StatsService: Sendable {
    let analytics: AnalyticsQueries
    let points: PointQueries
    let tail: LiveTail?
    let map: WorldMap?
    let mapProblem: String?
    let cache: PanelCache
    let codec: SessionCookieCodec
    let timeout: Duration
    let streamSize: Int
    let logger: Logger
    let clock = ContinuousClock()

    /// - Parameters:
    ///   - analytics: ClickHouse's aggregates.
    ///   - points: PostgreSQL's point lookups.
    ///   - tail: the live stream; nil when Kafka could not be reached at start.
    ///   - map: the world map; nil when its shapes are not installed (`mapProblem` says why).
    ///   - cache: the panel cache.
    ///   - codec: opens the press cookie ("this session", "your country").
    ///   - timeout: the longest a request waits for the stores.
    ///   - streamSize: events in the live stream.
    ///   - logger: store failures (never a client address: the stats pool is not given one).
    public init(
        analytics: AnalyticsQueries,
        points: PointQueries,
        tail: LiveTail?,
        map: WorldMap?,
        mapProblem: String?,
        cache: PanelCache,
        codec: SessionCookieCodec,
        timeout: Duration,
        streamSize: Int,
        logger: Logger
    ) {
        self.analytics = analytics
        self.points = points
        self.tail = tail
        self.map = map
        self.mapProblem = mapProblem
        self.cache = cache
        self.codec = codec
        self.timeout = timeout
        self.streamSize = streamSize
        self.logger = logger
    }

    static let html = "text/html; charset=utf-8"
    static let headers = [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]

    /// Answers one request; never throws, never a 5xx.
    public func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        let parsed = StatsRequest.parse(
            method: request["REQUEST_METHOD"]?.uppercased(),
            path: request["DOCUMENT_URI"],
            query: request.paramBytes("QUERY_STRING")
        )
        let stats: StatsRequest
        switch parsed {
        case .success(let value): stats = value
        case .failure(let refusal):
            var headers = Self.headers
            if let allow = refusal.allow { headers.append(("Allow", allow)) }
            return FastCGIResponse(
                status: refusal.status,
                contentType: Self.html,
                body: StatsPage.refusal(refusal.message),
                headers: headers
            )
        }
        // The cookie's MAC is checked only where a panel depends on the viewer: the page
        // polls the other panels every few seconds and has no use for it there.
        let personal =
            switch stats.target {
            case .page: true
            case .panel(let kind): kind.isPersonal
            }
        let session =
            personal
            ? codec.session(
                fromCookieBytes: request.paramBytes("HTTP_COOKIE"),
                now: Int64(Date().timeIntervalSince1970)
            )
            : nil
        let deadline = clock.now.advanced(by: timeout)
        let body: String
        switch stats.target {
        case .page:
            let kinds = PanelKind.allCases
            let bots = stats.includeBots
            for kind in kinds { prefetch(kind, stats.includeFake, session, bots: bots) }
            body = StatsPage.page(
                panels: kinds.map { panel($0, stats.includeFake, session, deadline: deadline, bots: bots) },
                includeFake: stats.includeFake,
                includeBots: bots
            )
        case .panel(let kind):
            body = panel(kind, stats.includeFake, session, deadline: deadline, bots: stats.includeBots)
        }
        return FastCGIResponse(status: 200, contentType: Self.html, body: body, headers: Self.headers)
    }

    /// A panel's loader and cache key for this viewer, or nil when it needs no store
    /// (a personal panel without a session).
    func source(
        _ kind: PanelKind,
        _ fake: Bool,
        _ session: Session?,
        bots: Bool = false
    ) -> (key: String, store: Store, load: @Sendable () throws -> String)? {
        let analytics = analytics.includingBots(bots)
        let key = "\(kind.rawValue)|\(fake ? 1 : 0)|\(bots ? 1 : 0)"
        switch kind {
        case .countries:
            return (key, .clickHouse, { PanelRendering.countries(try analytics.countries(includeFake: fake)) })
        case .map:
            let (map, problem) = (map, mapProblem)
            return (
                key, .clickHouse,
                { PanelRendering.map(try analytics.countries(includeFake: fake), map: map, problem: problem) }
            )
        case .sessions:
            return (key, .clickHouse, { PanelRendering.sessions(try analytics.sessions(includeFake: fake)) })
        case .byCountry:
            return (key, .clickHouse, { PanelRendering.byCountry(try analytics.byCountry(includeFake: fake)) })
        case .localHour:
            return (key, .clickHouse, { PanelRendering.localHours(try analytics.localHours(includeFake: fake)) })
        case .spread:
            let map = map
            return (key, .clickHouse, { PanelRendering.spread(try analytics.spread(includeFake: fake), map: map) })
        case .boredom:
            return (key, .clickHouse, { PanelRendering.boredom(try analytics.boredom(includeFake: fake)) })
        case .lookup:
            return (key, .clickHouse, { PanelRendering.lookup(try analytics.lookupPrecision(includeFake: fake)) })
        case .cohorts:
            return (key, .clickHouse, { PanelRendering.cohorts(try analytics.cohorts(includeFake: fake)) })
        case .session:
            guard let id = session?.id else { return nil }
            let points = points
            return ("session|\(id.uuidString)", .postgres, { PanelRendering.session(try points.session(id)) })
        case .yourCountry:
            guard let session else { return nil }
            let (code, name) = (session.countryCode, session.countryName)
            guard !code.isEmpty else { return nil }
            return (
                "\(key)|\(code)", .clickHouse,
                {
                    PanelRendering.yourCountry(try analytics.country(code: code, name: name, includeFake: fake))
                }
            )
        case .stream:
            let (points, size) = (points, streamSize)
            return (
                "stream-pg|\(fake ? 1 : 0)|\(bots ? 1 : 0)", .postgres,
                { PanelRendering.stream(try points.latest(count: size, includeFake: fake, includeBots: bots)) }
            )
        case .health:
            return ("health", .clickHouse, { [self] in health() })
        }
    }

    func prefetch(_ kind: PanelKind, _ fake: Bool, _ session: Session?, bots: Bool = false) {
        guard let source = source(kind, fake, session, bots: bots) else { return }
        // The stream reads the tail first; PostgreSQL fills it only when the tail is short.
        if kind == .stream, let tail,
            tail.latest(count: streamSize, includeFake: fake, includeBots: bots).count >= streamSize
        {
            return
        }
        cache.prefetch(source.key, store: source.store, load: source.load)
    }

    /// One panel's section, with a notice when its store failed or was late.
    func panel(
        _ kind: PanelKind,
        _ fake: Bool,
        _ session: Session?,
        deadline: ContinuousClock.Instant,
        bots: Bool = false
    ) -> String {
        if kind == .stream, let tail {
            let live = tail.latest(count: streamSize, includeFake: fake, includeBots: bots)
            if live.count >= streamSize {
                return StatsPage.section(
                    kind,
                    includeFake: fake,
                    body: PanelRendering.stream(live),
                    notice: nil,
                    includeBots: bots
                )
            }
        }
        guard let source = source(kind, fake, session, bots: bots) else {
            let body =
                kind == .yourCountry && session != nil
                ? PanelRendering.yourCountry(CountryActivity(code: "", name: "", allTime: 0, lastHour: 0))
                : PanelRendering.session(nil)
            return StatsPage.section(kind, includeFake: fake, body: body, notice: nil, includeBots: bots)
        }
        let answer = cache.get(source.key, store: source.store, deadline: deadline, load: source.load)
        var notice: String?
        if let problem = answer.problem {
            logger.warning("stats panel \(kind.rawValue): \(problem)")
            notice =
                problem.publicReason
                + (answer.loadedAt.map { "; showing data from \(PanelRendering.time($0))" } ?? "; no data to show yet")
                + "."
        }
        return StatsPage.section(
            kind,
            includeFake: fake,
            body: answer.html ?? "",
            notice: notice,
            includeBots: bots
        )
    }

    /// The health table: every store asked at once, each within the timeout; a store that
    /// fails or is late is named in its row, the others still show.
    func health() -> String {
        let results = HealthResults()
        let group = DispatchGroup()
        // Threads of their own, not Dispatch's pool: see PanelCache.
        func run(_ body: @escaping @Sendable () -> Void) {
            group.enter()
            Thread.detachNewThread {
                body()
                group.leave()
            }
        }
        let (tail, analytics, points, timeout) = (tail, analytics, points, timeout)
        run {
            guard let tail else {
                results.set(StoreHealth(store: .kafka, problem: "the live tail could not start"))
                return
            }
            do {
                let (events, newest) = try tail.health(timeout: timeout)
                results.set(StoreHealth(store: .kafka, events: events, newest: newest))
            } catch let error as StoreError {
                results.set(StoreHealth(store: .kafka, problem: error.publicReason))
            } catch {
                results.set(StoreHealth(store: .kafka, problem: "Kafka did not answer in time"))
            }
        }
        run {
            do {
                let (events, newest) = try points.ingestion()
                results.set(StoreHealth(store: .postgres, events: events, newest: newest))
            } catch {
                results.set(StoreHealth(store: .postgres, problem: (error as? StoreError)?.publicReason ?? "failed"))
            }
        }
        run {
            do {
                let (events, newest) = try analytics.ingestion()
                results.set(
                    StoreHealth(
                        store: .clickHouse,
                        events: events,
                        newest: newest.map { PanelRendering.date(micros: $0) }
                    )
                )
            } catch {
                results.set(StoreHealth(store: .clickHouse, problem: (error as? StoreError)?.publicReason ?? "failed"))
            }
        }
        _ = group.wait(timeout: .now() + timeout.seconds)
        let stores = Store.allCases.sorted { $0.healthOrder < $1.healthOrder }.map { store in
            results.get(store) ?? StoreHealth(store: store, problem: "\(store.rawValue) did not answer in time")
        }
        return PanelRendering.health(stores, now: Date())
    }
}

extension Store {
    /// Kafka first: the source every store is compared with.
    var healthOrder: Int {
        switch self {
        case .kafka: 0
        case .postgres: 1
        case .clickHouse: 2
        }
    }
}

/// The health answers, filled from three threads.
private final class HealthResults: @unchecked Sendable {
    private let lock = NSLock()
    private var stores: [Store: StoreHealth] = [:]
    func set(_ health: StoreHealth) { lock.withLock { stores[health.store] = health } }
    func get(_ store: Store) -> StoreHealth? { lock.withLock { stores[store] } }
}
