import Foundation
import Testing

@testable import Session

/// Inputs found by the session-cookie fuzz harness (fuzz/Sources/session-cookie), kept as
/// regression tests with their bytes.
@Suite struct SessionCookieFuzzRegressionTests {
    let codec: SessionCookieCodec

    init() throws { codec = try SessionCookieCodec(secret: Array(repeating: 0x5a, count: 32)) }

    /// fuzz/run session-cookie, crash-8432ca91: a payload whose `startedAt` is near
    /// `Int64.min` made `now - startedAt` overflow, and `open` trapped. Only a cookie signed
    /// with the key reaches that check (the fuzzer seals payloads with its own key), so no
    /// client could do it; a signed cookie with impossible times must still just not open.
    @Test func aSignedPayloadWithExtremeTimesDoesNotOpenAndDoesNotTrap() throws {
        let payload: [UInt8] = [
            0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x51, 0x69, 0x00, 0x00, 0x28, 0x00, 0x00,
            0x00, 0x69, 0x28, 0x51, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0xe6, 0x97, 0xa5, 0xe6, 0x9c,
            0xac, 0x00, 0x02, 0x4a, 0x50, 0x00, 0x09, 0xe6, 0x9d, 0xb1, 0xe4, 0xba, 0xac, 0xe9, 0x83, 0xbd,
            0x00, 0x02, 0x32, 0x36, 0x00, 0x00, 0x01, 0x00, 0x06, 0x44, 0x93, 0x76, 0x8b, 0x84, 0x00, 0x00,
            0x00, 0x00, 0x15,
        ]
        let session = try #require(SessionPayload.decode(payload))
        #expect(session.startedAt == -8_070_450_530_882_093_056)
        let cookie = Substring(codec.seal(payload: payload))
        #expect(codec.open(cookie, now: session.lastSeenAt) == nil)
        #expect(codec.open(cookie, now: 1_764_250_000) == nil)
    }

    /// The other overflows in the same check: a last request near `Int64.min` (idle time),
    /// and a clock near `Int64.max` (the 300 s skew allowance); a session inside its
    /// lifetimes at such a clock still opens.
    @Test(arguments: [
        (started: Int64.min, lastSeen: Int64.min, now: Int64(1_764_250_000), opens: false),
        (started: Int64.min, lastSeen: Int64(0), now: Int64(0), opens: false),
        (started: Int64.max - 10, lastSeen: Int64.max - 10, now: Int64.max - 5, opens: true),
        (started: Int64(0), lastSeen: Int64.max, now: Int64.min, opens: false),
    ])
    func extremeTimesNeverTrap(started: Int64, lastSeen: Int64, now: Int64, opens: Bool) {
        let session = Session(
            id: UUID(),
            cohort: 1,
            countryName: "",
            countryCode: "",
            subdivisionName: "",
            subdivisionCode: "",
            cityName: "",
            startedAt: started,
            lastSeenAt: lastSeen
        )
        let opened = codec.open(Substring(codec.seal(session)), now: now)
        #expect((opened != nil) == opens)
        if opens { #expect(opened == session) }
    }
}
