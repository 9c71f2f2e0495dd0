public import Geolocation
public import Kafka
import PressPublishing

/// Everything one run of the generator needs, built by `button-generate` from its options.
public struct GeneratorConfiguration: Sendable {
    /// Live sessions, or the backfill story.
    public enum Mode: Sendable, Equatable {
        /// Sessions now; `start` (µs since the epoch) puts them on a virtual clock instead of
        /// the wall clock.
        case live(start: Int64?)
        /// `days` of history ending at `until` (µs since the epoch).
        case backfill(days: Int, until: Int64)
    }

    public var mode: Mode
    /// librdkafka properties: the workers' (`PressProducerSettings`) plus the brokers and TLS.
    public var kafka: KafkaConfiguration
    public var registryURL: String
    public var topic: String
    /// Sessions to generate; nil: no limit (`--forever`).
    public var sessions: Int?
    public var maxPresses: Int
    /// Events to send at most.
    public var count: Int?
    /// How long to run at most.
    public var duration: Duration?
    /// Events per second; nil: as fast as the broker takes them.
    public var rate: Double?
    public var seed: UInt64
    public var geolocation: GeolocationConfiguration
    /// tzdata's zone.tab, for the story's local times.
    public var zoneTab: String
    public var progress: ProgressReporter.Style
    /// How long the registry and the brokers get to answer at start.
    public var connectTimeout: Duration

    public init(
        mode: Mode,
        kafka: KafkaConfiguration,
        registryURL: String,
        topic: String,
        sessions: Int?,
        maxPresses: Int,
        count: Int?,
        duration: Duration?,
        rate: Double?,
        seed: UInt64,
        geolocation: GeolocationConfiguration,
        zoneTab: String,
        progress: ProgressReporter.Style,
        connectTimeout: Duration = .seconds(4)
    ) {
        self.mode = mode
        self.kafka = kafka
        self.registryURL = registryURL
        self.topic = topic
        self.sessions = sessions
        self.maxPresses = maxPresses
        self.count = count
        self.duration = duration
        self.rate = rate
        self.seed = seed
        self.geolocation = geolocation
        self.zoneTab = zoneTab
        self.progress = progress
        self.connectTimeout = connectTimeout
    }

    /// The producer's librdkafka properties: the workers' (`PressProducerSettings`, from
    /// `KAFKA_*` variables), the brokers, and TLS client certificates from a folder as the
    /// original generator took them (Aiven's `ca.pem`, `service.cert`, `service.key`).
    /// - Parameters:
    ///   - environment: the process environment; `KAFKA_SERVICE_URI`, the original
    ///     generator's name for the brokers, is not passed on as a librdkafka property.
    ///   - brokers: `host:port[,…]`.
    ///   - certificates: the folder, or nil for plain connections.
    public static func kafka(
        environment: [String: String],
        brokers: String,
        certificates: String?
    ) -> KafkaConfiguration {
        var kafka = PressProducerSettings.configuration(
            environment: environment.filter { $0.key != "KAFKA_SERVICE_URI" }
        )
        kafka["bootstrap.servers"] = brokers
        if let certificates {
            let folder = certificates.hasSuffix("/") ? certificates : certificates + "/"
            kafka["security.protocol"] = "SSL"
            kafka["ssl.ca.location"] = folder + "ca.pem"
            kafka["ssl.certificate.location"] = folder + "service.cert"
            kafka["ssl.key.location"] = folder + "service.key"
        }
        return kafka
    }

    /// The brokers, for messages (never a credential: those are other properties).
    public var brokers: String { kafka["bootstrap.servers"] ?? "" }
}
