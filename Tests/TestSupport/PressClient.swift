import Foundation

/// A browser-like client of the press endpoints: keeps the session cookie like a cookie
/// jar, can claim any client address through `X-Forwarded-For` (the local stack's nginx
/// trusts loopback), and speaks htmx or plain forms.
public final class PressClient: @unchecked Sendable {
    // @unchecked: a test uses one client from one task at a time.
    public let appURL: String
    public let forwardedFor: String?
    public var cookie: String?
    public private(set) var answers: [HTTP.Answer] = []

    /// - Parameters:
    ///   - appURL: the stack's `APP_URL`.
    ///   - forwardedFor: the client address nginx should see, or nil for loopback.
    public init(appURL: String, forwardedFor: String? = nil) {
        self.appURL = appURL
        self.forwardedFor = forwardedFor
    }

    /// `POST /api/enter` (htmx) or `/api/press`, updating the cookie from `Set-Cookie`.
    @discardableResult
    public func post(
        _ endpoint: String,
        htmx: Bool = true,
        extraHeaders: [String: String] = [:]
    ) async throws
        -> HTTP.Answer
    {
        var headers = extraHeaders
        if htmx { headers["HX-Request"] = "true" }
        if let forwardedFor { headers["X-Forwarded-For"] = forwardedFor }
        if let cookie, headers["Cookie"] == nil { headers["Cookie"] = "button_session=\(cookie)" }
        let answer = try await HTTP.send("POST", appURL + endpoint, body: Data(), headers: headers)
        if let setCookie = answer.header("Set-Cookie"), let value = Self.sessionValue(setCookie) {
            cookie = value
        }
        answers.append(answer)
        return answer
    }

    /// The value of `button_session` in a `Set-Cookie` header.
    public static func sessionValue(_ setCookie: String) -> String? {
        guard let first = setCookie.split(separator: ";").first, first.hasPrefix("button_session=") else {
            return nil
        }
        return String(first.dropFirst("button_session=".count))
    }
}
