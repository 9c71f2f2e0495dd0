import ButtonEvents
import Foundation
import Kafka
public import Logging
import SchemaRegistry

/// The workshop's "simple consumer": prints the events of the topic, decoded with the
/// schema each message names (fetched from the registry once per id).
public struct ConsoleConsumer {
    let options: ConsoleOptions
    let environment: [String: String]
    let logger: Logger
    let output: @Sendable (String) -> Void
    let problem: @Sendable (String) -> Void

    /// - Parameters:
    ///   - options: what to read and print.
    ///   - environment: `KAFKA_*` and `SCHEMA_REGISTRY_URL`.
    ///   - logger: librdkafka's messages.
    ///   - output: receives each event line.
    ///   - problem: receives a line per message that could not be decoded.
    public init(
        options: ConsoleOptions,
        environment: [String: String],
        logger: Logger,
        output: @escaping @Sendable (String) -> Void,
        problem: @escaping @Sendable (String) -> Void
    ) {
        self.options = options
        self.environment = environment
        self.logger = logger
        self.output = output
        self.problem = problem
    }

    /// Reads until the end (or forever with `--follow`).
    /// - Returns: the number of events printed.
    /// - Throws: `ConsoleError` for missing settings or a broker or registry that does not answer
    ///   at start, `KafkaError` when Kafka fails.
    @discardableResult
    public func run() async throws -> Int {
        var kafka = KafkaConfiguration.fromEnvironment(environment)
        if let bootstrap = options.bootstrap { kafka["bootstrap.servers"] = bootstrap }
        guard kafka["bootstrap.servers"]?.isEmpty == false else {
            throw ConsoleError("no Kafka brokers: pass --bootstrap or set KAFKA_BOOTSTRAP")
        }
        guard let registryURL = options.registryURL ?? environment["SCHEMA_REGISTRY_URL"], !registryURL.isEmpty else {
            throw ConsoleError("no schema registry: pass --registry or set SCHEMA_REGISTRY_URL")
        }
        let timeout = Duration.milliseconds(options.connectTimeoutMilliseconds)
        let registry: SchemaRegistryClient
        do {
            registry = try SchemaRegistryClient(
                url: registryURL,
                timeout: Double(options.connectTimeoutMilliseconds) / 1000
            )
        } catch {
            throw ConsoleError("--registry (SCHEMA_REGISTRY_URL): \(error)")
        }
        // A group of our own, never committed: every run reads the range it asked for.
        let consumer = try KafkaConsumer(
            configuration: kafka,
            groupID: "button-consume-\(UUID().uuidString)",
            topics: [options.topic],
            startFrom: options.start == .beginning ? .earliest : .latest,
            logger: logger
        )
        defer { consumer.close() }
        // The consumer connects lazily and would otherwise poll an absent broker until --idle-ms
        // and exit 0 as if the topic were empty.
        guard consumer.clusterID(timeout: timeout) != nil else {
            throw ConsoleError(
                "no Kafka broker answered at \(kafka["bootstrap.servers"] ?? "") within \(timeout)",
                isUnavailable: true
            )
        }
        // Asked once now, so a registry that is not there ends the run at once with one line
        // rather than a "skipped" line per event.
        do {
            _ = try await registry.subjects()
        } catch {
            throw ConsoleError("the schema registry did not answer: \(error)", isUnavailable: true)
        }
        var decoder = PressEventDecoder(registry: registry)
        var printed = 0
        var idleSince = ContinuousClock.now
        var seenAny = false
        while true {
            if let limit = options.maxEvents, printed >= limit { break }
            guard let message = try consumer.poll(timeout: .milliseconds(200)) else {
                // Until the first message arrives the group may still be joining: allow longer.
                let idle = seenAny ? options.idleMilliseconds : max(options.idleMilliseconds, 8000)
                if !options.follow && ContinuousClock.now - idleSince > .milliseconds(idle) { break }
                continue
            }
            seenAny = true
            idleSince = .now
            do {
                let event = try await decoder.decode(message.value).event
                if !options.actions.isEmpty && !options.actions.contains(event.action.rawValue) { continue }
                if !options.countries.isEmpty && !options.countries.contains(event.countryCode) { continue }
                output(EventLine.format(event, partition: message.partition, offset: message.offset))
                printed += 1
            } catch {
                problem("skipped partition \(message.partition) offset \(message.offset): \(error)")
            }
        }
        return printed
    }
}
