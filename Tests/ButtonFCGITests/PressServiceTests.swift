import ButtonEvents
import FastCGI
import Foundation
import Geolocation
import Logging
import Session
import Synchronization
import Testing

@testable import ButtonFCGI

/// Records what would have gone to Kafka, and answers as told.
final class FakePublisher: EventPublisher {
    private let answer: Mutex<PublishOutcome>
    private let sent = Mutex<[(key: [UInt8], value: [UInt8])]>([])
    init(_ outcome: PublishOutcome = .acknowledged) { answer = Mutex(outcome) }
    /// What the next publishes answer; only acknowledged messages are kept, like Kafka.
    var outcome: PublishOutcome {
        get { answer.withLock { $0 } }
        set { answer.withLock { $0 = newValue } }
    }
    var messages: [(key: [UInt8], value: [UInt8])] { sent.withLock { $0 } }
    func publish(key: [UInt8], value: [UInt8], timeout: Duration) -> PublishOutcome {
        let outcome = self.outcome
        if outcome == .acknowledged { sent.withLock { $0.append((key, value)) } }
        return outcome
    }
}

/// Places addresses without a database; counts the lookups.
final class FakeLocator: AddressLocator {
    private let lookups = Mutex(0)
    var count: Int { lookups.withLock { $0 } }
    func locate(_ address: IPAddress, sessionSeed: UInt64) -> Location {
        lookups.withLock { $0 += 1 }
        return Location(countryName: "Germany", countryCode: "DE", subdivisionName: "Berlin", subdivisionCode: "BE")
    }
}

@Suite struct PressServiceTests {
    let codec: SessionCookieCodec
    let now: Int64 = 1_780_000_000_123_456

    init() throws { codec = try SessionCookieCodec(secret: Array(repeating: 9, count: 32)) }

    func service(_ publisher: FakePublisher, _ locator: FakeLocator = FakeLocator()) -> PressService {
        PressService(
            codec: codec,
            locator: locator,
            publisher: publisher,
            schemaID: 7,
            settings: .init(ackTimeout: .seconds(1), retryAfterSeconds: 5, cohorts: 1, alwaysSecureCookies: false),
            logger: Logger(label: "test"),
            clock: { [now] in now }
        )
    }

    func request(
        _ method: String = "POST",
        _ path: String = "/api/press",
        address: String = "130.149.0.1",
        cookie: String? = nil,
        htmx: Bool = true,
        extra: [(name: String, value: [UInt8])] = []
    ) -> FastCGIRequest {
        var params: [(name: String, value: [UInt8])] = [
            ("REQUEST_METHOD", Array(method.utf8)), ("DOCUMENT_URI", Array(path.utf8)),
            ("REMOTE_ADDR", Array(address.utf8)),
        ]
        if htmx { params.append(("HTTP_HX_REQUEST", Array("true".utf8))) }
        if let cookie { params.append(("HTTP_COOKIE", Array("button_session=\(cookie)".utf8))) }
        return FastCGIRequest(params: params + extra)
    }

    static func cookie(_ response: FastCGIResponse) -> String? {
        response.header("Set-Cookie").flatMap { $0.split(separator: ";").first }.map {
            String($0.dropFirst("button_session=".count))
        }
    }

    @Test func aPressIsPublishedThenAnswered() throws {
        let publisher = FakePublisher()
        let locator = FakeLocator()
        let press = service(publisher, locator)
        let first = press.handle(request("POST", "/api/enter"))
        #expect(first.status == 200)
        let cookie = try #require(Self.cookie(first))
        let second = press.handle(request(cookie: cookie))
        #expect(second.status == 200)
        #expect(String(decoding: second.body, as: UTF8.self).contains("Presses this session: 1"))
        #expect(locator.count == 1, "geolocation runs once per session")
        #expect(publisher.messages.count == 2)
        let session = try #require(codec.open(Substring(cookie), now: now / 1_000_000))
        for message in publisher.messages {
            #expect(message.key == Array(session.id.uuidString.lowercased().utf8))
            #expect(Array(message.value.prefix(5)) == [0, 0, 0, 0, 7])
        }
        let decoded = try PressEvent.schema.decode(Array(publisher.messages[1].value.dropFirst(5)))
        let event = try #require(PressEvent(decoded))
        #expect(event.action == .pressButton && event.timestamp == now && event.countryCode == "DE")
    }

    @Test func plainFormPostRedirectsBack() {
        let response = service(FakePublisher()).handle(request(htmx: false))
        #expect(response.status == 303)
        #expect(response.header("Location") == "/")
        #expect(response.header("Set-Cookie") != nil)
    }

