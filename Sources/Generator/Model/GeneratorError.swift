/// Why the generator cannot start or had to stop, in one line for an operator.
public struct GeneratorError: Error, CustomStringConvertible {
    /// What kind of failure; static members so new ones don't break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }
        /// A setting is wrong (bad URL, missing file).
        public static let configuration = Code("configuration")
        /// The schema registry could not be reached or refused the schema.
        public static let registry = Code("registry")
        /// The Kafka brokers could not be reached or do not know the topic.
        public static let kafka = Code("kafka")
        /// The geolocation database or the zone table could not be opened.
        public static let places = Code("places")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
