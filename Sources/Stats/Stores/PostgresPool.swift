import Foundation
public import Logging
public import Postgres

/// A few PostgreSQL connections shared by a worker's panel loads.
///
/// A load borrows a connection, runs its statements and gives it back. At most `limit` are
/// open at once: when PostgreSQL hangs, loads stuck on it hold their connections, and later
/// loads fail at once as `.busy` instead of piling up threads and connections.
public final class PostgresPool: @unchecked Sendable {
    private let dsn: String
    private let timeout: Duration
    private let limit: Int
    private let logger: Logger
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var open = 0

    /// - Parameters:
    ///   - dsn: libpq connection string.
    ///   - timeout: connect timeout and each statement's `statement_timeout`.
    ///   - limit: connections open at most.
    ///   - logger: reconnects and notices.
    public init(dsn: String, timeout: Duration, limit: Int = 8, logger: Logger) {
        self.dsn = Self.withConnectTimeout(dsn, seconds: max(1, Int(timeout.seconds.rounded(.up))))
        self.timeout = timeout
        self.limit = limit
        self.logger = logger
    }

    /// Adds `connect_timeout` to a DSN unless it names one (URL or keyword form).
    static func withConnectTimeout(_ dsn: String, seconds: Int) -> String {
        guard !dsn.contains("connect_timeout") else { return dsn }
        if dsn.hasPrefix("postgres://") || dsn.hasPrefix("postgresql://") {
            return dsn + (dsn.contains("?") ? "&" : "?") + "connect_timeout=\(seconds)"
        }
        return dsn + " connect_timeout=\(seconds)"
    }

    /// Runs `body` with a connection; a connection that failed is closed, not reused.
    /// - Throws: `StoreError` (.busy when `limit` connections are in use, .unavailable,
    ///   .timedOut, .failed) or what `body` throws.
    public func with<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try borrow()
        do {
            let result = try body(connection)
            giveBack(connection)
            return result
        } catch let error as PostgresError {
            discard(connection)
            let lost: [PostgresError.Code] = [.connectionLost, .connectionFailed, .connectionClosed]
            // 57014 is query_canceled: our statement_timeout fired.
            let kind: StoreError.Kind =
                lost.contains(error.code) ? .unavailable : error.sqlState == "57014" ? .timedOut : .failed
            throw StoreError(kind, store: .postgres, "\(error)")
        } catch {
            discard(connection)
            throw error
        }
    }

    private func borrow() throws(StoreError) -> PostgresConnection {
        let reused: PostgresConnection? = lock.withLock {
            if let connection = idle.popLast() { return connection }
            return nil
        }
        if let reused { return reused }
        let allowed = lock.withLock {
            guard open < limit else { return false }
            open += 1
            return true
        }
        guard allowed else { throw StoreError(.busy, store: .postgres, "all \(limit) connections are in use") }
        do {
            let connection = try PostgresConnection(dsn: dsn, logger: logger)
            try connection.execute("SET statement_timeout = \(Int(timeout.seconds * 1000))")
            try connection.execute("SET default_transaction_read_only = on")
            return connection
        } catch {
            lock.withLock { open -= 1 }
            throw StoreError(.unavailable, store: .postgres, "\(error)")
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        lock.withLock { idle.append(connection) }
    }

    private func discard(_ connection: PostgresConnection) {
        connection.close()
        lock.withLock { open -= 1 }
    }
}
