internal import CLibPQ
public import Logging

/// A synchronous connection to PostgreSQL over libpq.
///
/// Meant for worker threads: each thread opens and owns its connection; a connection is never
/// used from two threads at once (hence not `Sendable`). Every statement goes through
/// `PQexecParams`, so values are always sent as parameters, never spliced into SQL.
///
/// When the server goes away (restart, failover, killed backend) the connection reconnects on
/// its next use, before anything is sent: outside a transaction, each call first reads what
/// the server sent while the connection was idle (without blocking), so a session the server
/// already ended is noticed and restored, and the statement goes to the new session.
///
/// A statement is never sent twice. When the connection breaks while a statement (or a COPY)
/// is in flight, the server may have run and committed it before the answer was lost, so the
/// call throws `PostgresError.connectionLost` and the caller decides: retry only a unit of
/// work that is idempotent (e.g. keyed by a unique source position), or a whole transaction
/// whose `COMMIT` was never sent. The next call reconnects.
public final class PostgresConnection {
    /// The libpq connection; `nil` once closed. `PQreset` keeps the same pointer.
    private var handle: OpaquePointer?
    let logger: Logger
    /// Receives libpq's notices; the C callback gets it as an unretained pointer, which is
    /// safe because this object owns it and outlives the `PGconn` (freed in `deinit`/`close`).
    private let noticeSink: NoticeSink
    /// Strings that must never appear in an error message or log line (the password).
    private let secrets: [String]
    /// "host:port/database as user", for messages and logs; never includes the password.
    public let endpoint: String
    /// Nesting depth of `transaction(_:)`; while positive a broken connection is not restored.
    var transactionDepth = 0

    /// Connects to PostgreSQL.
    ///
    /// Unless the DSN says otherwise, `connect_timeout` is 10 seconds. The client encoding is
    /// always UTF-8, because results are decoded as UTF-8.
    /// - Parameters:
    ///   - dsn: A libpq connection string (`postgresql://user:pass@host:port/db?...` or
    ///     `host=... port=...`).
    ///   - logger: Receives reconnects (info) and server notices (debug).
    /// - Throws: `PostgresError.connectionFailed`, naming host, port, database and user but
    ///   never the password.
    public init(dsn: String, logger: Logger) throws {
        self.logger = logger
        self.noticeSink = NoticeSink(logger: logger)
        guard !dsn.utf8.contains(0) else {
            throw PostgresError(code: .connectionFailed, message: "invalid connection string: contains a NUL byte")
        }
        var secrets = try Self.passwords(in: dsn)
        // Keywords are processed in order and later ones win: our connect_timeout default comes
        // before the DSN so the DSN can override it; client_encoding comes after so it cannot.
        let keywords: [String?] = ["connect_timeout", "dbname", "client_encoding", nil]
        let values: [String?] = ["10", dsn, "UTF8", nil]
        let connection = withCStringArray(keywords) { keywords in
            withCStringArray(values) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        if let used = PQpass(connection).map({ String(cString: $0) }), !used.isEmpty {
            secrets.append(used)
        }
        self.secrets = secrets
        self.endpoint = Self.endpoint(of: connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.errorMessage(of: connection, redacting: secrets)
            PQfinish(connection)
            throw PostgresError(code: .connectionFailed, message: "cannot connect to \(endpoint): \(reason)")
        }
        self.handle = connection
        PQsetNoticeReceiver(connection, postgresNoticeReceiver, Unmanaged.passUnretained(noticeSink).toOpaque())
        logger.debug("connected to PostgreSQL", metadata: metadata)
    }

    deinit {
        if let handle {
            PQfinish(handle)
        }
    }

    /// Closes the connection; later calls throw `PostgresError.connectionClosed`.
    public func close() {
        if let handle {
            PQfinish(handle)
            self.handle = nil
        }
    }

    /// Runs one statement with parameters (`$1`, `$2`, ...) and returns its rows.
    /// - Parameters:
    ///   - sql: One SQL statement. Values go in `parameters`, never in this string.
    ///   - parameters: Values for `$1`, `$2`, ... in order.
    /// - Returns: The rows, copied out of libpq (the result is freed before returning).
    /// - Throws: `PostgresError` with `.queryFailed` (and the server's `sqlState`),
    ///   `.connectionLost`, `.connectionClosed` or `.invalidArgument`.
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresRows {
        guard !sql.utf8.contains(0) else {
            throw PostgresError(code: .invalidArgument, message: "SQL text contains a NUL byte")
        }
        guard parameters.count <= Int(UInt16.max) else {
            throw PostgresError(code: .invalidArgument, message: "more than 65535 parameters")
        }
        let texts = try parameters.enumerated().map { try $0.element.textEncoded(position: $0.offset + 1) }
        let types = parameters.map(\.typeOID)
        return try withUsableConnection { connection in
            try self.execute(on: connection, sql, texts, types)
        }
    }

    /// Runs one statement with parameters and returns the number of rows it affected.
    /// - Parameters:
    ///   - sql: One SQL statement. Values go in `parameters`, never in this string.
    ///   - parameters: Values for `$1`, `$2`, ... in order.
    /// - Returns: The rows inserted, updated or deleted (0 for statements without a count).
    /// - Throws: Like `query(_:_:)`.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws -> Int {
        try query(sql, parameters).affectedRows
    }

