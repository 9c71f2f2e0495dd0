public import Foundation
public import Session

/// The press path as deployed (nginx → FastCGI workers → Kafka), as the integration,
/// disruptive and browser tests reach it: the addresses the stack published and its
/// cookie secret, to read the session a client was given.
public struct PressStack: Sendable {
    public let env: StackEnv
    public let app: String
    public let bootstrap: String
    public let registry: String
    public let runDir: String
    public let codec: SessionCookieCodec

    /// Reads the stack's env file and cookie secret.
    /// - Throws: `StackEnvError` when the stack is not up.
    public init() throws {
        env = try StackEnv.load()
        app = try env.require("APP_URL")
        bootstrap = try env.require("KAFKA_BOOTSTRAP")
        registry = try env.require("SCHEMA_REGISTRY_URL")
        runDir = try env.require("RUN_DIR")
        // The stack's own cookie secret, to read session ids (and mint expired cookies).
        guard let secret = FileManager.default.contents(atPath: "\(runDir)/session-secret") else {
            throw StackEnvError(message: "no session secret in \(runDir)")
        }
        codec = try SessionCookieCodec(secret: Array(secret).filter { $0 != 10 && $0 != 13 })
    }

    /// Now, in whole seconds since the epoch (the cookie's clock).
    public var nowSeconds: Int64 { Int64(Date().timeIntervalSince1970) }

    /// The session a client's cookie holds.
    /// - Throws: `StackEnvError` when the client has no cookie or it does not open.
    public func session(_ client: PressClient) throws -> Session {
        guard let cookie = client.cookie else { throw StackEnvError(message: "no session cookie was set") }
        guard let session = codec.open(Substring(cookie), now: nowSeconds) else {
            throw StackEnvError(message: "the stack's cookie does not open")
        }
        return session
    }

    /// Marks the topic's end, before a test acts.
    public func mark() throws -> TopicMark { try TopicMark(bootstrap: bootstrap) }

    /// The raw messages of these sessions since the mark, in topic order.
    public func messages(since mark: TopicMark, sessions: [UUID], expected: Int) throws -> [TopicMark.Message] {
        let keys = Set(sessions.map { $0.uuidString.lowercased() })
        return try mark.messages(keys: keys, expected: expected)
            .sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
    }

    /// The events of these sessions since the mark, decoded by python3-avro.
    public func events(since mark: TopicMark, sessions: [UUID], expected: Int) throws -> [[String: Any]] {
        let messages = try messages(since: mark, sessions: sessions, expected: expected)
        return try IndependentAvro.decode(messages.map(\.value), registryURL: registry)
    }
}
