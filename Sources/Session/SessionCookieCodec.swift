import Crypto
import Foundation

/// Seals sessions into signed cookie values and opens them again.
///
/// The value is `v1.<payload>.<mac>`: a compact binary payload and its HMAC-SHA256, both
/// base64url. A client can read its own cookie (nothing in it is secret) but cannot
/// change its session, cohort or location. Anything that does not open cleanly (missing,
/// malformed, tampered, too old) yields nil, and the caller starts a new session.
public struct SessionCookieCodec: Sendable {
    /// The cookie's name.
    public static let cookieName = "button_session"
    /// Longest Cookie header examined; longer ones are ignored as hostile.
    public static let maxHeaderBytes = 8192

    private let keyBox: KeyBox
    /// Seconds a session lives after its last request (sliding).
    public let idleLifetime: Int64
    /// Seconds a session lives after it started, however active.
    public let absoluteLifetime: Int64

    /// - Parameters:
    ///   - secret: the signing key, at least 32 bytes.
    ///   - idleLifetime: sliding lifetime in seconds (default one hour).
    ///   - absoluteLifetime: cap in seconds (default 12 hours).
    /// - Throws: `SessionError` when the secret is too short.
    public init(secret: [UInt8], idleLifetime: Int64 = 3600, absoluteLifetime: Int64 = 12 * 3600) throws {
        guard secret.count >= 32 else {
            throw SessionError(message: "the session secret must be at least 32 bytes, got \(secret.count)")
        }
        keyBox = KeyBox(SymmetricKey(data: secret))
        self.idleLifetime = idleLifetime
        self.absoluteLifetime = absoluteLifetime
    }

    /// The cookie value for a session.
    public func seal(_ session: Session) -> String {
        seal(payload: SessionPayload.encode(session))
    }

    /// The cookie value for a payload (tests seal the layouts of earlier versions).
    func seal(payload: [UInt8]) -> String {
        let body = "v1." + Base64URL.encode(payload)
        let mac = keyBox.authenticationCode(for: Array(body.utf8))
        return body + "." + Base64URL.encode(mac)
    }

    /// The session in a cookie value, or nil when it is not valid at `now`.
    public func open(_ value: Substring, now: Int64) -> Session? {
        open(bytes: Array(value.utf8)[...], now: now)
    }

    /// The session in a cookie value given as bytes; works on bytes throughout because it
    /// runs on every request.
    func open(bytes value: ArraySlice<UInt8>, now: Int64) -> Session? {
        let dot = UInt8(ascii: ".")
        guard value.count > 4, value[value.startIndex] == UInt8(ascii: "v"),
            value[value.startIndex + 1] == UInt8(ascii: "1"), value[value.startIndex + 2] == dot,
            let macDot = value.lastIndex(of: dot), macDot > value.startIndex + 2
        else { return nil }
        let payloadText = value[(value.startIndex + 3)..<macDot]
        guard !payloadText.contains(dot), let mac = Base64URL.decode(value[(macDot + 1)...]), mac.count == 32 else {
            return nil
        }
        // Constant-time comparison, so the MAC can't be guessed byte by byte.
        guard keyBox.isValid(mac, authenticating: value[..<macDot]),
            let payload = Base64URL.decode(payloadText), let session = SessionPayload.decode(payload)
        else { return nil }
        // Overflow-checked: the times come from the payload, and a validly signed payload
        // with extreme times (the fuzzer sealed some with its own key) must not open, not trap.
        let (idle, idleOverflow) = now.subtractingReportingOverflow(session.lastSeenAt)
        let (age, ageOverflow) = now.subtractingReportingOverflow(session.startedAt)
        let (latest, latestOverflow) = now.addingReportingOverflow(300)
        guard !idleOverflow, !ageOverflow, idle <= idleLifetime, age <= absoluteLifetime,
            latestOverflow || session.lastSeenAt <= latest, session.startedAt <= session.lastSeenAt
        else { return nil }
        return session
    }

    /// The first valid session among the request's cookies of our name.
    /// - Parameters:
    ///   - header: the raw `Cookie` header, if any.
    ///   - now: the current time in seconds since the epoch.
    public func session(fromCookieHeader header: String?, now: Int64) -> Session? {
        session(fromCookieBytes: header.map { Array($0.utf8)[...] }, now: now)
    }

    /// The first valid session among the request's cookies of our name, from the header's
    /// bytes as they arrived (the press path does not make a String of them).
    /// - Parameters:
    ///   - header: the raw `Cookie` header bytes, if any.
    ///   - now: the current time in seconds since the epoch.
    public func session(fromCookieBytes header: ArraySlice<UInt8>?, now: Int64) -> Session? {
        guard let bytes = header, bytes.count <= Self.maxHeaderBytes else { return nil }
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
            var pair = bytes[start..<end]
            while pair.first == UInt8(ascii: " ") { pair = pair.dropFirst() }
            if pair.starts(with: Self.namePrefix),
                let session = open(bytes: pair.dropFirst(Self.namePrefix.count), now: now)
            {
                return session
            }
            start = end + 1
        }
        return nil
    }

    private static let namePrefix = Array("\(cookieName)=".utf8)

    /// The `Set-Cookie` value that stores (and slides) the session.
    /// - Parameters:
    ///   - session: the session, with `lastSeenAt` already updated.
    ///   - secure: add `Secure` (behind TLS).
    public func setCookie(_ session: Session, secure: Bool) -> String {
        let remaining = min(idleLifetime, absoluteLifetime - (session.lastSeenAt - session.startedAt))
        var cookie = "\(Self.cookieName)=\(seal(session)); Path=/; Max-Age=\(max(0, remaining)); HttpOnly; SameSite=Lax"
        if secure { cookie += "; Secure" }
        return cookie
    }
}

/// Holds the signing key as an HMAC already keyed: every request signs or checks a
/// cookie, and keying (hashing the padded key into the inner and outer states) was a third
/// of the cookie's cost in the benchmark's profile. HMAC is a value type whose hash states
/// are copied on write, so each use starts from a private copy of the keyed state.
///
/// `@unchecked Sendable`: `keyed` is written once, in `init`, and only copied afterwards;
/// HMAC and SymmetricKey are not marked Sendable.
private final class KeyBox: @unchecked Sendable {
    private let keyed: HMAC<SHA256>
    init(_ key: SymmetricKey) { keyed = HMAC<SHA256>(key: key) }

    func authenticationCode(for message: [UInt8]) -> [UInt8] {
        var hmac = keyed
        hmac.update(data: message)
        return Array(hmac.finalize())
    }

    /// The library's `==` between a MAC and bytes compares in constant time, so the MAC
    /// can't be guessed byte by byte.
    func isValid(_ mac: [UInt8], authenticating message: ArraySlice<UInt8>) -> Bool {
        var hmac = keyed
        message.withUnsafeBytes { hmac.update(data: $0) }
        return hmac.finalize() == mac
    }
}

/// A session could not be set up.
public struct SessionError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
