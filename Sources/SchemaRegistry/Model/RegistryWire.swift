// The JSON bodies of the Confluent Schema Registry REST API that this project's client sends
// and its registry answers with. One Codable type per body shape, shared by both sides, so the
// client and the server cannot drift apart on a field name.

/// `POST /subjects/{subject}/versions`, `POST /subjects/{subject}` and the compatibility checks.
public struct SchemaRequest: Sendable, Equatable, Codable {
    /// The schema text.
    public var schema: String
    /// `AVRO`, `JSON` or `PROTOBUF`; absent means Avro.
    public var schemaType: String?
    /// References to other subjects' schemas; this project's registry supports none.
    public var references: [SchemaReference]?

    /// - Parameters:
    ///   - schema: the schema text.
    ///   - schemaType: the schema language; `nil` for Avro.
    ///   - references: referenced schemas, if any.
    public init(schema: String, schemaType: String? = nil, references: [SchemaReference]? = nil) {
        self.schema = schema
        self.schemaType = schemaType
        self.references = references
    }
}

/// A reference from one schema to another subject's version (Confluent's `references` entry).
/// Every field is optional so that a request with references decodes and is refused with the
/// registry's own "not supported" answer rather than a parse error.
public struct SchemaReference: Sendable, Equatable, Codable {
    /// The name the referencing schema uses.
    public var name: String?
    /// The referenced subject.
    public var subject: String?
    /// The referenced version.
    public var version: Int?

    /// - Parameters:
    ///   - name: the name the referencing schema uses.
    ///   - subject: the referenced subject.
    ///   - version: the referenced version.
    public init(name: String? = nil, subject: String? = nil, version: Int? = nil) {
        self.name = name
        self.subject = subject
        self.version = version
    }
}

/// `{"id": …}`: the answer to a registration.
public struct SchemaIDResponse: Sendable, Equatable, Codable {
    /// The schema's global id.
    public var id: Int

    /// - Parameter id: the schema's global id.
    public init(id: Int) { self.id = id }
}

/// `{"schema": …}`: the answer to `GET /schemas/ids/{id}`.
public struct SchemaResponse: Sendable, Equatable, Codable {
    /// The schema text.
    public var schema: String

    /// - Parameter schema: the schema text.
    public init(schema: String) { self.schema = schema }
}

/// One entry of `GET /schemas/ids/{id}/versions`.
public struct SubjectVersionReference: Sendable, Equatable, Codable {
    /// The subject using the schema.
    public var subject: String
    /// The version of that subject.
    public var version: Int

    /// - Parameters:
    ///   - subject: the subject using the schema.
    ///   - version: the version of that subject.
    public init(subject: String, version: Int) {
        self.subject = subject
        self.version = version
    }
}

/// The answer to `POST /compatibility/subjects/{subject}/versions[/{version}]`.
public struct CompatibilityCheckResponse: Sendable, Equatable, Codable {
    /// Whether the schema is compatible.
    public var isCompatible: Bool
    /// Why it is not, with `?verbose=true`.
    public var messages: [String]?

    enum CodingKeys: String, CodingKey {
        case isCompatible = "is_compatible"
        case messages
    }

    /// - Parameters:
    ///   - isCompatible: the verdict.
    ///   - messages: the reasons, when asked for.
    public init(isCompatible: Bool, messages: [String]? = nil) {
        self.isCompatible = isCompatible
        self.messages = messages
    }
}

/// `{"compatibility": …}`: the body of `PUT /config[/{subject}]` and its answer.
public struct CompatibilityUpdate: Sendable, Equatable, Codable {
    /// A compatibility level's name, e.g. `BACKWARD`.
    public var compatibility: String

    /// - Parameter compatibility: the level's name.
    public init(compatibility: String) { self.compatibility = compatibility }
}

/// `{"compatibilityLevel": …}`: the answer to `GET /config[/{subject}]` and `DELETE /config/{subject}`.
public struct CompatibilityLevelResponse: Sendable, Equatable, Codable {
    /// A compatibility level's name, e.g. `BACKWARD`.
    public var compatibilityLevel: String

    /// - Parameter compatibilityLevel: the level's name.
    public init(compatibilityLevel: String) { self.compatibilityLevel = compatibilityLevel }
}

/// `{"error_code": …, "message": …}`: every error answer.
public struct RegistryErrorResponse: Sendable, Equatable, Codable {
    /// Confluent's error code, e.g. 40401.
    public var errorCode: Int
    /// A human-readable message.
    public var message: String

    enum CodingKeys: String, CodingKey {
        case errorCode = "error_code"
        case message
    }

    /// - Parameters:
    ///   - errorCode: Confluent's error code.
    ///   - message: a human-readable message.
    public init(errorCode: Int, message: String) {
        self.errorCode = errorCode
        self.message = message
    }
}
