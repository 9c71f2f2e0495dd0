public import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A minimal HTTP client for tests: status, headers and body of one request.
public enum HTTP {
    /// One answer.
    public struct Answer: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }
        /// The body parsed as JSON (objects, arrays or fragments), or nil.
        public var json: Any? { try? JSONSerialization.jsonObject(with: body, options: .fragmentsAllowed) }
        /// A header, by case-insensitive name.
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    /// Sends a request and waits for the answer (redirects are not followed).
    /// - Throws: when the server can't be reached.
    public static func send(
        _ method: String,
        _ url: String,
        body: Data? = nil,
        headers: [String: String] = [:],
        timeout: TimeInterval = 15
    ) async throws -> Answer {
        guard let target = URL(string: url) else { throw URLError(.badURL) }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { fields[key] = value }
        }
        return Answer(status: http.statusCode, headers: fields, body: data)
    }

    /// Sends a JSON body.
    public static func json(_ method: String, _ url: String, _ object: Any) async throws -> Answer {
        let body = try JSONSerialization.data(withJSONObject: object)
        return try await send(method, url, body: body, headers: ["Content-Type": "application/json"])
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        // A session-wide delegate: Linux Foundation ignores per-task delegates for redirects.
        return URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }()

    private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession,
            task: URLSessionTask,
            willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest,
            completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }
}
