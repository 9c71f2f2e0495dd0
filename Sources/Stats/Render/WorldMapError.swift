/// The world map's shapes file (static/vendor/world-110m.json) could not be used.
///
/// The message names the file and says how to install it again.
public struct WorldMapError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure; static members so new codes don't break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// The file does not exist or cannot be read.
        public static let fileMissing = Code(name: "fileMissing")
        /// The file is not a map written by scripts/fetch-map (truncated, edited, another format).
        public static let fileInvalid = Code(name: "fileInvalid")
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
