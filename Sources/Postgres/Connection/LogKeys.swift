/// Logger metadata keys used by this module, kept in one place so they stay consistent.
enum LogKeys {
    /// `host:port/database as user`; never the password.
    static let endpoint = "postgres.endpoint"
    static let reason = "postgres.reason"
    static let error = "postgres.error"
    static let sqlState = "postgres.sqlstate"
    static let severity = "postgres.severity"
}
