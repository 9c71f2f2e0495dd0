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
public final class SchemaRegistryClient: Sendable, CustomStringConvertible {
    private let baseURL: URL
    private let authorization: String?
    private let session: URLSession
    private let schemasByID = Mutex<[Int: String]>([:])
    private let idsByRegistration = Mutex<[String: Int]>([:])
    private let timeout: TimeInterval

    /// - Parameters:
    ///   - url: the registry's base URL, optionally with `user:password@`.
    ///   - timeout: per-request timeout in seconds.
    /// - Throws: `RegistryClientError` for a URL that is not http(s).
    public init(url: String, timeout: TimeInterval = 10) throws {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", components.host?.isEmpty == false
        else {
            throw RegistryClientError(message: "schema registry URL must be http(s)://[user:password@]host[:port]")
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
            throw RegistryClientError(message: "schema registry URL is not valid")
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
        let answer = try await call("POST", ["subjects", subject, "versions"], body: ["schema": schema])
        guard let id = answer["id"] as? Int else { throw malformed() }
        idsByRegistration.withLock { $0[key] = id }
        schemasByID.withLock { $0[id] = schema }
        return id
    }

    /// The schema text with this id, from the cache when seen before.
    /// - Throws: `RegistryError` 40403 when the registry has no such id.
    public func schema(id: Int) async throws -> String {
        if let cached = schemasByID.withLock({ $0[id] }) { return cached }
        let answer = try await call("GET", ["schemas", "ids", String(id)])
        guard let schema = answer["schema"] as? String else { throw malformed() }
        schemasByID.withLock { $0[id] = schema }
        return schema
    }

    /// The latest version of a subject.
    public func latest(subject: String) async throws -> SubjectVersion {
        try await version(subject: subject, "latest")
    }

    /// A version of a subject (`"latest"` or a number).
    public func version(subject: String, _ version: String) async throws -> SubjectVersion {
        let answer = try await call("GET", ["subjects", subject, "versions", version])
        guard let number = answer["version"] as? Int, let id = answer["id"] as? Int,
            let schema = answer["schema"] as? String
        else { throw malformed() }
        return SubjectVersion(subject: subject, version: number, id: id, schema: schema)
    }

    /// All subjects.
    public func subjects() async throws -> [String] {
        guard let list = try await callAny("GET", ["subjects"], body: nil) as? [String] else { throw malformed() }
        return list
    }

    /// Whether `schema` could be registered under `subject` now.
    public func isCompatible(subject: String, schema: String, version: String = "latest") async throws -> Bool {
        let answer = try await call(
            "POST",
            ["compatibility", "subjects", subject, "versions", version],
            body: ["schema": schema]
        )
        guard let verdict = answer["is_compatible"] as? Bool else { throw malformed() }
        return verdict
    }

    private func malformed() -> RegistryClientError {
        RegistryClientError(message: "schema registry at \(baseURL.absoluteString) sent an unexpected answer")
    }

    private func call(
        _ method: String,
        _ path: [String],
        body: [String: Any]? = nil
    ) async throws
        -> [String: Any]
    {
        guard let object = try await callAny(method, path, body: body) as? [String: Any] else { throw malformed() }
        return object
    }

    private func callAny(_ method: String, _ path: [String], body: [String: Any]?) async throws -> Any {
        var url = baseURL
        for segment in path {
            // Subjects may hold '/' and other reserved characters: encode each segment whole.
            var allowed = CharacterSet.urlPathAllowed
            allowed.remove("/")
            url =
                URL(
                    string: url.absoluteString + "/"
                        + (segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment)
                ) ?? url
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("application/vnd.schemaregistry.v1+json", forHTTPHeaderField: "Accept")
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/vnd.schemaregistry.v1+json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw RegistryClientError(
                message: "schema registry at \(baseURL.absoluteString) unreachable: \(error.localizedDescription)"
            )
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        guard (200..<300).contains(status) else {
            let dictionary = object as? [String: Any]
            throw RegistryError(
                status: status,
                errorCode: dictionary?["error_code"] as? Int ?? status,
                message: dictionary?["message"] as? String ?? "HTTP \(status)"
            )
        }
        guard let object else { throw malformed() }
        return object
    }
}

/// The registry could not be reached or answered something unreadable.
public struct RegistryClientError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
