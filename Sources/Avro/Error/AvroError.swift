/// An error raised while parsing an Avro schema, encoding or decoding a value, or reading the
/// Confluent wire format.
///
/// Messages name the schema element or byte offset involved but never echo decoded data, so
/// they are safe to log.
public struct AvroError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. New codes may be added, so switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The input is not well-formed JSON.
        public static let invalidJSON = Code("invalidJSON")
        /// The JSON is well-formed but is not a valid Avro schema.
        public static let invalidSchema = Code("invalidSchema")
        /// A value does not match the schema it is being encoded with.
        public static let encoding = Code("encoding")
        /// Binary data is malformed or does not match the schema it is being decoded with.
        public static let decoding = Code("decoding")
        /// Bytes are not a valid Confluent wire-format frame.
        public static let wireFormat = Code("wireFormat")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation saying what went wrong and where.
    public var message: String
    /// The source file that raised the error, for debugging.
    public var fileID: String
    /// The source line that raised the error, for debugging.
    public var line: Int

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: A human-readable explanation.
    ///   - fileID: The raising source file, filled in automatically.
    ///   - line: The raising source line, filled in automatically.
    public init(_ code: Code, _ message: String, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.fileID = fileID
        self.line = line
    }

    public var description: String { "Avro \(code) error: \(message)" }
}
