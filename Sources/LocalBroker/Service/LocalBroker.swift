internal import Foundation
@_spi(LocalBroker) internal import Kafka
public import Logging
internal import Synchronization

/// The local stack's Kafka: librdkafka's mock cluster in its own process, its topics, a control
/// socket for fault injection, and a ready file that tells others where it is.
///
/// Starting order: bind the control socket (fails early on a bad path), start the brokers,
/// create the topics, accept control connections, then write the ready file, so a script that
/// waits for the ready file finds everything usable.
public final class LocalBroker: Sendable {
    /// The options it was started with (paths made absolute).
    public let options: BrokerOptions
    /// The brokers' `host:port,…` list.
    public var bootstrapServers: String { cluster.bootstrapServers }

    private let cluster: KafkaMockCluster
    private let server: ControlServer
    private let controller: BrokerController
    private let logger: Logger

    /// Starts the broker and publishes the ready file. Returns once everything is up.
    /// - Parameters:
    ///   - options: What to run.
    ///   - logger: Where to log.
    /// - Throws: ``LocalBrokerError`` for an unusable control or ready-file path, or when the
    ///   brokers or topics could not be created.
    public init(options: BrokerOptions, logger: Logger) throws(LocalBrokerError) {
        var options = options
        options.controlPath = Self.absolute(options.controlPath)
        options.readyFile = options.readyFile.map(Self.absolute)
        self.options = options
        self.logger = logger
        if let readyFile = options.readyFile {
            // A ready file from an earlier run would tell waiting scripts a dead address.
            try? FileManager.default.removeItem(atPath: readyFile)
        }
        server = try ControlServer(path: options.controlPath, logger: logger)
        let cluster: KafkaMockCluster
        do {
            cluster = try KafkaMockCluster(brokers: options.brokers, logger: logger)
        } catch {
            server.stop()
            throw LocalBrokerError("cannot start \(options.brokers) mock brokers: \(error)")
        }
        self.cluster = cluster
        let controller = BrokerController(cluster: cluster, logger: logger)
        self.controller = controller
        for topic in options.topics {
            do {
                try cluster.createTopic(
                    topic.name,
                    partitions: topic.partitions,
                    replicationFactor: options.replicationFactor
                )
            } catch {
                server.stop()
                throw LocalBrokerError("cannot create topic \(topic.name): \(error)")
            }
        }
        server.start { line in controller.handle(line) }
        if let readyFile = options.readyFile {
            do {
                try Self.writeReadyFile(
                    readyFile,
                    values: [("KAFKA_BOOTSTRAP", cluster.bootstrapServers), ("BROKER_CONTROL", options.controlPath)]
                )
            } catch {
                server.stop()
                throw error
            }
        }
        logger.info(
            "local Kafka broker ready",
            metadata: [
                LogKey.bootstrap: "\(cluster.bootstrapServers)",
                LogKey.control: "\(options.controlPath)",
                LogKey.topic: "\(options.topics.map { "\($0.name):\($0.partitions)" }.joined(separator: ","))",
            ]
        )
    }

    /// Stops the control socket, removes it and the ready file. The brokers stop when this
    /// object is released. Idempotent.
    public func shutdown() {
        server.stop()
        controller.close()
        if let readyFile = options.readyFile {
            try? FileManager.default.removeItem(atPath: readyFile)
        }
        logger.info("local Kafka broker stopped")
    }

    /// Runs a broker until SIGTERM or SIGINT, then shuts it down. For `button-broker`'s main.
    ///
    /// Blocks both signals in the calling thread before any other thread exists (threads
    /// inherit the mask), then waits for them with `sigwait`, so no handler runs at an
    /// arbitrary point.
    /// - Parameters:
    ///   - options: What to run.
    ///   - logger: Where to log.
    /// - Returns: The process exit status: 0 after a signal, 1 when startup failed.
    public static func run(options: BrokerOptions, logger: Logger) -> Int32 {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        // A shell starts background jobs with SIGINT ignored, and an ignored signal is dropped
        // instead of waiting for sigwait; restore the default (it stays blocked, so never runs).
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
        let broker: LocalBroker
        do {
            broker = try LocalBroker(options: options, logger: logger)
        } catch {
            logger.error("button-broker: \(error)")
            return 1
        }
        var received: Int32 = 0
        sigwait(&signals, &received)
        logger.info("received signal \(received), shutting down")
        broker.shutdown()
        return 0
    }

    /// Writes `KEY=value` lines to a temporary file in the same directory, then renames it.
    static func writeReadyFile(_ path: String, values: [(String, String)]) throws(LocalBrokerError) {
        let text = values.map { "\($0.0)=\(shellQuoted($0.1))\n" }.joined()
        let temporary = path + ".tmp.\(getpid())"
        do {
            try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        } catch {
            throw LocalBrokerError("cannot write the ready file \(temporary): \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let failure = SocketError.last("rename")
            unlink(temporary)
            throw LocalBrokerError("cannot move the ready file into place at \(path): \(failure)")
        }
    }

    /// Leaves plain values alone (so `KEY=value` reads the same in shells and simple parsers)
    /// and single-quotes anything else.
    static func shellQuoted(_ value: String) -> String {
        let plain = value.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || "_./:,-@+=".unicodeScalars.contains(scalar))
        }
        if plain && !value.isEmpty { return value }
        return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(path).standardizedFileURL.path
    }
}
