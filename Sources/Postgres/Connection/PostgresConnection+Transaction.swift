extension PostgresConnection {
    /// Runs `body` inside a transaction: `BEGIN`, then `COMMIT` if it returns, `ROLLBACK` if it
    /// throws (the error is rethrown). Nested calls use savepoints.
    ///
    /// If the connection breaks inside, statements throw `PostgresError.connectionLost` and
    /// nothing is retried: run the whole transaction again (the connection reconnects on the
    /// next call). If `COMMIT` itself loses the connection, whether it committed is unknown.
    /// - Parameter body: The work; it receives this connection.
    /// - Returns: What `body` returned.
    /// - Throws: What `body` threw, a `PostgresError` from `BEGIN`/`COMMIT`, or
    ///   `.transactionAborted` if a statement failed and `body` caught the error (PostgreSQL
    ///   would silently turn the `COMMIT` into a `ROLLBACK`).
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let savepoint = transactionDepth == 0 ? nil : "button_savepoint_\(transactionDepth)"
        try execute(savepoint.map { "SAVEPOINT \($0)" } ?? "BEGIN")
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        let value: T
        do {
            value = try body(self)
        } catch {
            rollBack(to: savepoint)
            throw error
        }
        if inFailedTransaction {
            rollBack(to: savepoint)
            throw PostgresError(
                code: .transactionAborted,
                message: "a statement in the transaction failed and its error was caught; rolled back"
            )
        }
        do {
            try execute(savepoint.map { "RELEASE SAVEPOINT \($0)" } ?? "COMMIT")
        } catch {
            rollBack(to: savepoint)
            throw error
        }
        return value
    }

    /// Best effort: the caller is already throwing the error that matters, and a lost
    /// connection has rolled back on the server anyway.
    private func rollBack(to savepoint: String?) {
        do {
            try execute(savepoint.map { "ROLLBACK TO SAVEPOINT \($0)" } ?? "ROLLBACK")
        } catch {
            logger.debug("PostgreSQL rollback failed", metadata: [LogKeys.error: "\(error)"])
        }
    }
}
