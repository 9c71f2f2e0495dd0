/// An error from the PostgreSQL wrapper.
///
/// The `description` names the kind of failure, the SQLSTATE and the server's primary message,
/// but never a parameter value, a row value or a password: those may be user data or secrets.
/// The server's `detail` (which often quotes the offending values, e.g. a duplicate key) is kept
/// in its own property, out of `description`, for callers that know it is safe to show.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. New kinds are added as static members, which does not break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        public var description: String { name }

        /// The connection could not be established (bad connection string, server unreachable,
        /// authentication failed).
        public static let connectionFailed = Code("connectionFailed")
        /// The connection broke, or could not be restored for this statement. If it broke while
        /// the statement was in flight, the server may have run (and, outside a transaction,
        /// committed) it: the statement is not retried, so retry only idempotent work or a whole
        /// transaction. The connection reconnects on its next use.
        public static let connectionLost = Code("connectionLost")
        /// The connection was closed with `close()`.
        public static let connectionClosed = Code("connectionClosed")
        /// The server rejected a statement; see `sqlState`.
        public static let queryFailed = Code("queryFailed")
        /// A `COPY ... FROM STDIN` failed; see `sqlState`.
        public static let copyFailed = Code("copyFailed")
        /// A result value could not be read as the requested type, or was NULL.
        public static let decoding = Code("decoding")
        /// The caller passed something that cannot be sent (e.g. text containing a NUL byte).
        public static let invalidArgument = Code("invalidArgument")
        /// The transaction was aborted by an earlier error that the body caught; it was rolled back.
        public static let transactionAborted = Code("transactionAborted")
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, without parameter values.
    public var message: String
    /// The SQLSTATE the server sent, e.g. `23505` for `unique_violation`.
    public var sqlState: String?
    /// The server's detail message. It may quote user data, so it is not part of `description`.
    public var detail: String?
    /// The server's primary message as sent. For data exceptions (SQLSTATE class 22) it quotes
    /// the rejected value, so `message` has it redacted and only this property keeps it.
    public var serverMessage: String?
    /// Where the error was thrown.
    public var file: String
    /// Where the error was thrown.
    public var line: Int

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: A message free of user data.
    ///   - sqlState: The server's SQLSTATE, if any.
    ///   - detail: The server's detail message, if any.
    public init(
        code: Code,
        message: String,
        sqlState: String? = nil,
        detail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.file = file
        self.line = line
    }

    /// `true` when the server reported `unique_violation` (SQLSTATE 23505).
    public var isUniqueViolation: Bool { sqlState == "23505" }

    public var description: String {
        var text = "PostgresError.\(code)"
        if let sqlState {
            text += " [\(sqlState)]"
        }
        text += ": \(message) (\(file):\(line))"
        return text
    }
}
