/// A geolocation data file could not be used.
///
/// The message names the file, never a client address.
public struct GeolocationError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure; static members so new codes don't break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// The file does not exist or cannot be read.
        public static let databaseMissing = Code(name: "databaseMissing")
        /// The file exists but its contents are not what was expected (corrupt, wrong format).
        public static let databaseInvalid = Code(name: "databaseInvalid")
    }

    public let code: Code
    public let message: String
    /// The file concerned.
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
