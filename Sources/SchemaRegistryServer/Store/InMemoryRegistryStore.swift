public import SchemaRegistry

/// A registry store in memory, for unit tests and throwaway runs; not shared across processes.
public final class InMemoryRegistryStore: RegistryStore {
    private var schemasByID: [Int: (schema: String, normalized: String)] = [:]
    private var subjectVersionsByName: [String: [SubjectVersion]] = [:]
    private var levels: [String: CompatibilityLevel] = [:]
    private var nextID = 1
    private let globalKey = "\u{0}global"

    public init() {}

    public func schema(id: Int) throws -> StoredSchema? {
        schemasByID[id].map { StoredSchema(id: id, schema: $0.schema) }
    }

    public func subjectVersions(usingSchema id: Int) throws -> [(subject: String, version: Int)] {
        subjectVersionsByName.values.flatMap { $0 }.filter { $0.id == id }
            .sorted { ($0.subject, $0.version) < ($1.subject, $1.version) }
            .map { (subject: $0.subject, version: $0.version) }
    }

    public func subjects() throws -> [String] { subjectVersionsByName.keys.sorted() }

    public func versions(of subject: String) throws -> [SubjectVersion] { subjectVersionsByName[subject] ?? [] }

    public func find(subject: String, normalized: String) throws -> SubjectVersion? {
        subjectVersionsByName[subject]?.first { schemasByID[$0.id]?.normalized == normalized }
    }

    public func register(
        subject: String,
        schema: String,
        normalized: String,
        check: ([SubjectVersion]) throws -> Void
    ) throws -> SubjectVersion {
        if let existing = try find(subject: subject, normalized: normalized) { return existing }
        let existing = subjectVersionsByName[subject] ?? []
        try check(existing)
        let id: Int
        if let known = schemasByID.first(where: { $0.value.normalized == normalized })?.key {
            id = known
        } else {
            id = nextID
            nextID += 1
            schemasByID[id] = (schema, normalized)
        }
        let version = SubjectVersion(
            subject: subject,
            version: (existing.last?.version ?? 0) + 1,
            id: id,
            schema: schemasByID[id]?.schema ?? schema
        )
        subjectVersionsByName[subject, default: []].append(version)
        return version
    }

    public func compatibility(subject: String?) throws -> CompatibilityLevel? { levels[subject ?? globalKey] }

    public func setCompatibility(_ level: CompatibilityLevel, subject: String?) throws {
        levels[subject ?? globalKey] = level
    }

    public func deleteCompatibility(subject: String) throws -> CompatibilityLevel? {
        levels.removeValue(forKey: subject)
    }
}
