/// The registry could not be reached or answered something unreadable; or the client was given
/// a URL it cannot use. Never holds the credentials of the URL.
public struct RegistryClientError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. New kinds are added as static members, which does not break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) { self.name = name }

        public var description: String { name }

        /// The URL is not `http(s)://[user:password@]host[:port]`.
        public static let invalidURL = Code("invalidURL")
        /// No answer: connection refused or reset, name not resolved, timed out. May pass.
        public static let unreachable = Code("unreachable")
        /// A 2xx answer whose body is not what the API promises.
        public static let unexpectedAnswer = Code("unexpectedAnswer")
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, naming the registry's URL without credentials.
    public let message: String

    /// - Parameters:
    ///   - code: the kind of failure.
    ///   - message: what went wrong, without credentials.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
