/// A failure of the FastCGI server itself (socket, libfcgi), never of one request.
public struct FastCGIError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure; static members so new codes don't break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// The listen address could not be parsed.
        public static let invalidAddress = Code(name: "invalidAddress")
        /// socket/bind/listen failed.
        public static let listenFailed = Code(name: "listenFailed")
        /// libfcgi could not be initialised.
        public static let libraryFailed = Code(name: "libraryFailed")
        /// A worker process could not be started.
        public static let spawnFailed = Code(name: "spawnFailed")
        /// The listener's access settings (socket mode, group, allowed peers) are invalid or missing.
        public static let invalidAccess = Code(name: "invalidAccess")
        /// A system call failed (threads, signals).
        public static let systemCallFailed = Code(name: "systemCallFailed")
    }

    public let code: Code
    public let message: String
    public let file: String
    public let line: Int

    init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}
