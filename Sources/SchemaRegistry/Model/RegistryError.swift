/// An error in the Confluent Schema Registry shape: an HTTP status plus `error_code` and `message`.
///
/// The same type serves the server (what to answer) and the client (what a registry answered).
public struct RegistryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The HTTP status.
    public let status: Int
    /// Confluent's error code, e.g. 40401.
    public let errorCode: Int
    /// A human-readable message.
    public let message: String
    /// How long the registry asked the client to wait (its `Retry-After` header), when it did.
    public let retryAfter: Duration?

    /// - Parameters:
    ///   - status: HTTP status.
    ///   - errorCode: Confluent error code.
    ///   - message: human-readable explanation.
    ///   - retryAfter: the wait the answer's `Retry-After` asked for, if any.
    public init(status: Int, errorCode: Int, message: String, retryAfter: Duration? = nil) {
        self.status = status
        self.errorCode = errorCode
        self.message = message
        self.retryAfter = retryAfter
    }

    /// Whether the same request may succeed later without anything changing on the client's
    /// side: the server failed or was overloaded (5xx, 429) or timed the request out (408).
    /// Every other answer (409 incompatible, 422 invalid, 401, 404…) is final.
    public var isTransient: Bool {
        (500...599).contains(status) || status == 408 || status == 429
    }

    public var description: String { "schema registry error \(errorCode): \(message)" }
}
