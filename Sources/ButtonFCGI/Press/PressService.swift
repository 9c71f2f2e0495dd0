import ButtonEvents
public import FastCGI
import Foundation
import Geolocation
public import Logging
public import Session

#if canImport(Glibc)
import Glibc
#endif

/// Everything a worker thread needs to answer a press: the request logic of the product.
///
/// For each request: validate it; open the session cookie or start a session (locating
/// the client address once, then dropping it); build the event; publish it and wait for
/// Kafka's acknowledgement; answer only then. A client address never reaches a log line,
/// a cookie, an event or a response.
public struct PressService: Sendable {
    public struct Settings: Sendable {
        /// How long to wait for Kafka's acknowledgement before answering 503.
        public var ackTimeout: Duration
        /// The `Retry-After` seconds of a 503.
        public var retryAfterSeconds: Int
        /// Cohorts sessions are spread over (page-variant experiments); at least 1.
        public var cohorts: Int32
        /// Mark cookies `Secure` even without `HTTPS=on` from nginx (TLS ends before nginx).
        public var alwaysSecureCookies: Bool
        /// The whole request's budget: past it the answer is 503 at once, and the Kafka wait
        /// never runs beyond it. Nil: only `ackTimeout` bounds the wait.
        public var requestTimeout: Duration?

        /// A session with more presses than this within one second presses faster than a
        /// person can: its events are marked `is_bot` (kept, not dropped). 0 never marks.
        public var botPressesPerSecond: UInt32

        /// - Parameters: the settings above; `botPressesPerSecond` defaults to 20, twice
        ///   the fastest bursts people manage.
        public init(
            ackTimeout: Duration,
            retryAfterSeconds: Int,
            cohorts: Int32,
            alwaysSecureCookies: Bool,
            requestTimeout: Duration? = nil,
            botPressesPerSecond: UInt32 = 20
        ) {
            self.ackTimeout = ackTimeout
            self.retryAfterSeconds = retryAfterSeconds
            self.cohorts = max(1, cohorts)
            self.alwaysSecureCookies = alwaysSecureCookies
            self.requestTimeout = requestTimeout
            self.botPressesPerSecond = botPressesPerSecond
        }
    }

    let codec: SessionCookieCodec
    let locator: any AddressLocator
    let publisher: any EventPublisher
    let schemaID: Int32
    let settings: Settings
    let logger: Logger
    let clock: @Sendable () -> Int64
    /// Refused events, counted, and logged at most once per interval during an outage.
    public let refusals: RepeatedFailureLog
    /// Kafka figures for the status page; nil when metrics are off.
    let metrics: PressMetrics?

    /// - Parameters:
    ///   - codec: seals and opens session cookies.
    ///   - locator: client address → place.
    ///   - publisher: Kafka, or a fake in unit tests.
    ///   - schemaID: the registry id of `PressEvent.schemaJSON`.
    ///   - settings: timeouts and cohorts.
    ///   - logger: request failures (never addresses or cookies).
    ///   - clock: microseconds since the epoch; injectable for tests.
    ///   - refusals: how refused events are logged and counted; by default at most one line
    ///     per 5 s on `logger`.
    ///   - metrics: where Kafka's in-flight count, acknowledgement times and errors go; nil: nowhere.
    public init(
        codec: SessionCookieCodec,
        locator: any AddressLocator,
        publisher: any EventPublisher,
        schemaID: Int32,
        settings: Settings,
        logger: Logger,
        clock: @escaping @Sendable () -> Int64 = PressService.microsecondsNow,
        refusals: RepeatedFailureLog? = nil,
        metrics: PressMetrics? = nil
    ) {
        self.codec = codec
        self.locator = locator
        self.publisher = publisher
        self.schemaID = schemaID
        self.settings = settings
        self.logger = logger
        self.clock = clock
        self.refusals =
            refusals ?? RepeatedFailureLog("Kafka did not acknowledge events; answering 503", logger: logger)
        self.metrics = metrics
    }

