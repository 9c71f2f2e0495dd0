import Avro
import ButtonEvents
import FastCGI
import Foundation
import Logging
import Session
import Synchronization
import Testing

@testable import ButtonFCGI

/// A session pressing faster than a person can is marked in its events, never refused.
@Suite struct PressServiceBotMarkTests {
    let codec: SessionCookieCodec
    let clock = Clock()

    /// A clock the test moves (µs since the epoch).
    final class Clock: Sendable {
        let micros = Atomic<Int64>(1_780_000_000_000_000)
        func advance(_ step: Int64) { micros.add(step, ordering: .relaxed) }
    }

    init() throws { codec = try SessionCookieCodec(secret: Array(repeating: 9, count: 32)) }

    func service(_ publisher: FakePublisher, threshold: UInt32 = 20) -> PressService {
        PressService(
            codec: codec,
            locator: FakeLocator(),
            publisher: publisher,
            schemaID: 7,
            settings: .init(
                ackTimeout: .seconds(1),
                retryAfterSeconds: 5,
                cohorts: 1,
                alwaysSecureCookies: false,
                botPressesPerSecond: threshold
            ),
            logger: Logger(label: "test"),
            clock: { [clock] in clock.micros.load(ordering: .relaxed) }
        )
    }

    /// Enters, then presses `count` times `step` µs apart, always with the newest cookie.
    /// - Returns: the events published, decoded, in order.
    func session(presses count: Int, step: Int64, threshold: UInt32 = 20) throws -> [PressEvent] {
        let publisher = FakePublisher()
        let press = service(publisher, threshold: threshold)
        func post(_ path: String, _ cookie: String?) throws -> String {
            var params: [(name: String, value: [UInt8])] = [
                ("REQUEST_METHOD", Array("POST".utf8)), ("DOCUMENT_URI", Array(path.utf8)),
                ("REMOTE_ADDR", Array("130.149.0.1".utf8)), ("HTTP_HX_REQUEST", Array("true".utf8)),
            ]
            if let cookie { params.append(("HTTP_COOKIE", Array("button_session=\(cookie)".utf8))) }
            let answer = press.handle(FastCGIRequest(params: params))
            #expect(answer.status == 200, "marked, never refused")
            return try #require(PressServiceTests.cookie(answer))
        }
        var cookie = try post("/api/enter", nil)
        for _ in 0..<count {
            clock.advance(step)
            cookie = try post("/api/press", cookie)
        }
        clock.advance(1_000)
        _ = try post("/api/enter", cookie)
        return try publisher.messages.map { message in
            let (_, body) = try ConfluentWireFormat.unframe(message.value)
            return try #require(PressEvent(try PressEvent.schema.decode(body)))
        }
    }

    @Test func aPersonsFastestPressesAreNotMarked() throws {
        // Twelve a second for five seconds: faster than most people, slower than the mark.
        let events = try session(presses: 60, step: 83_000)
        #expect(events.count == 62)
        #expect(events.allSatisfy { !$0.isBot })
    }

    @Test func theTwentyFirstPressWithinASecondAndEverythingAfterAreMarked() throws {
        let events = try session(presses: 30, step: 10_000)  // a hundred a second
        #expect(events.count == 32)
        #expect(events.prefix(21).allSatisfy { !$0.isBot }, "the enter and the first 20 presses")
        #expect(events.dropFirst(21).allSatisfy { $0.isBot }, "from the 21st press on, and the next enter")
        #expect(Set(events.map(\.sessionID)).count == 1, "one session: kept, not restarted")
    }

    @Test func theThresholdIsTheOperatorsAndZeroTurnsItOff() throws {
        #expect(try session(presses: 30, step: 10_000, threshold: 0).allSatisfy { !$0.isBot })
        let strict = try session(presses: 6, step: 100_000, threshold: 5)
        #expect(strict.map(\.isBot) == [false, false, false, false, false, false, true, true])
    }
}

/// `BUTTON_BOT_PRESSES_PER_SECOND`: its default, an operator's value, and bad values named.
@Suite struct BotThresholdConfigurationTests {
    func configuration(_ extra: [String: String]) throws -> ButtonConfiguration {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try Data(repeating: UInt8(ascii: "s"), count: 40).write(to: secret)
        defer { try? FileManager.default.removeItem(at: secret) }
        return try ButtonConfiguration(
            environment: [
                "KAFKA_BOOTSTRAP": "127.0.0.1:1", "SCHEMA_REGISTRY_URL": "http://127.0.0.1:1",
                "BUTTON_SESSION_SECRET_FILE": secret.path,
            ].merging(extra) { $1 }
        )
    }

    @Test func defaultsToTwentyAndTakesTheOperatorsValue() throws {
        #expect(try configuration([:]).botPressesPerSecond == 20)
        #expect(try configuration(["BUTTON_BOT_PRESSES_PER_SECOND": "0"]).botPressesPerSecond == 0)
        #expect(try configuration(["BUTTON_BOT_PRESSES_PER_SECOND": "50"]).botPressesPerSecond == 50)
    }

    @Test(arguments: ["-1", "many", "1e3", "100001"])
    func aBadValueIsNamed(value: String) {
        do {
            _ = try configuration(["BUTTON_BOT_PRESSES_PER_SECOND": value])
            Issue.record("\(value) was accepted")
        } catch {
            #expect("\(error)".contains("BUTTON_BOT_PRESSES_PER_SECOND"), "\(error)")
        }
    }
}
