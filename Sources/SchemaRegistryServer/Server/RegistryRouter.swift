public import FastCGI
import Foundation
import SchemaRegistry

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
            return Self.json(status: 500, RegistryErrorResponse(errorCode: 500, message: "Internal error"))
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
            return Self.json(status: 200, EmptyObject())
        case ("GET", 2, "schemas") where segments[1] == "types":
            return Self.json(status: 200, ["AVRO"])
        case ("GET", 3, "schemas") where segments[1] == "ids":
            let found = try service.schema(id: try Self.schemaID(segments[2]))
            return Self.json(status: 200, SchemaResponse(schema: found.schema))
        case ("GET", 4, "schemas") where segments[1] == "ids" && segments[3] == "schema":
            let found = try service.schema(id: try Self.schemaID(segments[2]))
            return FastCGIResponse(status: 200, contentType: Self.contentType, body: found.schema)
        case ("GET", 4, "schemas") where segments[1] == "ids" && segments[3] == "versions":
            let usages = try service.usages(ofSchema: try Self.schemaID(segments[2]))
            return Self.json(
                status: 200,
                usages.map { SubjectVersionReference(subject: $0.subject, version: $0.version) }
            )
        case ("GET", 1, "subjects"):
            return Self.json(status: 200, try service.subjects())
        case ("GET", 3, "subjects") where segments[2] == "versions":
            return Self.json(status: 200, try service.versions(of: segments[1]))
        case ("GET", 4, "subjects") where segments[2] == "versions":
            let found = try service.version(of: segments[1], try Self.version(segments[3]))
            return Self.json(status: 200, found)
        case ("GET", 5, "subjects") where segments[2] == "versions" && segments[4] == "schema":
            let found = try service.version(of: segments[1], try Self.version(segments[3]))
            return FastCGIResponse(status: 200, contentType: Self.contentType, body: found.schema)
        case ("POST", 3, "subjects") where segments[2] == "versions":
            let body = try Self.schemaBody(request.body)
            let id = try service.register(
                subject: segments[1],
                schema: body.schema,
                type: body.schemaType,
                hasReferences: body.references?.isEmpty == false
            )
            return Self.json(status: 200, SchemaIDResponse(id: id))
        case ("POST", 2, "subjects"):
            let body = try Self.schemaBody(request.body)
            let found = try service.lookup(
                subject: segments[1],
                schema: body.schema,
                type: body.schemaType,
                hasReferences: body.references?.isEmpty == false
            )
            return Self.json(status: 200, found)
        case ("POST", 4, "compatibility") where segments[1] == "subjects" && segments[3] == "versions":
            let body = try Self.schemaBody(request.body)
            let reasons = try service.check(
                subject: segments[2],
                version: nil,
                all: true,
                schema: body.schema,
                type: body.schemaType
            )
            return Self.compatibilityAnswer(reasons, verbose: verbose)
        case ("POST", 5, "compatibility") where segments[1] == "subjects" && segments[3] == "versions":
            let body = try Self.schemaBody(request.body)
            let reasons = try service.check(
                subject: segments[2],
                version: try Self.version(segments[4]),
                all: false,
                schema: body.schema,
                type: body.schemaType
            )
            return Self.compatibilityAnswer(reasons, verbose: verbose)
        case ("GET", 1, "config"):
            return Self.json(status: 200, Self.levelAnswer(try service.globalCompatibility()))
        case ("PUT", 1, "config"):
            let level = try Self.levelBody(request.body)
            try service.setCompatibility(level, subject: nil)
            return Self.json(status: 200, CompatibilityUpdate(compatibility: level.rawValue))
        case ("GET", 2, "config"):
            if let level = try service.compatibility(subject: segments[1]) {
                return Self.json(status: 200, Self.levelAnswer(level))
            }
            guard query["defaultToGlobal"] == "true" else {
                throw RegistryError.subjectLevelConfigNotFound(segments[1])
            }
            return Self.json(status: 200, Self.levelAnswer(try service.globalCompatibility()))
        case ("PUT", 2, "config"):
            let level = try Self.levelBody(request.body)
            try service.setCompatibility(level, subject: segments[1])
            return Self.json(status: 200, CompatibilityUpdate(compatibility: level.rawValue))
        case ("DELETE", 2, "config"):
            let removed = try service.deleteCompatibility(subject: segments[1])
            return Self.json(status: 200, Self.levelAnswer(removed))
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

    private static func levelAnswer(_ level: CompatibilityLevel) -> CompatibilityLevelResponse {
        CompatibilityLevelResponse(compatibilityLevel: level.rawValue)
    }

    private static func compatibilityAnswer(_ reasons: [String], verbose: Bool) -> FastCGIResponse {
        json(status: 200, CompatibilityCheckResponse(isCompatible: reasons.isEmpty, messages: verbose ? reasons : nil))
    }

    /// The Confluent-shaped answer for an error.
    static func response(for error: RegistryError) -> FastCGIResponse {
        json(status: error.status, RegistryErrorResponse(errorCode: error.errorCode, message: error.message))
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

    /// Decodes a request body, telling malformed JSON (400) from a well-formed body of the
    /// wrong shape (422), as the Confluent registry does.
    static func decode<Body: Decodable>(_ type: Body.Type, from body: [UInt8], needs field: String) throws -> Body {
        guard !body.isEmpty else { throw RegistryError.badRequest("Request body is empty; expected a JSON object") }
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw RegistryError.badRequest("Request body is not valid JSON")
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw RegistryError.unprocessable("Request body must be a JSON object")
        } catch {
            throw RegistryError.unprocessable("Request body needs a \"\(field)\" string")
        }
    }

    static func schemaBody(_ body: [UInt8]) throws -> SchemaRequest {
        try decode(SchemaRequest.self, from: body, needs: "schema")
    }

    static func levelBody(_ body: [UInt8]) throws -> CompatibilityLevel {
        let text = try decode(CompatibilityUpdate.self, from: body, needs: "compatibility").compatibility
        guard let level = CompatibilityLevel(rawValue: text.uppercased()) else {
            throw RegistryError.invalidCompatibilityLevel(text)
        }
        return level
    }

    static func queryItems(_ query: String) -> [String: String] {
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            // Keep empty parts: `=` alone (an empty name) split into nothing and crashed the registry.
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? ""
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? "") : ""
            items[name] = value
        }
        return items
    }

    static func json(status: Int, _ value: some Encodable) -> FastCGIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return FastCGIResponse(status: status, headers: [("Content-Type", contentType)], body: Array(data))
    }
}

/// `{}`: the answer to `GET /`.
private struct EmptyObject: Encodable {}