    /// The Kafka key: the session id as lowercase UUID text, written straight into bytes
    /// (`uuidString.lowercased()` built two strings per press).
    static func key(_ id: UUID) -> [UInt8] {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: id.uuid) { raw in
            [UInt8](unsafeUninitializedCapacity: 36) { buffer, count in
                var out = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        buffer[out] = UInt8(ascii: "-")
                        out += 1
                    }
                    digits.withUTF8Buffer { hex in
                        buffer[out] = hex[Int(byte >> 4)]
                        buffer[out + 1] = hex[Int(byte & 0x0F)]
                    }
                    out += 2
                }
                count = out
            }
        }
    }

    /// The current time in microseconds since the epoch, exact (no floating point).
    @Sendable public static func microsecondsNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    /// Answers one request. Never throws and never returns a 5xx except 503 for Kafka or
    /// a spent request budget.
    public func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        var timing = PressTiming(start: PressTiming.now())
        return answer(request, timing: &timing)
    }

    /// Answers one request and notes where its time went in `timing` (whose `start` is
    /// when the worker took the request).
    public func answer(_ request: FastCGIRequest, timing: inout PressTiming) -> FastCGIResponse {
        if request.bodyTooLarge { return PressPage.clientError(413, "That request is too large.") }
        // A cookie that is not UTF-8 just doesn't open (a fresh session); other headers are refused.
        if !request.headersAreValidUTF8(except: "HTTP_COOKIE") {
            return PressPage.clientError(400, "A request header is not valid UTF-8.")
        }
        let route: PressRoute
        switch PressRoute.match(method: request.method, path: request.path) {
        case .success(let matched): route = matched
        case .failure(.notFound): return PressPage.clientError(404, "There is nothing here. Try the button.")
        case .failure(.methodNotAllowed(let allow)):
            return PressPage.clientError(
                405,
                "That method is not allowed here.",
                headers: [("Allow", allow.joined(separator: ", "))]
            )
        }
        if route == .health { return FastCGIResponse(status: 200, contentType: PressPage.text, body: "ok\n") }
        return record(route == .enter ? .enterPage : .pressButton, request, timing: &timing)
    }

    private func record(_ action: PressAction, _ request: FastCGIRequest, timing: inout PressTiming) -> FastCGIResponse
    {
        let now = clock()
        let seconds = now / 1_000_000
        // Every request must carry an address, even when the cookie makes locating it
        // unnecessary; parsed once, before any cookie cryptography.
        guard let address = request.paramBytes("REMOTE_ADDR").flatMap(IPAddress.init(bytes:)) else {
            return PressPage.clientError(400, "Your client address could not be read.")
        }
        var session: Session
        let opened = codec.session(fromCookieBytes: request.paramBytes("HTTP_COOKIE"), now: seconds)
        timing.mark(.cookie)
        if let existing = opened {
            session = existing
        } else {
            let id = UUID()
            let seed = withUnsafeBytes(of: id.uuid) { $0.loadUnaligned(as: UInt64.self) }
            let place = locator.locate(address, sessionSeed: seed)
            timing.mark(.locate)
            session = Session(
                id: id,
                cohort: Int32.random(in: 0..<settings.cohorts),
                countryName: place.countryName,
                countryCode: place.countryCode,
                subdivisionName: place.subdivisionName,
                subdivisionCode: place.subdivisionCode,
                cityName: place.cityName,
                startedAt: seconds
            )
        }
        // The session as it will be if Kafka takes the event; the client's cookie only
        // changes once it has (a refused press must leave the session as it was).
        session.lastSeenAt = seconds
        if action == .pressButton {
            session.presses &+= 1
            // The window travels in the cookie, so it only sees a client that sends back the
            // newest one; nginx's per-address limit bounds the rest (README, "Rate limits").
            session.countPress(at: now, threshold: settings.botPressesPerSecond)
        }

        let event = PressEvent(
            sessionID: session.id,
            timestamp: now,
            action: action,
            countryName: session.countryName,
            countryCode: session.countryCode,
            subdivisionName: session.subdivisionName,
            subdivisionCode: session.subdivisionCode,
            cityName: session.cityName,
            cohort: session.cohort,
            isBot: session.isBot
        )
        let htmx = request.param("HTTP_HX_REQUEST", equals: "true")
        let value = event.encoded(schemaID: schemaID)
        let key = Self.key(session.id)
        timing.mark(.encode)
        // The Kafka wait gets what is left of the request's budget, at most the ack timeout.
        var wait = settings.ackTimeout
        if let budget = settings.requestTimeout {
            let left = budget - .nanoseconds(Int64(clamping: timing.last &- timing.start))
            guard left > .zero else {
                timing.timedOut = true
                return PressPage.busy(htmx: htmx, retryAfter: settings.retryAfterSeconds, headers: [])
            }
            wait = min(wait, left)
        }
        metrics?.kafkaInFlight.increment(by: 1.0)
        let outcome = publisher.publish(key: key, value: value, timeout: wait)
        metrics?.kafkaInFlight.decrement(by: 1.0)
        timing.mark(.ack)
        switch outcome {
        case .acknowledged:
            metrics?.kafkaAck.recordNanoseconds(Int64(clamping: timing.ack))
            refusals.recordSuccess()
        case .unavailable(let reason):
            metrics?.kafkaProduceErrors.increment()
            refusals.record(reason: reason)
            // The wait was cut short by the request's budget rather than by Kafka's own timeout.
            if let budget = settings.requestTimeout, wait < settings.ackTimeout,
                timing.last &- timing.start >= budget.wholeNanoseconds
            {
                timing.timedOut = true
            }
            // No Set-Cookie: the client keeps the session (and count) it had before.
            return PressPage.busy(htmx: htmx, retryAfter: settings.retryAfterSeconds, headers: [])
        }
        let secure = settings.alwaysSecureCookies || request.param("HTTPS", equals: "on")
        let cookie = ("Set-Cookie", codec.setCookie(session, secure: secure))
        if !htmx && action == .pressButton {
            // A plain form post (no JavaScript): back to the page.
            return FastCGIResponse(status: 303, headers: [("Location", "/"), cookie, ("Cache-Control", "no-store")])
        }
        let place = [session.cityName, session.subdivisionName, session.countryName].filter { !$0.isEmpty }
            .joined(separator: ", ")
        return FastCGIResponse(
            status: 200,
            contentType: PressPage.html,
            body: PressPage.fragment(
                line: PressPage.line(forPress: session.presses),
                presses: session.presses,
                place: place
            ),
            headers: [cookie, ("Cache-Control", "no-store")]
        )
    }
}
