/// One version of a subject, as `GET /subjects/{subject}/versions/{version}` describes it.
public struct SubjectVersion: Sendable, Equatable, Codable {
    /// The subject's name.
    public let subject: String
    /// The version number within the subject, from 1.
    public let version: Int
    /// The schema's global id.
    public let id: Int
    /// The schema text.
    public let schema: String

    /// - Parameters:
    ///   - subject: the subject's name.
    ///   - version: the version number within the subject.
    ///   - id: the schema's global id.
    ///   - schema: the schema text.
    public init(subject: String, version: Int, id: Int, schema: String) {
        self.subject = subject
        self.version = version
        self.id = id
        self.schema = schema
    }
}