    @Test func kafkaUnavailableIs503WithRetryAfter() {
        let response = service(FakePublisher(.unavailable("down"))).handle(request())
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "5")
        let page = String(decoding: response.body, as: UTF8.self)
        #expect(page.contains("short break"), "control: the friendly page is what is read")
        #expect(!page.contains("down"), "no internals in the page")
    }

    /// Defect: a 503 carried a Set-Cookie whose press count went up, so the page counted
    /// presses Kafka never got, and a new session's cookie named a session whose EnterPage
    /// never reached Kafka.
    @Test func aRefusedPressLeavesTheSessionAsItWas() throws {
        let publisher = FakePublisher()
        let press = service(publisher)
        var cookie = try #require(Self.cookie(press.handle(request("POST", "/api/enter"))))
        for _ in 0..<2 { cookie = try #require(Self.cookie(press.handle(request(cookie: cookie)))) }
        publisher.outcome = .unavailable("broker down")
        for _ in 0..<2 {
            let refused = press.handle(request(cookie: cookie))
            #expect(refused.status == 503)
            #expect(refused.header("Set-Cookie") == nil, "a refused press must not change the session")
        }
        publisher.outcome = .acknowledged
        let third = press.handle(request(cookie: cookie))
        #expect(String(decoding: third.body, as: UTF8.self).contains("Presses this session: 3"))
        let thirdCookie = try #require(Self.cookie(third))
        let session = try #require(codec.open(Substring(thirdCookie), now: now / 1_000_000))
        #expect(session.presses == 3)
        #expect(publisher.messages.count == 4, "EnterPage and three acknowledged presses")
    }

    @Test func aRefusedFirstRequestSetsNoCookie() {
        let publisher = FakePublisher(.unavailable("broker down"))
        let refused = service(publisher).handle(request("POST", "/api/enter"))
        #expect(refused.status == 503)
        #expect(refused.header("Set-Cookie") == nil, "no cookie for a session Kafka never heard of")
    }

    @Test func theKeyIsTheLowercaseSessionID() {
        for _ in 0..<100 {
            let id = UUID()
            #expect(PressService.key(id) == Array(id.uuidString.lowercased().utf8))
        }
    }

    @Test(arguments: [
        ("GET", "/api/press", 405), ("PUT", "/api/enter", 405), ("POST", "/api/other", 404), ("POST", "/", 404),
        ("GET", "/api/health", 200),
    ])
    func routes(method: String, path: String, status: Int) {
        let publisher = FakePublisher()
        let response = service(publisher).handle(request(method, path))
        #expect(response.status == status)
        #expect(publisher.messages.isEmpty)
        if status == 405 { #expect(response.header("Allow") != nil) }
        expectRecords(publisher)
    }

    /// Control for the "nothing published" checks: the same publisher records a good press.
    func expectRecords(_ publisher: FakePublisher, sourceLocation: SourceLocation = #_sourceLocation) {
        let before = publisher.messages.count
        _ = service(publisher).handle(request())
        #expect(
            publisher.messages.count == before + 1,
            "control: this publisher records",
            sourceLocation: sourceLocation
        )
    }

    @Test(arguments: ["", "not-an-ip", "1.2.3.4.5", "::g", "130.149.0.1 "])
    func anAddressThatIsNotOneIs400AndNotEchoed(_ address: String) {
        let publisher = FakePublisher()
        let response = service(publisher).handle(request(address: address))
        #expect(response.status == 400)
        #expect(publisher.messages.isEmpty)
        let page = String(decoding: response.body, as: UTF8.self)
        #expect(!page.isEmpty, "control: the answer has a body to search")
        if !address.isEmpty { #expect(!page.contains(address)) }
        expectRecords(publisher)
    }

    @Test func invalidUTF8InAHeaderIs400ButInTheCookieStartsASession() {
        let publisher = FakePublisher()
        let press = service(publisher)
        #expect(press.handle(request(extra: [("HTTP_X_ODD", [0xFF])])).status == 400)
        #expect(publisher.messages.isEmpty)
        let cookieOnly = press.handle(request(extra: [("HTTP_COOKIE", [0xC0, 0xFF])]))
        #expect(cookieOnly.status == 200)
        #expect(publisher.messages.count == 1)
    }

    @Test func oversizedBodyIs413() {
        let publisher = FakePublisher()
        let response = service(publisher).handle(FastCGIRequest(params: [], body: [], bodyTooLarge: true))
        #expect(response.status == 413)
        #expect(publisher.messages.isEmpty)
        expectRecords(publisher)
    }
}