    // MARK: - Running statements

    private func execute(
        on connection: OpaquePointer,
        _ sql: String,
        _ texts: [String?],
        _ types: [UInt32]
    ) throws -> PostgresRows {
        let result = withCStringArray(texts) { values in
            PQexecParams(connection, sql, Int32(texts.count), types, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        guard let result else {
            throw failure(nil, on: connection, code: .queryFailed)
        }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return Self.rows(of: result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            abandonCopy(on: connection, status: status)
            throw PostgresError(
                code: .invalidArgument,
                message: "COPY to or from the client is only supported through copy(into:columns:rows:)"
            )
        default:
            throw failure(result, on: connection, code: .queryFailed)
        }
    }

    /// Runs `operation` once on a usable connection (restored first if it is known to be
    /// broken). Never runs it again: once sent, a statement may have committed even if its
    /// answer was lost (issue 6, defect 3: rows written twice).
    func withUsableConnection<T>(_ operation: (OpaquePointer) throws -> T) throws -> T {
        try operation(try usableConnection())
    }

    /// The open connection, restored first if it broke since the last call.
    private func usableConnection() throws -> OpaquePointer {
        guard let connection = handle else {
            throw PostgresError(code: .connectionClosed, message: "the connection to \(endpoint) was closed")
        }
        if transactionDepth == 0 && PQtransactionStatus(connection) == PQTRANS_IDLE {
            Self.readWhatArrivedWhileIdle(on: connection)
        }
        if PQstatus(connection) != CONNECTION_OK {
            guard transactionDepth == 0 else {
                throw PostgresError(
                    code: .connectionLost,
                    message: "the connection to \(endpoint) was lost inside a transaction; retry the transaction"
                )
            }
            try reconnect(connection, reason: "connection was broken")
        }
        return connection
    }

    /// Reads what the server sent while the connection was idle, so that a session the server
    /// has ended is known to be broken before the next statement is sent, which can then go to
    /// a new session safely. Never blocks: libpq keeps its socket non-blocking.
    ///
    /// A server ending a session (shutdown, `pg_terminate_backend`, idle timeout) sends an
    /// error and closes the socket: the first read takes the message, the second meets the end
    /// of the stream and marks the connection bad. A live connection just has nothing to read.
    private static func readWhatArrivedWhileIdle(on connection: OpaquePointer) {
        for _ in 0..<2 where PQstatus(connection) == CONNECTION_OK {
            if PQconsumeInput(connection) == 0 { return }
        }
    }

    private func reconnect(_ connection: OpaquePointer, reason: String) throws {
        var metadata = self.metadata
        metadata[LogKeys.reason] = "\(reason)"
        logger.info("PostgreSQL connection lost, reconnecting", metadata: metadata)
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.errorMessage(of: connection, redacting: secrets)
            metadata[LogKeys.reason] = "\(message)"
            logger.info("PostgreSQL reconnect failed", metadata: metadata)
            throw PostgresError(code: .connectionLost, message: "reconnecting to \(endpoint) failed: \(message)")
        }
        logger.info("PostgreSQL reconnected", metadata: self.metadata)
    }

    /// Whether the server reports a transaction that an earlier error aborted.
    var inFailedTransaction: Bool {
        handle.map { PQtransactionStatus($0) == PQTRANS_INERROR } ?? false
    }

    /// Ends a COPY that `query` started by accident, so the connection is usable again.
    private func abandonCopy(on connection: OpaquePointer, status: ExecStatusType) {
        if status == PGRES_COPY_IN {
            PQputCopyEnd(connection, "COPY FROM STDIN is only supported through copy(into:columns:rows:)")
        } else if status == PGRES_COPY_OUT {
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(connection, &buffer, 0) >= 0 {
                PQfreemem(buffer)
                buffer = nil
            }
        }
        drainResults(on: connection)
    }

    /// Reads and frees the remaining results of the current command.
    func drainResults(on connection: OpaquePointer) {
        while let result = PQgetResult(connection) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                break
            }
        }
    }

    /// The one place that turns a failed libpq result (or a missing one) into a Swift error.
    /// A broken connection becomes `.connectionLost`: the statement's outcome is unknown.
    func failure(_ result: OpaquePointer?, on connection: OpaquePointer, code: PostgresError.Code) -> PostgresError {
        func field(_ name: Int32) -> String? {
            guard let result, let value = PQresultErrorField(result, name) else {
                return nil
            }
            return String(cString: value)
        }
        let lost = PQstatus(connection) != CONNECTION_OK
        let primary =
            field(DiagnosticField.primaryMessage)
            ?? result.flatMap { PQresultErrorMessage($0) }.map { Self.clean(String(cString: $0)) }.flatMap {
                $0.isEmpty ? nil : $0
            }
            ?? Self.errorMessage(of: connection, redacting: secrets)
        let sqlState = field(DiagnosticField.sqlState)
        var message = Self.redact(primary, secrets)
        // Data exceptions quote the offending input ("invalid input syntax for type integer:
        // "..."), which is a parameter value; names in other classes' messages are kept.
        if sqlState?.hasPrefix("22") == true {
            message = Self.redactQuoted(message)
        }
        var error = PostgresError(
            code: lost ? .connectionLost : code,
            message: message,
            sqlState: sqlState,
            detail: field(DiagnosticField.detail)
        )
        error.serverMessage = field(DiagnosticField.primaryMessage)
        return error
    }

    // MARK: - Helpers

    private var metadata: Logger.Metadata {
        [LogKeys.endpoint: "\(endpoint)"]
    }

    /// Copies a result's values out as text.
    private static func rows(of result: OpaquePointer) -> PostgresRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var columns: [String] = []
        var types: [UInt32] = []
        for column in 0..<columnCount {
            columns.append(PQfname(result, Int32(column)).map { String(cString: $0) } ?? "?column?")
            types.append(PQftype(result, Int32(column)))
        }
        var values: [String?] = []
        values.reserveCapacity(rowCount * columnCount)
        for row in 0..<rowCount {
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) != 0 {
                    values.append(nil)
                    continue
                }
                let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length)
                values.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        return PostgresRows(
            table: PostgresRows.Table(columns: columns, typeOIDs: types, values: values),
            affectedRows: affectedRows(of: result)
        )
    }

    static func affectedRows(of result: OpaquePointer) -> Int {
        PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
    }

    /// Passwords given in the connection string; validates it on the way.
    private static func passwords(in dsn: String) throws -> [String] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(dsn, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(errorMessage)
            // libpq quotes the offending fragment of the string, which may be a password.
            throw PostgresError(
                code: .connectionFailed,
                message: "invalid connection string: \(redactQuoted(clean(reason)))"
            )
        }
        defer { PQconninfoFree(options) }
        var passwords: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val {
                let password = String(cString: value)
                if !password.isEmpty {
                    passwords.append(password)
                }
            }
            option += 1
        }
        return passwords
    }

    private static func endpoint(of connection: OpaquePointer) -> String {
        func text(_ value: UnsafeMutablePointer<CChar>?) -> String {
            value.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "?"
        }
        return "\(text(PQhost(connection))):\(text(PQport(connection)))/\(text(PQdb(connection)))"
            + " as \(text(PQuser(connection)))"
    }

    private static func errorMessage(of connection: OpaquePointer, redacting secrets: [String]) -> String {
        let message = PQerrorMessage(connection).map { clean(String(cString: $0)) } ?? ""
        return redact(message.isEmpty ? "unknown error" : message, secrets)
    }

    /// libpq messages span lines ("...\n\tIs the server running..."); make them one line.
    private static func clean(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline)
            .map { $0.trimmingPrefix(while: \.isWhitespace) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    private static func redact(_ message: String, _ secrets: [String]) -> String {
        var message = message
        for secret in secrets where !secret.isEmpty {
            message = message.split(separator: secret, omittingEmptySubsequences: false).joined(separator: "***")
        }
        return message
    }

    /// Replaces every double-quoted fragment with `"…"`.
    private static func redactQuoted(_ message: String) -> String {
        var out = ""
        var inQuotes = false
        for character in message {
            if character == "\"" {
                out += inQuotes ? "…\"" : "\""
                inQuotes.toggle()
            } else if !inQuotes {
                out.append(character)
            }
        }
        return out
    }
}

