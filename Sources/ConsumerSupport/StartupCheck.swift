public import Kafka

/// What the sink and the enricher check before they start consuming, so that a broker or a
/// database that is not there ends the start with one clear error within a bound, instead of a
/// consumer that retries quietly forever (once running, both wait out outages as before).
public enum StartupCheck {
    /// Waits until a broker of the consumer's cluster answers.
    /// - Parameters:
    ///   - consumer: The consumer, just created (librdkafka connects lazily).
    ///   - bootstrap: The brokers it was given, for the message.
    ///   - timeout: How long to wait.
    /// - Returns: The cluster's id, as the brokers report it.
    /// - Throws: ``UnavailableAtStart`` when no broker answered in time.
    public static func kafka(_ consumer: KafkaConsumer, bootstrap: String, timeout: Duration) throws -> String {
        guard let clusterID = consumer.clusterID(timeout: timeout) else {
            throw UnavailableAtStart("no Kafka broker answered at \(bootstrap) within \(timeout)")
        }
        return clusterID
    }
}

/// A server the program needs did not answer at start. The message names the server and its
/// address, never a password.
public struct UnavailableAtStart: Error, CustomStringConvertible, Sendable {
    /// What did not answer, where, and for how long it was tried.
    public let message: String

    /// - Parameter message: What did not answer, where, and for how long it was tried.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
