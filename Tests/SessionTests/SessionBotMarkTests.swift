import Foundation
import Testing

@testable import Session

/// The press window and the bot mark the cookie carries, and cookies from before them.
@Suite struct SessionBotMarkTests {
    let codec: SessionCookieCodec
    let now: Int64 = 1_780_000_000

    init() throws {
        codec = try SessionCookieCodec(secret: Array(repeating: 7, count: 32))
    }

    func sample() -> Session {
        Session(
            id: UUID(),
            cohort: 1,
            countryName: "Japan",
            countryCode: "JP",
            subdivisionName: "",
            subdivisionCode: "",
            cityName: "Osaka",
            startedAt: now - 100,
            lastSeenAt: now - 10,
            presses: 40
        )
    }

    /// A cookie sealed the way workers before the mark sealed it: the payload ends after
    /// the five strings.
    func sealWithoutTrailer(_ session: Session) -> String {
        codec.seal(payload: Array(SessionPayload.encode(session).dropLast(13)))
    }

    @Test func theWindowAndTheMarkRoundTrip() {
        var session = sample()
        session.windowStartedAt = 1_780_000_000_123_456
        session.windowPresses = 17
        for mark in [false, true] {
            session.isBot = mark
            #expect(codec.open(Substring(codec.seal(session)), now: now) == session)
        }
    }

    @Test func aCookieFromBeforeTheMarkStillOpensUnmarked() {
        let session = sample()
        let old = sealWithoutTrailer(session)
        #expect(old.count < codec.seal(session).count, "the control: it really lacks the trailer")
        let opened = codec.open(Substring(old), now: now)
        #expect(opened == session)
        #expect(opened?.isBot == false && opened?.windowPresses == 0)
    }

    @Test func aMalformedTrailerDoesNotOpen() {
        var bytes = SessionPayload.encode(sample())
        #expect(SessionPayload.decode(bytes) != nil)
        bytes[bytes.count - 13] = 2  // flags other than the mark
        #expect(SessionPayload.decode(bytes) == nil)
        #expect(SessionPayload.decode(Array(SessionPayload.encode(sample()).dropLast(1))) == nil, "cut short")
        #expect(SessionPayload.decode(SessionPayload.encode(sample()) + [0]) == nil, "a byte too many")
    }

    /// Presses `session` at each time; returns whether it was marked after each.
    func press(_ session: inout Session, at times: [Int64], threshold: UInt32 = 20) -> [Bool] {
        times.map { session.countPress(at: $0, threshold: threshold) }
    }

    @Test func morePressesThanTheThresholdWithinASecondMarkTheSession() {
        let start: Int64 = 1_780_000_000_000_000
        // Ten a second, for ten seconds: a fast person, never marked.
        var person = sample()
        #expect(!press(&person, at: (0..<100).map { start + Int64($0) * 100_000 }).contains(true))

        // Twenty within a second is still a person; the twenty-first is not.
        var bot = sample()
        #expect(!press(&bot, at: (0..<20).map { start + Int64($0) * 40_000 }).contains(true))
        #expect(press(&bot, at: [start + 999_999]) == [true])
        // The mark stays, even once the session slows down.
        #expect(press(&bot, at: [start + 60_000_000]) == [true])
        #expect(bot.isBot)

        // A window ends after one second: 20 in one and 20 in the next never mark.
        var steady = sample()
        let twoWindows = (0..<40).map { start + Int64($0 / 20) * 1_000_000 + Int64($0 % 20) }
        #expect(!press(&steady, at: twoWindows).contains(true))
        // Threshold 0 turns the mark off.
        var unchecked = sample()
        #expect(!press(&unchecked, at: (0..<100).map { start + Int64($0) }, threshold: 0).contains(true))
        // A clock that goes back starts a new window rather than counting into the old one.
        var skewed = sample()
        _ = press(&skewed, at: Array(repeating: start, count: 20))
        #expect(press(&skewed, at: [start - 5_000_000]) == [false])
        #expect(skewed.windowPresses == 1)
    }
}
