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

    @Test func morePressesThanTheThresholdWithinASecondMarkTheSession() {
        var person = sample()
        // Ten a second, for ten seconds: a fast person, never marked.
        for index in 0..<100 {
            #expect(!person.countPress(at: 1_780_000_000_000_000 + Int64(index) * 100_000, threshold: 20))
        }
        var bot = sample()
        let start: Int64 = 1_780_000_000_000_000
        // Twenty within a second is still a person; the twenty-first is not.
        for index in 0..<20 {
            #expect(!bot.countPress(at: start + Int64(index) * 40_000, threshold: 20))
        }
        #expect(bot.countPress(at: start + 999_999, threshold: 20))
        // The mark stays, even once the session slows down.
        #expect(bot.countPress(at: start + 60_000_000, threshold: 20))
        #expect(bot.isBot)

        // A window ends after one second: 20 in one and 20 in the next never mark.
        var steady = sample()
        for index in 0..<40 {
            #expect(!steady.countPress(at: start + Int64(index / 20) * 1_000_000 + Int64(index % 20), threshold: 20))
        }
        // Threshold 0 turns the mark off.
        var unchecked = sample()
        for index in 0..<100 { #expect(!unchecked.countPress(at: start + Int64(index), threshold: 0)) }
        // A clock that goes back starts a new window rather than counting into the old one.
        var skewed = sample()
        for _ in 0..<20 { skewed.countPress(at: start, threshold: 20) }
        #expect(!skewed.countPress(at: start - 5_000_000, threshold: 20))
        #expect(skewed.windowPresses == 1)
    }
}
