public import Postgres
public import SchemaRegistry

/// The registry's storage in PostgreSQL; survives restarts, shared by all registry workers.
///
/// Ids come from a sequence, so they are never reused, even after a failed registration.
/// Registrations under one subject are serialized with a transaction-scoped advisory lock.
public final class PostgresRegistryStore: RegistryStore {
    private let connection: PostgresConnection

    /// - Parameter connection: a connection owned by the calling thread.
    public init(connection: PostgresConnection) { self.connection = connection }

    /// Creates the tables if needed; safe to run from several processes at once.
    /// - Throws: `PostgresError` when the database refuses.
    public static func migrate(_ connection: PostgresConnection) throws {
        try connection.transaction { db in
            _ = try db.query("SELECT pg_advisory_xact_lock(7310001)")
            try db.execute(
                """
                CREATE TABLE IF NOT EXISTS registry_schemas (
                    id integer PRIMARY KEY,
                    schema_type text NOT NULL DEFAULT 'AVRO',
                    schema text NOT NULL,
                    normalized text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now())
                """
            )
            // md5: a btree entry can't hold a large schema's text.
            try db.execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS registry_schemas_normalized ON registry_schemas (md5(normalized))"
            )
            try db.execute("CREATE SEQUENCE IF NOT EXISTS registry_schema_ids")
            try db.execute(
                """
                CREATE TABLE IF NOT EXISTS registry_subject_versions (
                    subject text NOT NULL,
                    version integer NOT NULL,
                    schema_id integer NOT NULL REFERENCES registry_schemas (id),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (subject, version),
                    UNIQUE (subject, schema_id))
                """
            )
            // subject '' holds the global setting (the API has no empty subject).
            try db.execute(
                "CREATE TABLE IF NOT EXISTS registry_config (subject text PRIMARY KEY, compatibility text NOT NULL)"
            )
        }
    }

    public func schema(id: Int) throws -> StoredSchema? {
        let rows = try connection.query("SELECT schema FROM registry_schemas WHERE id = $1", [.int(id)])
        guard let row = rows.first else { return nil }
        return StoredSchema(id: id, schema: try row.string("schema"))
    }

    public func subjectVersions(usingSchema id: Int) throws -> [(subject: String, version: Int)] {
        try connection.query(
            "SELECT subject, version FROM registry_subject_versions WHERE schema_id = $1 ORDER BY subject, version",
            [.int(id)]
        ).map { (subject: try $0.string("subject"), version: try $0.int("version")) }
    }

    public func subjects() throws -> [String] {
        try connection.query("SELECT DISTINCT subject FROM registry_subject_versions ORDER BY subject")
            .map { try $0.string("subject") }
    }

    public func versions(of subject: String) throws -> [SubjectVersion] {
        try Self.versions(of: subject, on: connection)
    }

    private static func versions(of subject: String, on db: PostgresConnection) throws -> [SubjectVersion] {
        try db.query(
            """
            SELECT v.version, v.schema_id, s.schema FROM registry_subject_versions v
            JOIN registry_schemas s ON s.id = v.schema_id WHERE v.subject = $1 ORDER BY v.version
            """,
            [.text(subject)]
        ).map {
            SubjectVersion(
                subject: subject,
                version: try $0.int("version"),
                id: try $0.int("schema_id"),
                schema: try $0.string("schema")
            )
        }
    }

    public func find(subject: String, normalized: String) throws -> SubjectVersion? {
        try Self.find(subject: subject, normalized: normalized, on: connection)
    }

    private static func find(
        subject: String,
        normalized: String,
        on db: PostgresConnection
    ) throws
        -> SubjectVersion?
    {
        let rows = try db.query(
            """
            SELECT v.version, v.schema_id, s.schema FROM registry_subject_versions v
            JOIN registry_schemas s ON s.id = v.schema_id
            WHERE v.subject = $1 AND md5(s.normalized) = md5($2) AND s.normalized = $2
            """,
            [.text(subject), .text(normalized)]
        )
        guard let row = rows.first else { return nil }
        return SubjectVersion(
            subject: subject,
            version: try row.int("version"),
            id: try row.int("schema_id"),
            schema: try row.string("schema")
        )
    }

    public func register(
        subject: String,
        schema: String,
        normalized: String,
        check: ([SubjectVersion]) throws -> Void
    ) throws -> SubjectVersion {
        try connection.transaction { db in
            _ = try db.query("SELECT pg_advisory_xact_lock(hashtext('registry-subject:' || $1))", [.text(subject)])
            if let existing = try Self.find(subject: subject, normalized: normalized, on: db) { return existing }
            let versions = try Self.versions(of: subject, on: db)
            try check(versions)
            // Another subject may register the same schema concurrently: insert-or-ignore, then read.
            _ = try db.query(
                """
                INSERT INTO registry_schemas (id, schema, normalized)
                SELECT nextval('registry_schema_ids'), $1, $2
                WHERE NOT EXISTS (SELECT 1 FROM registry_schemas WHERE md5(normalized) = md5($2))
                ON CONFLICT DO NOTHING
                """,
                [.text(schema), .text(normalized)]
            )
            let rows = try db.query(
                "SELECT id, schema FROM registry_schemas WHERE md5(normalized) = md5($1) AND normalized = $1",
                [.text(normalized)]
            )
            guard let row = rows.first else {
                throw PostgresRegistryStoreError(message: "schema row vanished during registration")
            }
            let id = try row.int("id")
            let version = (versions.last?.version ?? 0) + 1
            try db.execute(
                "INSERT INTO registry_subject_versions (subject, version, schema_id) VALUES ($1, $2, $3)",
                [.text(subject), .int(version), .int(id)]
            )
            return SubjectVersion(subject: subject, version: version, id: id, schema: try row.string("schema"))
        }
    }

    public func compatibility(subject: String?) throws -> CompatibilityLevel? {
        let rows = try connection.query(
            "SELECT compatibility FROM registry_config WHERE subject = $1",
            [.text(subject ?? "")]
        )
        guard let row = rows.first else { return nil }
        return CompatibilityLevel(rawValue: try row.string("compatibility"))
    }

    public func setCompatibility(_ level: CompatibilityLevel, subject: String?) throws {
        try connection.execute(
            """
            INSERT INTO registry_config (subject, compatibility) VALUES ($1, $2)
            ON CONFLICT (subject) DO UPDATE SET compatibility = EXCLUDED.compatibility
            """,
            [.text(subject ?? ""), .text(level.rawValue)]
        )
    }

    public func deleteCompatibility(subject: String) throws -> CompatibilityLevel? {
        let rows = try connection.query(
            "DELETE FROM registry_config WHERE subject = $1 RETURNING compatibility",
            [.text(subject)]
        )
        guard let row = rows.first else { return nil }
        return CompatibilityLevel(rawValue: try row.string("compatibility"))
    }
}

/// An inconsistency the database should have prevented.
struct PostgresRegistryStoreError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
