internal import CRdKafka
internal import Foundation

/// librdkafka configuration properties, passed through unchanged.
///
/// Any property from librdkafka's `CONFIGURATION.md` works, for example a TLS client-certificate
/// setup such as Aiven's:
///
/// ```swift
/// let config = KafkaConfiguration([
///     "bootstrap.servers": "kafka-xyz.aivencloud.com:12345",
///     "security.protocol": "SSL",
///     "ssl.ca.location": "/etc/button/ca.pem",
///     "ssl.certificate.location": "/etc/button/service.cert",
///     "ssl.key.location": "/etc/button/service.key",
/// ])
/// ```
///
/// Properties are checked when a client is created (or by ``validate()``): an unknown property
/// or an invalid value is a ``KafkaError/Code/configuration`` error naming the property. Values of
/// sensitive properties (``isSensitive(_:)``) never appear in errors, logs or ``description``.
public struct KafkaConfiguration: Sendable, CustomStringConvertible {
    /// The librdkafka properties, e.g. `["bootstrap.servers": "localhost:9092"]`.
    public var properties: [String: String]

    /// Creates a configuration from librdkafka properties.
    /// - Parameter properties: librdkafka property names and values.
    public init(_ properties: [String: String] = [:]) {
        self.properties = properties
    }

    /// Creates a configuration for the given brokers.
    /// - Parameters:
    ///   - bootstrapServers: Comma-separated `host:port` list.
    ///   - properties: Further librdkafka properties.
    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.properties = properties
        self.properties["bootstrap.servers"] = bootstrapServers
    }

    /// A property's value, or `nil` when it is not set here.
    public subscript(name: String) -> String? {
        get { properties[name] }
        set { properties[name] = newValue }
    }

    /// Builds a configuration from environment variables starting with `prefix`.
    ///
    /// The mapping: drop the prefix, lowercase, and turn `_` into `.`; a double underscore `__`
    /// stands for a literal `_`. For example `KAFKA_BOOTSTRAP_SERVERS` → `bootstrap.servers`,
    /// `KAFKA_SECURITY_PROTOCOL` → `security.protocol`, `KAFKA_SSL_KEY_LOCATION` →
    /// `ssl.key.location`. `KAFKA_BOOTSTRAP` (the name the local stack writes to `stack.env`) is
    /// accepted as `bootstrap.servers` too; `KAFKA_BOOTSTRAP_SERVERS` wins when both are set.
    ///
    /// - Parameters:
    ///   - environment: The variables to read; `nil` reads the process environment.
    ///   - prefix: The prefix that marks Kafka variables.
    /// - Returns: The configuration (not yet validated).
    public static func fromEnvironment(
        _ environment: [String: String]? = nil,
        prefix: String = "KAFKA_"
    ) -> KafkaConfiguration {
        let environment = environment ?? ProcessInfo.processInfo.environment
        var properties: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(prefix) && name.count > prefix.count {
            let property = propertyName(forEnvironmentVariable: String(name.dropFirst(prefix.count)))
            if property == "bootstrap" {
                if properties["bootstrap.servers"] == nil { properties["bootstrap.servers"] = value }
                continue
            }
            if property == "bootstrap.servers" || properties[property] == nil {
                properties[property] = value
            }
        }
        return KafkaConfiguration(properties)
    }

    /// `BOOTSTRAP_SERVERS` → `bootstrap.servers`, `A__B` → `a_b`.
    static func propertyName(forEnvironmentVariable suffix: String) -> String {
        suffix.lowercased()
            .replacingOccurrences(of: "__", with: "\u{0}")
            .replacingOccurrences(of: "_", with: ".")
            .replacingOccurrences(of: "\u{0}", with: "_")
    }

    /// Whether a property's value must never be shown: its name contains `password`, `key`,
    /// `secret`, `token`, `jaas` or `credential`. (`ssl.key.location` is only a path but is
    /// hidden as well; better one redaction too many.)
    /// - Parameter name: A librdkafka property name.
    public static func isSensitive(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["password", "key", "secret", "token", "jaas", "credential"].contains { lower.contains($0) }
    }

    /// The properties with sensitive values replaced by `<redacted>`, sorted by name.
    public var description: String {
        let shown = properties.keys.sorted().map { name in
            "\(name)=\(Self.isSensitive(name) ? "<redacted>" : properties[name] ?? "")"
        }
        return "KafkaConfiguration(\(shown.joined(separator: ", ")))"
    }

    /// Checks every property against librdkafka without creating a client or connecting.
    ///
    /// Files named by properties (`ssl.ca.location` …) are read only when a client is created,
    /// so a missing certificate file is reported by the client's initializer, not here.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/configuration`` naming the first
    ///   unknown property or invalid value.
    public func validate() throws(KafkaError) {
        let conf = try makeNativeConfiguration()
        rd_kafka_conf_destroy(conf)
    }
}
