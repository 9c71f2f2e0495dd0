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

    /// - Parameters:
    ///   - status: HTTP status.
    ///   - errorCode: Confluent error code.
    ///   - message: human-readable explanation.
    public init(status: Int, errorCode: Int, message: String) {
        self.status = status
        self.errorCode = errorCode
        self.message = message
    }

    public var description: String { "schema registry error \(errorCode): \(message)" }

    static func subjectNotFound(_ subject: String) -> RegistryError {
        RegistryError(status: 404, errorCode: 40401, message: "Subject '\(subject)' not found.")
    }
    static func versionNotFound(_ subject: String) -> RegistryError {
        RegistryError(status: 404, errorCode: 40402, message: "Version not found for subject '\(subject)'.")
    }
    static func schemaNotFound(_ detail: String = "Schema not found") -> RegistryError {
        RegistryError(status: 404, errorCode: 40403, message: detail)
    }
    static func subjectLevelConfigNotFound(_ subject: String) -> RegistryError {
        RegistryError(
            status: 404,
            errorCode: 40408,
            message: "Subject '\(subject)' does not have subject-level compatibility configured"
        )
    }
    static func invalidSchema(_ detail: String) -> RegistryError {
        RegistryError(status: 422, errorCode: 42201, message: "Invalid schema: \(detail)")
    }
    static func invalidVersion(_ text: String) -> RegistryError {
        RegistryError(
            status: 422,
            errorCode: 42202,
            message: "The specified version '\(text)' is not a valid version id. "
                + "Allowed values are between [1, 2^31-1] and the string \"latest\""
        )
    }
    static func invalidCompatibilityLevel(_ text: String) -> RegistryError {
        RegistryError(
            status: 422,
            errorCode: 42203,
            message: "Invalid compatibility level '\(text)'. Valid values are "
                + CompatibilityLevel.allCases.map(\.rawValue).joined(separator: ", ")
        )
    }
    static func incompatible(_ reasons: [String]) -> RegistryError {
        RegistryError(
            status: 409,
            errorCode: 409,
            message: "Schema being registered is incompatible with an earlier schema: "
                + reasons.joined(separator: "; ")
        )
    }
    static func badRequest(_ detail: String) -> RegistryError {
        RegistryError(status: 400, errorCode: 400, message: detail)
    }
    static func unprocessable(_ detail: String) -> RegistryError {
        RegistryError(status: 422, errorCode: 422, message: detail)
    }
    static func notFound(_ path: String) -> RegistryError {
        RegistryError(status: 404, errorCode: 404, message: "HTTP 404 Not Found: no endpoint \(path)")
    }
    static func methodNotAllowed(_ method: String) -> RegistryError {
        RegistryError(status: 405, errorCode: 405, message: "HTTP 405 Method \(method) Not Allowed")
    }
    static func storeFailed() -> RegistryError {
        // The cause goes to the log; the client learns only that storage failed.
        RegistryError(status: 500, errorCode: 50001, message: "Error in the backend data store")
    }
}
