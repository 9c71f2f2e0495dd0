import Avro
public import Logging
public import SchemaRegistry

/// The registry's behaviour, independent of HTTP: schema parsing, identity, compatibility.
public struct RegistryService {
    private let store: any RegistryStore
    private let logger: Logger

    /// - Parameters:
    ///   - store: where subjects and schemas live.
    ///   - logger: store failures are logged here (never schema contents at info level).
    public init(store: any RegistryStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Parses a submitted schema; only Avro is supported.
    /// - Throws: `RegistryError` 42201 for anything that is not a valid Avro schema.
    func parse(_ text: String, type: String?, hasReferences: Bool) throws -> AvroSchema {
        if let type, type.uppercased() != "AVRO" {
            throw RegistryError.invalidSchema("schemaType \(type) is not supported; this registry stores AVRO only")
        }
        if hasReferences { throw RegistryError.invalidSchema("schema references are not supported") }
        do {
            return try AvroSchema(parsing: text)
        } catch {
            throw RegistryError.invalidSchema("\(error)")
        }
    }

    /// Runs a store operation, turning storage failures into a generic 500.
    func storage<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RegistryError {
            throw error
        } catch {
            logger.error("registry store failed", metadata: ["error": "\(error)"])
            throw RegistryError.storeFailed()
        }
    }

    /// The level in force for a subject: its own, else the global one, else BACKWARD.
    func effectiveLevel(subject: String) throws -> CompatibilityLevel {
        try storage { try store.compatibility(subject: subject) ?? store.compatibility(subject: nil) ?? .default }
    }

    /// Registers a schema under a subject; the same schema again returns the same id.
    /// - Throws: 42201 for an invalid schema, 409 when incompatible under the subject's level.
    public func register(subject: String, schema text: String, type: String?, hasReferences: Bool) throws -> Int {
        let schema = try parse(text, type: type, hasReferences: hasReferences)
        let level = try effectiveLevel(subject: subject)
        let version = try storage {
            try store.register(subject: subject, schema: text, normalized: schema.normalizedJSON) { existing in
                let parsed = existing.compactMap { try? AvroSchema(parsing: $0.schema) }
                let problems = level.problems(registering: schema, against: parsed)
                if !problems.isEmpty { throw RegistryError.incompatible(problems) }
            }
        }
        return version.id
    }

    /// Finds the version of `subject` holding this schema.
    /// - Throws: 40401 for an unknown subject, 40403 when the schema is not under it.
    public func lookup(
        subject: String,
        schema text: String,
        type: String?,
        hasReferences: Bool
    ) throws
        -> SubjectVersion
    {
        let schema = try parse(text, type: type, hasReferences: hasReferences)
        if try storage({ try store.versions(of: subject) }).isEmpty { throw RegistryError.subjectNotFound(subject) }
        guard let found = try storage({ try store.find(subject: subject, normalized: schema.normalizedJSON) }) else {
            throw RegistryError.schemaNotFound()
        }
        return found
    }

    /// The schema with a global id.
    /// - Throws: 40403 when no schema has that id.
    public func schema(id: Int) throws -> StoredSchema {
        guard let found = try storage({ try store.schema(id: id) }) else {
            throw RegistryError.schemaNotFound("Schema \(id) not found")
        }
        return found
    }

    /// Where the schema with `id` is used.
    public func usages(ofSchema id: Int) throws -> [(subject: String, version: Int)] {
        _ = try schema(id: id)
        return try storage { try store.subjectVersions(usingSchema: id) }
    }

    /// All subjects.
    public func subjects() throws -> [String] { try storage { try store.subjects() } }

    /// The version numbers of a subject.
    /// - Throws: 40401 for an unknown subject.
    public func versions(of subject: String) throws -> [Int] {
        let versions = try storage { try store.versions(of: subject) }
        if versions.isEmpty { throw RegistryError.subjectNotFound(subject) }
        return versions.map(\.version)
    }

    /// One version of a subject, `nil` meaning the latest.
    /// - Throws: 40401 for an unknown subject, 40402 for an unknown version.
    public func version(of subject: String, _ number: Int?) throws -> SubjectVersion {
        let versions = try storage { try store.versions(of: subject) }
        if versions.isEmpty { throw RegistryError.subjectNotFound(subject) }
        guard let number else { return versions[versions.count - 1] }
        guard let found = versions.first(where: { $0.version == number }) else {
            throw RegistryError.versionNotFound(subject)
        }
        return found
    }

    /// Tests a schema against one version (or, with `nil`, the versions the level names).
    /// - Returns: the reasons it is incompatible; empty when compatible.
    public func check(
        subject: String,
        version number: Int?,
        all: Bool,
        schema text: String,
        type: String?
    )
        throws -> [String]
    {
        let schema = try parse(text, type: type, hasReferences: false)
        let level = try effectiveLevel(subject: subject)
        let versions = try storage { try store.versions(of: subject) }
        if versions.isEmpty { throw RegistryError.subjectNotFound(subject) }
        let targets: [SubjectVersion]
        if all {
            targets = versions
        } else {
            targets = [try version(of: subject, number)]
        }
        let parsed = targets.compactMap { try? AvroSchema(parsing: $0.schema) }
        // Against a single chosen version the transitive levels act like their plain forms.
        return level.problems(registering: schema, against: parsed)
    }

    /// The level set for a subject (or globally); nil when the subject has none of its own.
    public func compatibility(subject: String?) throws -> CompatibilityLevel? {
        try storage { try store.compatibility(subject: subject) }
    }

    /// The global level, defaulting to BACKWARD.
    public func globalCompatibility() throws -> CompatibilityLevel {
        try storage { try store.compatibility(subject: nil) } ?? .default
    }

    /// Sets a subject's or the global level.
    public func setCompatibility(_ level: CompatibilityLevel, subject: String?) throws {
        try storage { try store.setCompatibility(level, subject: subject) }
    }

    /// Removes a subject's own level.
    /// - Throws: 40408 when it had none.
    public func deleteCompatibility(subject: String) throws -> CompatibilityLevel {
        guard let removed = try storage({ try store.deleteCompatibility(subject: subject) }) else {
            throw RegistryError.subjectLevelConfigNotFound(subject)
        }
        return removed
    }
}
