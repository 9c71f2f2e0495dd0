import ButtonEvents
public import Logging
public import SchemaRegistry

/// Registers the event schema and returns the id to frame events with, as every producer of
/// press events does before its first event.
public enum PressSchemaRegistration {
    /// Why registration failed, in one line fit for an operator.
    public struct Failure: Error, CustomStringConvertible {
        /// Whether the registry answered and refused (409 incompatible, 422 invalid): waiting
        /// would not help.
        public let refused: Bool
        public let message: String
        public var description: String { message }
    }

    /// Registers `PressEvent.schemaJSON` under `PressEvent.subject` (idempotent in the
    /// registry), waiting up to `patience` for a registry that is starting, restarting or
    /// overloaded (no connection, 5xx, 408, 429; its `Retry-After` honoured). An answer that
    /// waiting cannot change stops at once.
    /// - Parameters:
    ///   - client: the registry client (its per-request timeout bounds each attempt).
    ///   - patience: how long to keep retrying transient failures.
    ///   - logger: receives one warning per retry.
    /// - Returns: the schema id.
    /// - Throws: ``Failure``.
    public static func register(
        client: SchemaRegistryClient,
        patience: Duration,
        logger: Logger
    ) async throws(Failure) -> Int32 {
        let id: Int
        do {
            id = try await client.register(
                subject: PressEvent.subject,
                schema: PressEvent.schemaJSON,
                retryingFor: patience
            ) { error, wait in
                logger.warning(
                    "schema registry not available yet; retrying",
                    metadata: ["error": "\(error)", "retry_in": "\(wait)"]
                )
            }
        } catch let error as RegistryError where !error.isTransient {
            throw Failure(refused: true, message: "the schema registry refused the event schema: \(error)")
        } catch {
            throw Failure(refused: false, message: "the schema registry is unavailable: \(error)")
        }
        guard let id32 = Int32(exactly: id) else {
            throw Failure(refused: true, message: "schema id \(id) is out of range")
        }
        return id32
    }
}
