public import SchemaRegistry

/// A schema as the registry stores it.
public struct StoredSchema: Sendable, Equatable {
    /// The global schema id, never reused.
    public let id: Int
    /// The schema text as first registered.
    public let schema: String
}

/// Where the registry keeps subjects, versions, schemas and configs.
///
/// Implementations must make `register` atomic per subject: two concurrent registrations
/// of different schemas under one subject get different versions, and of the same
/// schema the same id.
public protocol RegistryStore {
    /// The schema with this global id.
    func schema(id: Int) throws -> StoredSchema?
    /// The (subject, version) pairs using schema `id`.
    func subjectVersions(usingSchema id: Int) throws -> [(subject: String, version: Int)]
    /// All subjects with at least one version, sorted.
    func subjects() throws -> [String]
    /// The subject's versions, ascending; empty when the subject is unknown.
    func versions(of subject: String) throws -> [SubjectVersion]
    /// The version of `subject` whose normalized schema equals `normalized`.
    func find(subject: String, normalized: String) throws -> SubjectVersion?
    /// Registers the schema under the subject unless already there.
    /// - Parameters:
    ///   - subject: the subject.
    ///   - schema: the schema text to store.
    ///   - normalized: the schema's normalized form, which decides identity.
    ///   - check: called with the subject's existing versions (oldest first) inside the
    ///     registration's lock; throws to refuse the registration.
    /// - Returns: the version, new or existing.
    func register(
        subject: String,
        schema: String,
        normalized: String,
        check: ([SubjectVersion]) throws -> Void
    ) throws -> SubjectVersion
    /// The compatibility level set for a subject, or globally when `subject` is nil.
    func compatibility(subject: String?) throws -> CompatibilityLevel?
    /// Sets the level for a subject, or globally when `subject` is nil.
    func setCompatibility(_ level: CompatibilityLevel, subject: String?) throws
    /// Removes a subject-level setting; returns the removed level.
    func deleteCompatibility(subject: String) throws -> CompatibilityLevel?
}