// A connection is owned by one thread at a time and libpq connections must not be used
// concurrently, so it is deliberately not Sendable (not even @unchecked).
@available(*, unavailable)
extension PostgresConnection: Sendable {}

/// Holds the logger for the notice callback (a C function cannot capture context).
private final class NoticeSink {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }
}

/// Routes server notices (warnings, `RAISE NOTICE`) to the logger instead of libpq's default
/// of printing to stderr.
private func postgresNoticeReceiver(_ context: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let context, let result else {
        return
    }
    let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
    func field(_ name: Int32) -> String {
        PQresultErrorField(result, name).map { String(cString: $0) } ?? ""
    }
    sink.logger.debug(
        "PostgreSQL notice: \(field(DiagnosticField.primaryMessage))",
        metadata: [
            LogKeys.severity: "\(field(DiagnosticField.severity))",
            LogKeys.sqlState: "\(field(DiagnosticField.sqlState))",
        ]
    )
}

/// libpq's `PG_DIAG_*` field codes are character-literal macros, which Swift does not import;
/// these are their values from `postgres_ext.h`.
enum DiagnosticField {
    static let severity = Int32(UInt8(ascii: "V"))
    static let sqlState = Int32(UInt8(ascii: "C"))
    static let primaryMessage = Int32(UInt8(ascii: "M"))
    static let detail = Int32(UInt8(ascii: "D"))
}

/// Calls `body` with a C array of C strings (`nil` entries stay NULL), all kept in one buffer
/// that lives for the duration of the call.
func withCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var storage: [CChar] = []
    var offsets: [Int?] = []
    for string in strings {
        guard let string else {
            offsets.append(nil)
            continue
        }
        offsets.append(storage.count)
        storage.append(contentsOf: string.utf8.map { CChar(bitPattern: $0) })
        storage.append(0)
    }
    return storage.withUnsafeBufferPointer { buffer in
        let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
            offset.flatMap { offset in buffer.baseAddress.map { base in base + offset } }
        }
        return pointers.withUnsafeBufferPointer { array in
            // An empty array may have no base address; libpq accepts any pointer when the count is 0.
            guard let base = array.baseAddress else {
                return withUnsafePointer(to: UnsafePointer<CChar>?.none) { body($0) }
            }
            return body(base)
        }
    }
}
