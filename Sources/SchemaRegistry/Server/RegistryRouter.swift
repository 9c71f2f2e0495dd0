public import FastCGI
import Foundation

/// Maps the Confluent Schema Registry REST API onto `RegistryService`.
///
/// Pure: a request value in, a response value out, so every endpoint and error shape is
/// unit-tested without a server.
public struct RegistryRouter {
    private let service: RegistryService
    static let contentType = "application/vnd.schemaregistry.v1+json"

    /// - Parameter service: the registry logic.
    public init(service: RegistryService) { self.service = service }

    /// Answers one request; never throws, every failure becomes a Confluent-shaped error.
    public func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        do {
            if request.bodyTooLarge {
                throw RegistryError(status: 413, errorCode: 413, message: "Request body too large")
            }
            return try route(request)
        } catch let error as RegistryError {
            return Self.response(for: error)
        } catch {
            return Self.json(status: 500, ["error_code": 500, "message": "Internal error"])
        }
    }

    private func route(_ request: FastCGIRequest) throws -> FastCGIResponse {
        let rawPath = (request["REQUEST_URI"] ?? request.path).prefix { $0 != "?" }
        let segments = try rawPath.split(separator: "/", omittingEmptySubsequences: true).map { segment in
            guard let decoded = String(segment).removingPercentEncoding else {
                throw RegistryError.badRequest("Malformed percent-encoding in path")
            }
            return decoded
        }
        let query = Self.queryItems(request.query)
        let method = request.method
        let verbose = query["verbose"] == "true"

        switch (method, segments.count, segments.first) {
        case ("GET", 0, _):
            return Self.json(status: 200, [String: Any]())
        case ("GET", 2, "schemas") where segments[1] == "types":
            return Self.json(status: 200, ["AVRO"])
        case ("GET", 3, "schemas") where segments[1] == "ids":
            let found = try service.schema(id: try Self.schemaID(segments[2]))
            return Self.json(status: 200, ["schema": found.schema])
        case ("GET", 4, "schemas") where segments[1] == "ids" && segments[3] == "schema":
            let found = try service.schema(id: try Self.schemaID(segments[2]))
            return FastCGIResponse(status: 200, contentType: Self.contentType, body: found.schema)
        case ("GET", 4, "schemas") where segments[1] == "ids" && segments[3] == "versions":
            let usages = try service.usages(ofSchema: try Self.schemaID(segments[2]))
            return Self.json(status: 200, usages.map { ["subject": $0.subject, "version": $0.version] })
        case ("GET", 1, "subjects"):
            return Self.json(status: 200, try service.subjects())
        case ("GET", 3, "subjects") where segments[2] == "versions":
            return Self.json(status: 200, try service.versions(of: segments[1]))
        case ("GET", 4, "subjects") where segments[2] == "versions":
            let found = try service.version(of: segments[1], try Self.version(segments[3]))
            return Self.json(status: 200, Self.describe(found))
        case ("GET", 5, "subjects") where segments[2] == "versions" && segments[4] == "schema":
            let found = try service.version(of: segments[1], try Self.version(segments[3]))
            return FastCGIResponse(status: 200, contentType: Self.contentType, body: found.schema)
        case ("POST", 3, "subjects") where segments[2] == "versions":
            let body = try Self.schemaBody(request.body)
            let id = try service.register(
                subject: segments[1],
                schema: body.schema,
                type: body.type,
                hasReferences: body.hasReferences
            )
            return Self.json(status: 200, ["id": id])
        case ("POST", 2, "subjects"):
            let body = try Self.schemaBody(request.body)
            let found = try service.lookup(
                subject: segments[1],
                schema: body.schema,
                type: body.type,
                hasReferences: body.hasReferences
            )
            return Self.json(status: 200, Self.describe(found))
        case ("POST", 4, "compatibility") where segments[1] == "subjects" && segments[3] == "versions":
            let body = try Self.schemaBody(request.body)
            let reasons = try service.check(
                subject: segments[2],
                version: nil,
                all: true,
                schema: body.schema,
                type: body.type
            )
            return Self.compatibilityAnswer(reasons, verbose: verbose)
        case ("POST", 5, "compatibility") where segments[1] == "subjects" && segments[3] == "versions":
            let body = try Self.schemaBody(request.body)
            let reasons = try service.check(
                subject: segments[2],
                version: try Self.version(segments[4]),
                all: false,
                schema: body.schema,
                type: body.type
            )
            return Self.compatibilityAnswer(reasons, verbose: verbose)
        case ("GET", 1, "config"):
            return Self.json(status: 200, ["compatibilityLevel": try service.globalCompatibility().rawValue])
        case ("PUT", 1, "config"):
            let level = try Self.levelBody(request.body)
            try service.setCompatibility(level, subject: nil)
            return Self.json(status: 200, ["compatibility": level.rawValue])
        case ("GET", 2, "config"):
            if let level = try service.compatibility(subject: segments[1]) {
                return Self.json(status: 200, ["compatibilityLevel": level.rawValue])
            }
            guard query["defaultToGlobal"] == "true" else {
                throw RegistryError.subjectLevelConfigNotFound(segments[1])
            }
            return Self.json(status: 200, ["compatibilityLevel": try service.globalCompatibility().rawValue])
        case ("PUT", 2, "config"):
            let level = try Self.levelBody(request.body)
            try service.setCompatibility(level, subject: segments[1])
            return Self.json(status: 200, ["compatibility": level.rawValue])
        case ("DELETE", 2, "config"):
            let removed = try service.deleteCompatibility(subject: segments[1])
            return Self.json(status: 200, ["compatibilityLevel": removed.rawValue])
        default:
            if Self.knownPath(segments) { throw RegistryError.methodNotAllowed(method) }
            throw RegistryError.notFound(String(rawPath))
        }
    }

    /// Whether the path exists for some method, to tell 405 from 404.
    private static func knownPath(_ segments: [String]) -> Bool {
        switch (segments.count, segments.first) {
        case (0, _), (1, "subjects"), (1, "config"), (2, "config"), (2, "subjects"): true
        case (3, "subjects"), (4, "subjects"): segments[2] == "versions"
        case (3, "schemas"): segments[1] == "ids"
        case (4, "compatibility"), (5, "compatibility"): segments[1] == "subjects"
        default: false
        }
    }

    private static func describe(_ version: SubjectVersion) -> [String: Any] {
        ["subject": version.subject, "version": version.version, "id": version.id, "schema": version.schema]
    }

    private static func compatibilityAnswer(_ reasons: [String], verbose: Bool) -> FastCGIResponse {
        var answer: [String: Any] = ["is_compatible": reasons.isEmpty]
        if verbose { answer["messages"] = reasons }
        return json(status: 200, answer)
    }

    /// The Confluent-shaped answer for an error.
    static func response(for error: RegistryError) -> FastCGIResponse {
        json(status: error.status, ["error_code": error.errorCode, "message": error.message])
    }

    static func schemaID(_ text: String) throws -> Int {
        guard let id = Int(text), id > 0, id <= Int(Int32.max) else {
            throw RegistryError.schemaNotFound("Schema \(text) not found")
        }
        return id
    }

    /// A version in a path: a number from 1 to 2^31-1, `latest`, or -1 (also latest).
    static func version(_ text: String) throws -> Int? {
        if text == "latest" || text == "-1" { return nil }
        guard let number = Int(text), number >= 1, number <= Int(Int32.max) else {
            throw RegistryError.invalidVersion(text)
        }
        return number
    }

    static func jsonObject(_ body: [UInt8]) throws -> [String: Any] {
        guard !body.isEmpty else { throw RegistryError.badRequest("Request body is empty; expected a JSON object") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) else {
            throw RegistryError.badRequest("Request body is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw RegistryError.unprocessable("Request body must be a JSON object")
        }
        return dictionary
    }

    static func schemaBody(_ body: [UInt8]) throws -> (schema: String, type: String?, hasReferences: Bool) {
        let object = try jsonObject(body)
        guard let schema = object["schema"] as? String else {
            throw RegistryError.unprocessable("Request body needs a \"schema\" string")
        }
        let type = object["schemaType"] as? String
        let references = (object["references"] as? [Any]) ?? []
        return (schema, type, !references.isEmpty)
    }

    static func levelBody(_ body: [UInt8]) throws -> CompatibilityLevel {
        let object = try jsonObject(body)
        guard let text = object["compatibility"] as? String else {
            throw RegistryError.unprocessable("Request body needs a \"compatibility\" string")
        }
        guard let level = CompatibilityLevel(rawValue: text.uppercased()) else {
            throw RegistryError.invalidCompatibilityLevel(text)
        }
        return level
    }

    static func queryItems(_ query: String) -> [String: String] {
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let name = String(parts[0]).removingPercentEncoding ?? ""
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? "") : ""
            items[name] = value
        }
        return items
    }

    static func json(status: Int, _ value: Any) -> FastCGIResponse {
        let data =
            (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return FastCGIResponse(status: status, headers: [("Content-Type", contentType)], body: Array(data))
    }
}
