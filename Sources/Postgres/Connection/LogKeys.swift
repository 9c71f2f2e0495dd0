/// Logger metadata keys used by this module, kept in one place so they stay consistent.
enum LogKeys {
    static let host = "postgres.host"
    static let port = "postgres.port"
    static let database = "postgres.database"
    static let user = "postgres.user"
    static let reason = "postgres.reason"
    static let sqlState = "postgres.sqlstate"
    static let severity = "postgres.severity"
}
