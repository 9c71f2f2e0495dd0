import FastCGI
import Foundation
import Logging
import PoolStatus
import Session
import Synchronization
import TestSupport
import Testing

@testable import ButtonFCGI

/// A Kafka that takes `delay` to acknowledge, and gives up when the wait it is given is shorter.
final class SlowPublisher: EventPublisher {
    let delay: Duration
    private let waits = Mutex<[Duration]>([])
    init(delay: Duration) { self.delay = delay }
    var timeouts: [Duration] { waits.withLock { $0 } }
    func publish(key: [UInt8], value: [UInt8], timeout: Duration) -> PublishOutcome {
        waits.withLock { $0.append(timeout) }
        Thread.sleep(forTimeInterval: Self.seconds(min(delay, timeout)))
        return delay <= timeout ? .acknowledged : .unavailable("timed out")
    }
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

@Suite struct WorkerRequestHandlerTests {
    let codec: SessionCookieCodec
    init() throws { codec = try SessionCookieCodec(secret: Array(repeating: 7, count: 32)) }

    func makeHandler(
        publisher: any EventPublisher,
        requestTimeout: Duration? = nil,
        slow: Duration? = nil,
        logger: Logger = Logger(label: "test"),
        board: Scoreboard? = nil
    ) -> WorkerRequestHandler {
        let metrics = board.map { PressMetrics(factory: ScoreboardMetricsFactory(board: $0), layout: $0.layout) }
        let service = PressService(
            codec: codec,
            locator: FakeLocator(),
            publisher: publisher,
            schemaID: 1,
            settings: .init(
                ackTimeout: .seconds(2),
                retryAfterSeconds: 5,
                cohorts: 1,
                alwaysSecureCookies: false,
                requestTimeout: requestTimeout
            ),
            logger: logger,
            metrics: metrics
        )
        return WorkerRequestHandler(
            service: service,
            status: StatusEndpoint(board: board, listenFD: nil, allow: .loopback, consumers: []),
            metrics: metrics,
            thread: board?.claimProcessSlot(threads: 1)?.thread(0),
            slowLog: slow.map { SlowRequestLog(threshold: $0, logger: logger) }
        )
    }

    func request(_ path: String, address: String, method: String = "POST", query: String = "") -> FastCGIRequest {
        FastCGIRequest(params: [
            ("REQUEST_METHOD", Array(method.utf8)), ("DOCUMENT_URI", Array(path.utf8)),
            ("REMOTE_ADDR", Array(address.utf8)), ("HTTP_HX_REQUEST", Array("true".utf8)),
            ("QUERY_STRING", Array(query.utf8)),
        ])
    }

    @Test func aSpentRequestBudgetAnswers503BeforeTheAckTimeout() {
        let publisher = SlowPublisher(delay: .seconds(5))
        let handler = makeHandler(publisher: publisher, requestTimeout: .milliseconds(150))
        let started = ContinuousClock.now
        let response = handler.handle(request("/api/press", address: "130.149.0.1"))
        let took = ContinuousClock.now - started
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "5")
        #expect(String(decoding: response.body, as: UTF8.self).contains("short break"))
        #expect(response.header("Set-Cookie") == nil)
        #expect(took < .milliseconds(1500), "the 2 s ack timeout was not waited out (took \(took))")
        #expect(publisher.timeouts.allSatisfy { $0 <= .milliseconds(150) }, "Kafka's wait fits the budget")
    }

    @Test func withoutABudgetTheAckTimeoutAloneBoundsTheWait() {
        let publisher = SlowPublisher(delay: .milliseconds(10))
        let response = makeHandler(publisher: publisher).handle(request("/api/press", address: "130.149.0.1"))
        #expect(response.status == 200)
        #expect(publisher.timeouts == [.seconds(2)])
    }

    @Test func aSlowRequestIsLoggedWithItsPhasesAndNoAddress() throws {
        let recorder = LogRecorder()
        let publisher = SlowPublisher(delay: .milliseconds(120))
        let handler = makeHandler(publisher: publisher, slow: .milliseconds(60), logger: recorder.logger())
        let fast = makeHandler(
            publisher: SlowPublisher(delay: .zero),
            slow: .milliseconds(60),
            logger: recorder.logger()
        )
        #expect(fast.handle(request("/api/press", address: "198.51.100.23")).status == 200)
        #expect(recorder.entries.filter { $0.message == "slow request" }.isEmpty, "a fast request is not logged")

        let response = handler.handle(request("/api/press", address: "130.149.0.1"))
        #expect(response.status == 200)
        let line = try #require(recorder.entries.first { $0.message == "slow request" })
        #expect(line.level == .warning)
        #expect(line.values["route"] == "press")
        #expect(line.values["status"] == "200")
        let ack = try #require(line.values["kafka_ack_ms"].flatMap(Double.init))
        let total = try #require(line.values["total_ms"].flatMap(Double.init))
        #expect(ack >= 100 && total >= ack, "the time went to the Kafka ack: \(line.values)")
        for key in ["cookie_ms", "locate_ms", "encode_ms"] { #expect(line.values[key] != nil) }
        let everything = recorder.entries.map { "\($0.message) \($0.metadata) \($0.values)" }.joined()
        #expect(!everything.contains("130.149.0.1"))
        let cookie = try #require(response.header("Set-Cookie"))
        #expect(!everything.contains(String(cookie.prefix(40))))
    }

    @Test func theStatusPageIsRefusedOutsideTheAllowedNetworksAndCountsRequests() throws {
        let board = try Scoreboard.create(layout: PressMetrics.layout(threads: 4), metricsEnabled: true)
        let handler = makeHandler(publisher: SlowPublisher(delay: .zero), board: board)
        var secrets = ["130.149.0.1", "2001:db8::77", "203.0.113.5"]
        for address in ["130.149.0.1", "2001:db8::77"] {
            let answer = handler.handle(request("/api/press", address: address))
            #expect(answer.status == 200)
            let cookie = try #require(PressServiceTests.cookie(answer))
            let session = try #require(
                codec.session(fromCookieHeader: "button_session=\(cookie)", now: Int64(Date().timeIntervalSince1970))
            )
            secrets += [cookie, session.id.uuidString.lowercased(), session.id.uuidString]
        }
        let denied = handler.handle(request("/status", address: "203.0.113.5", method: "GET"))
        #expect(denied.status == 403)
        #expect(!String(decoding: denied.body, as: UTF8.self).contains("203.0.113.5"))
        #expect(handler.handle(request("/status", address: "", method: "GET")).status == 403)

        let answer = handler.handle(request("/status", address: "127.0.0.1", method: "GET", query: "json&full"))
        #expect(answer.status == 200)
        #expect(answer.header("Content-Type") == "application/json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        #expect((json["accepted conn"] as? Int) == 5, "two presses, two refusals and this request")
        #expect((json["status denied"] as? Int) == 2)
        let requests = try #require(json["requests"] as? [[String: Any]])
        let presses = requests.first { $0["route"] as? String == "press" && $0["status"] as? String == "200" }
        #expect(presses?["count"] as? Int == 2)
        let processes = try #require(json["processes"] as? [[String: Any]])
        #expect(processes.first?["current requests"] as? [[String: Any]] != nil)

        for format in ["", "json&full", "openmetrics&full", "full"] {
            let text = String(
                decoding: handler.handle(request("/status", address: "::1", method: "GET", query: format)).body,
                as: UTF8.self
            )
            for secret in secrets {
                #expect(!text.contains(secret), "\(format) holds \(secret)")
            }
        }
    }
}
