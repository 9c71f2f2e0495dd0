import SchemaRegistry

// The errors this registry answers with, with Confluent's codes and wording. They live with the
// server: a client only reads errors, it never makes them.
extension RegistryError {
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
