import Foundation
import Testing

@testable import Session

@Suite struct SessionCookieCodecTests {
    let codec: SessionCookieCodec
    let now: Int64 = 1_780_000_000

    init() throws {
        codec = try SessionCookieCodec(secret: Array(repeating: 7, count: 32))
    }

    func sample(cohort: Int32? = 3, started: Int64? = nil) -> Session {
        Session(
            id: UUID(),
            cohort: cohort,
            countryName: "Côte d'Ivoire",
            countryCode: "CI",
            subdivisionName: "Abidjan",
            subdivisionCode: "AB",
            cityName: "Abidjan",
            startedAt: started ?? now - 100,
            lastSeenAt: now - 10
        )
    }

    @Test func roundTrip() {
        for cohort in [nil, 0, 3, Int32.max, Int32.min] as [Int32?] {
            let session = sample(cohort: cohort)
            #expect(codec.open(Substring(codec.seal(session)), now: now) == session)
        }
    }

    @Test func tamperingIsDetected() throws {
        let value = codec.seal(sample())
        let parts = value.split(separator: ".").map(String.init)
        // Flip every payload character in turn: each change must break the seal.
        for index in parts[1].indices {
            var payload = parts[1]
            payload.replaceSubrange(index...index, with: payload[index] == "A" ? "B" : "A")
            #expect(codec.open(Substring("v1.\(payload).\(parts[2])"), now: now) == nil)
        }
        // A payload re-encoded with another cohort but the old MAC.
        var forged = sample()
        forged.cohort = 99
        let forgedPayload = codec.seal(forged).split(separator: ".")[1]
        #expect(codec.open(Substring("v1.\(forgedPayload).\(parts[2])"), now: now) == nil)
        // Another secret.
        let other = try SessionCookieCodec(secret: Array(repeating: 8, count: 32))
        #expect(other.open(Substring(value), now: now) == nil)
    }

    @Test func lifetimes() {
        let session = sample()
        let value = Substring(codec.seal(session))
        #expect(codec.open(value, now: session.lastSeenAt + 3600) != nil)
        #expect(codec.open(value, now: session.lastSeenAt + 3601) == nil, "idle for more than an hour")
        let old = sample(started: now - 12 * 3600 - 1)
        #expect(codec.open(Substring(codec.seal(old)), now: now) == nil, "older than the absolute cap")
        var future = sample()
        future.lastSeenAt = now + 3600
        #expect(codec.open(Substring(codec.seal(future)), now: now) == nil)
    }

    @Test(arguments: [
        "", ".", "..", "v1..", "v1.x.y", "v2.AAAA.AAAA", "v1.%%%%.####", String(repeating: "A", count: 10_000),
        "v1." + String(repeating: "A", count: 5000) + ".AAAA", "v1.AAAA.AAAA.AAAA", "v1.😀.😀",
    ])
    func malformedValuesGiveNoSession(_ value: String) {
        #expect(codec.open(Substring(value), now: now) == nil)
        #expect(codec.session(fromCookieHeader: "button_session=\(value)", now: now) == nil)
    }

    @Test func randomGarbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<300, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 32...126, using: &generator) }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(codec.session(fromCookieHeader: text, now: now) == nil)
            #expect(codec.session(fromCookieHeader: "button_session=v1.\(text)", now: now) == nil)
        }
    }

    @Test func findsOurCookieAmongOthers() {
        let session = sample()
        let value = codec.seal(session)
        let header = "theme=dark; button_session=garbage; button_session=\(value); other=1"
        #expect(codec.session(fromCookieHeader: header, now: now) == session)
        #expect(codec.session(fromCookieHeader: nil, now: now) == nil)
        #expect(codec.session(fromCookieBytes: Array(header.utf8)[...], now: now) == session)
        #expect(codec.session(fromCookieBytes: Array(header.utf8).dropFirst(3), now: now) == session, "any slice")
        #expect(
            codec.session(fromCookieBytes: [0xFF, 0xC0] + Array("; button_session=\(value)".utf8), now: now) == session
        )
        let huge = "x=" + String(repeating: "a", count: 9000) + "; button_session=\(value)"
        #expect(codec.session(fromCookieHeader: huge, now: now) == nil, "oversized headers are ignored")
    }

    @Test func setCookieAttributes() {
        let session = sample()
        let plain = codec.setCookie(session, secure: false)
        #expect(plain.hasPrefix("button_session=v1."))
        #expect(plain.contains("; HttpOnly"))
        #expect(plain.contains("; SameSite=Lax"))
        #expect(plain.contains("; Max-Age=3600"))
        #expect(plain.contains("; Path=/"))
        #expect(!plain.contains("Secure"))
        #expect(codec.setCookie(session, secure: true).hasSuffix("; Secure"))
        // Near the absolute cap the cookie lives only as long as the session may.
        var late = session
        late.startedAt = now - 12 * 3600 + 60
        late.lastSeenAt = now
        #expect(codec.setCookie(late, secure: false).contains("; Max-Age=60;"))
    }

    @Test func shortSecretIsRefused() {
        #expect(throws: SessionError.self) { try SessionCookieCodec(secret: Array(repeating: 1, count: 16)) }
    }
}
