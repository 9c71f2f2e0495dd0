public import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client for the Confluent Schema Registry REST API (Karapace, Confluent, or this
/// project's registry); only the URL changes between them.
///
/// Credentials go in the URL the way Aiven hands them out,
/// `https://avnadmin:PASSWORD@host:port`; they are sent as HTTP basic auth and never
/// appear in errors or `description`. Schemas fetched by id and ids of registered
/// schemas are cached: both are immutable in a registry.
///
/// Each call makes one attempt; `register(subject:schema:retryingFor:policy:onRetry:)` and
/// `RegistryRetryPolicy.retrying(for:onRetry:_:)` wait out a registry that is briefly away.
public final class SchemaRegistryClient: Sendable, CustomStringConvertible {
    private let baseURL: URL
    private let authorization: String?
    private let session: URLSession
    private let schemasByID = Mutex<[Int: String]>([:])
    private let idsByRegistration = Mutex<[String: Int]>([:])
    private let timeout: TimeInterval
    private static let mediaType = "application/vnd.schemaregistry.v1+json"

    /// - Parameters:
    ///   - url: the registry's base URL, optionally with `user:password@`.
    ///   - timeout: per-request timeout in seconds.
    /// - Throws: `RegistryClientError` `.invalidURL` for a URL that is not http(s).
    public init(url: String, timeout: TimeInterval = 10) throws {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", components.host?.isEmpty == false
        else {
            throw RegistryClientError(
                code: .invalidURL,
                message: "schema registry URL must be http(s)://[user:password@]host[:port]"
            )
        }
        if let user = components.user {
            let password = components.password ?? ""
            let decodedUser = user.removingPercentEncoding ?? user
            let decodedPassword = password.removingPercentEncoding ?? password
            authorization = "Basic " + Data("\(decodedUser):\(decodedPassword)".utf8).base64EncodedString()
            components.user = nil
            components.password = nil
        } else {
            authorization = nil
        }
        if components.path.hasSuffix("/") { components.path.removeLast() }
        guard let base = components.url else {
            throw RegistryClientError(code: .invalidURL, message: "schema registry URL is not valid")
        }
        baseURL = base
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        session = URLSession(configuration: configuration)
    }

    /// The URL without credentials.
    public var description: String { "SchemaRegistryClient(\(baseURL.absoluteString))" }

    /// Registers `schema` under `subject` (idempotent) and returns its global id.
    /// - Throws: `RegistryError` as the registry answered (e.g. 409 incompatible), or
    ///   `RegistryClientError` when it could not be reached.
    public func register(subject: String, schema: String) async throws -> Int {
        let key = subject + "\u{0}" + schema
        if let id = idsByRegistration.withLock({ $0[key] }) { return id }
        let answer: SchemaIDResponse = try await call(
            "POST",
            ["subjects", subject, "versions"],
            body: SchemaRequest(schema: schema)
        )
        idsByRegistration.withLock { $0[key] = answer.id }
        schemasByID.withLock { $0[answer.id] = schema }
        return answer.id
    }

    /// Registers `schema` under `subject`, waiting out a registry that is briefly unavailable.
    ///
    /// Registration is idempotent in the registry, so repeating it after an answer that was
    /// lost on the way is safe.
    /// - Parameters:
    ///   - subject: the subject.
    ///   - schema: the schema text.
    ///   - patience: how long to keep trying.
    ///   - policy: which failures are retried and how long to wait between attempts.
    ///   - onRetry: called before each wait with the error and the wait (to log it).
    /// - Returns: the schema's global id.
    /// - Throws: at once a final `RegistryError` (409, 422, …); after `patience` the last
    ///   transient `RegistryError` or `RegistryClientError`.
    public func register(
        subject: String,
        schema: String,
        retryingFor patience: Duration,
        policy: RegistryRetryPolicy = RegistryRetryPolicy(),
        onRetry: (_ error: any Error, _ wait: Duration) -> Void = { _, _ in }
    ) async throws -> Int {
        try await policy.retrying(for: patience, onRetry: onRetry) {
            try await register(subject: subject, schema: schema)
        }
    }

    /// The schema text with this id, from the cache when seen before.
    /// - Throws: `RegistryError` 40403 when the registry has no such id.
    public func schema(id: Int) async throws -> String {
        if let cached = schemasByID.withLock({ $0[id] }) { return cached }
        let answer: SchemaResponse = try await call("GET", ["schemas", "ids", String(id)])
        schemasByID.withLock { $0[id] = answer.schema }
        return answer.schema
    }

    /// The latest version of a subject.
    /// - Throws: `RegistryError` 40401 for an unknown subject.
    public func latest(subject: String) async throws -> SubjectVersion {
        try await version(subject: subject, "latest")
    }

    /// A version of a subject (`"latest"` or a number).
    /// - Throws: `RegistryError` 40401 for an unknown subject, 40402 for an unknown version.
    public func version(subject: String, _ version: String) async throws -> SubjectVersion {
        let answer: SubjectVersion = try await call("GET", ["subjects", subject, "versions", version])
        // Some registries omit the subject; the caller named it anyway.
        return SubjectVersion(subject: subject, version: answer.version, id: answer.id, schema: answer.schema)
    }

    /// All subjects.
    public func subjects() async throws -> [String] {
        try await call("GET", ["subjects"])
    }

    /// Whether `schema` could be registered under `subject` now.
    public func isCompatible(subject: String, schema: String, version: String = "latest") async throws -> Bool {
        let answer: CompatibilityCheckResponse = try await call(
            "POST",
            ["compatibility", "subjects", subject, "versions", version],
            body: SchemaRequest(schema: schema)
        )
        return answer.isCompatible
    }

    private func call<Answer: Decodable>(_ method: String, _ path: [String]) async throws -> Answer {
        try await call(method, path, body: Optional<SchemaRequest>.none)
    }

    private func call<Body: Encodable, Answer: Decodable>(
        _ method: String,
        _ path: [String],
        body: Body?
    ) async throws -> Answer {
        var request = URLRequest(url: url(path), timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue(Self.mediaType, forHTTPHeaderField: "Accept")
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONEncoder().encode(body)
            request.setValue(Self.mediaType, forHTTPHeaderField: "Content-Type")
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw RegistryClientError(
                code: .unreachable,
                message: "schema registry at \(baseURL.absoluteString) unreachable: \(error.localizedDescription)"
            )
        }
        let http = response as? HTTPURLResponse
        let status = http?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            // Proxies in front of a registry answer 502/503 with HTML: keep the status then.
            let answer = try? JSONDecoder().decode(RegistryErrorResponse.self, from: data)
            throw RegistryError(
                status: status,
                errorCode: answer?.errorCode ?? status,
                message: answer?.message ?? "HTTP \(status)",
                retryAfter: http?.value(forHTTPHeaderField: "Retry-After").flatMap {
                    RegistryRetryPolicy.retryAfter($0, now: Date())
                }
            )
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw RegistryClientError(
                code: .unexpectedAnswer,
                message: "schema registry at \(baseURL.absoluteString) sent an unexpected answer"
            )
        }
    }

    private func url(_ path: [String]) -> URL {
        // Subjects may hold '/' and other reserved characters: encode each segment whole.
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        var text = baseURL.absoluteString
        for segment in path {
            text += "/" + (segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment)
        }
        return URL(string: text) ?? baseURL
    }
}
