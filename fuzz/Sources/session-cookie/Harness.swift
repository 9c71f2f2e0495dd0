// Fuzzes the session cookie: the Cookie header scan and `open` on raw bytes (nothing the
// fuzzer writes should get past the MAC), and, behind the MAC, the payload layout and the
// lifetime checks on sessions we sealed ourselves.
//
// Byte 0 picks the mode; the rest is the mode's input.
import Foundation
import FuzzSupport

@testable import Session

/// A fixed key: the harness must be deterministic for libFuzzer to minimize crashes.
let codec: SessionCookieCodec = {
    do {
        return try SessionCookieCodec(secret: Array(repeating: 0x5a, count: 32))
    } catch {
        FuzzDriver.printError("fuzz-session-cookie: \(error)\n")
        exit(2)
    }
}()

/// The "now" of the raw modes: the corpus cookies were sealed for it (fuzz/run --write-seeds seals them).
let now: Int64 = 1_764_250_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    guard let mode = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    switch mode % 4 {
    case 0: cookieHeader(rest)
    case 1: payload(rest)
    case 2: base64(rest)
    default: sealedPayload(rest)
    }
    return 0
}

/// A whole Cookie header, as the press path reads it.
func cookieHeader(_ header: [UInt8]) {
    guard let session = codec.session(fromCookieBytes: header[...], now: now) else { return }
    // Only a cookie sealed with our key opens; what opens re-seals into a cookie that opens equal.
    require(codec.open(Substring(codec.seal(session)), now: now) == session, "a re-sealed session opens equal")
}

/// The binary layout behind the MAC.
func payload(_ bytes: [UInt8]) {
    guard let session = SessionPayload.decode(bytes) else { return }
    let encoded = SessionPayload.encode(session)
    require(SessionPayload.decode(encoded) == session, "decode(encode(decode(x))) == decode(x)")
    require(SessionPayload.encode(session) == encoded, "encode is deterministic")
    lifetime(session)
}

/// A payload sealed with our key: lifetimes hold for any fields a session can have.
func sealedPayload(_ bytes: [UInt8]) {
    guard let session = SessionPayload.decode(bytes) else { return }
    lifetime(session)
}

/// A sealed session opens exactly when its times are inside both lifetimes at `at`.
func lifetime(_ session: Session) {
    let cookie = Substring(codec.seal(session))
    for at in [session.lastSeenAt, session.startedAt, now] {
        let opened = codec.open(cookie, now: at)
        let (idle, idleOverflow) = at.subtractingReportingOverflow(session.lastSeenAt)
        let (age, ageOverflow) = at.subtractingReportingOverflow(session.startedAt)
        let (skewLimit, skewOverflow) = at.addingReportingOverflow(300)
        let valid =
            !idleOverflow && !ageOverflow && idle <= codec.idleLifetime && age <= codec.absoluteLifetime
            && (skewOverflow || session.lastSeenAt <= skewLimit) && session.startedAt <= session.lastSeenAt
        require((opened != nil) == valid, "a sealed session opens iff it is inside its lifetimes")
        if let opened { require(opened == session, "a sealed session opens equal") }
    }
}

/// base64url is strict: only the one text we would write decodes, so it re-encodes exactly.
func base64(_ bytes: [UInt8]) {
    guard let decoded = Base64URL.decode(bytes[...]) else { return }
    require(Array(Base64URL.encode(decoded).utf8) == bytes, "base64url: what decodes re-encodes to the same text")
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// Cookies and payloads made by the codec itself, for `now`.
func seeds() -> [[UInt8]] {
    let sessions = [
        Session(
            id: UUID(uuid: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)),
            cohort: 3,
            countryName: "United Kingdom",
            countryCode: "GB",
            subdivisionName: "England",
            subdivisionCode: "ENG",
            cityName: "London",
            startedAt: now - 600,
            lastSeenAt: now - 5,
            presses: 12
        ),
        Session(
            id: UUID(uuid: (9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9)),
            cohort: nil,
            countryName: "日本",
            countryCode: "JP",
            subdivisionName: "東京都",
            subdivisionCode: "13",
            cityName: "",
            startedAt: now,
            windowStartedAt: now * 1_000_000,
            windowPresses: 21,
            isBot: true
        ),
        Session(
            id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
            cohort: Int32.min,
            countryName: "",
            countryCode: "",
            subdivisionName: "",
            subdivisionCode: "",
            cityName: "",
            startedAt: now - 3599
        ),
    ]
    var seeds: [[UInt8]] = []
    for session in sessions {
        let payload = SessionPayload.encode(session)
        let cookie = codec.seal(session)
        seeds.append([0] + Array("button_session=\(cookie)".utf8))
        seeds.append([0] + Array("theme=dark; button_session=\(cookie); other=1".utf8))
        seeds.append([1] + payload)
        // The layout before the bot mark: no trailer.
        seeds.append([1] + payload.dropLast(13))
        seeds.append([2] + Array(Base64URL.encode(payload).utf8))
        seeds.append([3] + payload)
    }
    // An older layout sealed with our key, and a tampered cookie.
    let old = Array(SessionPayload.encode(sessions[0]).dropLast(13))
    seeds.append([0] + Array("button_session=\(codec.seal(payload: old))".utf8))
    var tampered = Array("button_session=\(codec.seal(sessions[0]))".utf8)
    tampered[20] ^= 1
    seeds.append([0] + tampered)
    return seeds
}
