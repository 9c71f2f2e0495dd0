internal import CLibPQ

extension PostgresConnection {
    /// Bytes sent per `PQputCopyData` call.
    private static let copyChunkSize = 64 * 1024

    /// Bulk-inserts rows with `COPY table (columns) FROM STDIN` in text format.
    ///
    /// Runs as one statement: either all rows are inserted or none. A COPY whose connection
    /// breaks is not sent again (it may have committed before the answer was lost): it throws
    /// `.connectionLost`, and the caller retries only if the rows are written idempotently.
    /// - Parameters:
    ///   - table: The table, `name` or `schema.name`; each part is quoted, so it is taken
    ///     literally (case-sensitive, no SQL).
    ///   - columns: Column names, quoted the same way.
    ///   - rows: One array of values per row, in `columns` order.
    /// - Returns: The number of rows copied.
    /// - Throws: `PostgresError` with `.copyFailed` (and `sqlState`, e.g. `23505`),
    ///   `.invalidArgument` (a row with the wrong number of values, text with a NUL byte),
    ///   `.connectionLost` or `.connectionClosed`.
    @discardableResult
    public func copy(into table: String, columns: [String], rows: [[PostgresValue]]) throws -> Int {
        let sql = try CopyText.statement(table: table, columns: columns)
        for (index, row) in rows.enumerated() where row.count != columns.count {
            throw PostgresError(
                code: .invalidArgument,
                message: "row \(index + 1) has \(row.count) values for \(columns.count) columns"
            )
        }
        return try withUsableConnection { connection in
            try copyOnce(on: connection, sql, rows)
        }
    }

    private func copyOnce(on connection: OpaquePointer, _ sql: String, _ rows: [[PostgresValue]]) throws -> Int {
        let start = PQexecParams(connection, sql, 0, nil, nil, nil, nil, 0)
        guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
            let error = failure(start, on: connection, code: .copyFailed)
            PQclear(start)
            throw error
        }
        PQclear(start)

        // A client-side problem (bad value) aborts the COPY; a failed send usually means the
        // server already reported an error, which the results below carry.
        var clientError: PostgresError?
        var sendFailed = false
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.copyChunkSize + 4096)
        do {
            for (index, row) in rows.enumerated() {
                try CopyText.appendRow(row, rowNumber: index + 1, to: &buffer)
                if buffer.count >= Self.copyChunkSize {
                    guard send(buffer, on: connection) else {
                        sendFailed = true
                        break
                    }
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            if !sendFailed, !buffer.isEmpty {
                sendFailed = !send(buffer, on: connection)
            }
        } catch let error as PostgresError {
            clientError = error
        }
        if !sendFailed {
            PQputCopyEnd(connection, clientError == nil ? nil : "COPY aborted by the client")
        }

        var serverError: PostgresError?
        var copied = 0
        while let result = PQgetResult(connection) {
            let status = PQresultStatus(result)
            if status == PGRES_COMMAND_OK {
                copied = Self.affectedRows(of: result)
            } else if serverError == nil {
                serverError = failure(result, on: connection, code: .copyFailed)
            }
            PQclear(result)
            if status == PGRES_COPY_IN {
                // Could not end the COPY (connection trouble): stop rather than loop forever.
                break
            }
        }
        if let clientError {
            throw clientError
        }
        if var serverError {
            // The server's own farewell (e.g. a terminated backend) arrives as an ordinary error
            // just before the connection closes; report it as the lost connection it is.
            if PQstatus(connection) != CONNECTION_OK { serverError.code = .connectionLost }
            throw serverError
        }
        if sendFailed {
            throw failure(nil, on: connection, code: .copyFailed)
        }
        return copied
    }

    private func send(_ buffer: [UInt8], on connection: OpaquePointer) -> Bool {
        buffer.withUnsafeBytes { bytes in
            PQputCopyData(connection, bytes.bindMemory(to: CChar.self).baseAddress, Int32(bytes.count)) == 1
        }
    }
}
