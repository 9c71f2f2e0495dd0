/// A failure to open or query a MaxMind DB (`.mmdb`) file.
///
/// Messages name the database path but never the address that was looked up: addresses are
/// client data and must not reach logs or error messages.
public struct MaxMindDBError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure; static members so new codes don't break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// The database file does not exist or cannot be read.
        public static let openFailed = Code(name: "openFailed")
        /// The file is not a valid MaxMind DB.
        public static let invalidDatabase = Code(name: "invalidDatabase")
        /// The string given to a lookup is not an IPv4 or IPv6 address.
        public static let invalidAddress = Code(name: "invalidAddress")
        /// libmaxminddb reported an error while searching or decoding (a corrupt data section,
        /// or an IPv6 lookup in an IPv4-only database).
        public static let lookupFailed = Code(name: "lookupFailed")
    }

    public let code: Code
    public let message: String
    /// The database file concerned.
    public let path: String
    public let file: String
    public let line: Int

    init(_ code: Code, _ message: String, path: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.path = path
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}
