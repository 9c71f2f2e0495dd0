@_spi(LocalBroker) internal import Kafka
internal import Logging
internal import Synchronization

/// Executes control commands against the mock cluster and words the replies.
final class BrokerController: Sendable {
    private let cluster: KafkaMockCluster
    private let logger: Logger
    /// Reads topic metadata from the cluster itself (created on first `topics`).
    private let admin = Mutex<KafkaAdmin?>(nil)

    init(cluster: KafkaMockCluster, logger: Logger) {
        self.cluster = cluster
        self.logger = logger
    }

    /// Releases the metadata client before the brokers go away (it would log reconnect noise).
    func close() {
        admin.withLock { $0 = nil }
    }

    /// One reply line for one command line: `ok …` or `error: …`.
    func handle(_ line: String) -> String {
        let reply: String
        switch ControlCommand.parse(line) {
        case .failure(let error):
            reply = "error: \(error.message)"
        case .success(let command):
            do {
                reply = try execute(command)
            } catch {
                reply = "error: \(error.message)"
            }
        }
        logger.info(
            "control command",
            metadata: [LogKey.command: "\(line.prefix(200))", LogKey.reply: "\(reply)"]
        )
        return reply
    }

    private func execute(_ command: ControlCommand) throws(KafkaError) -> String {
        switch command {
        case .ping:
            return "ok pong"
        case .topics:
            let topics = try metadataClient().metadata(timeout: .seconds(5)).filter { !$0.name.hasPrefix("__") }
            return (["ok"] + topics.map { "\($0.name):\($0.partitionCount)" }).joined(separator: " ")
        case .create(let topic, let partitions):
            try cluster.createTopic(topic, partitions: partitions, replicationFactor: min(3, cluster.brokerCount))
            return "ok created \(topic):\(partitions)"
        case .down(let target):
            let ids = try brokers(target)
            for id in ids { try cluster.setBrokerDown(id) }
            return "ok \(describe(ids)) down"
        case .up(let target):
            let ids = try brokers(target)
            for id in ids { try cluster.setBrokerUp(id) }
            return "ok \(describe(ids)) up"
        case .rtt(let target, let milliseconds):
            let ids = try brokers(target)
            for id in ids { try cluster.setRoundTripTime(brokerID: id, milliseconds: milliseconds) }
            return "ok \(describe(ids)) rtt \(milliseconds) ms"
        case .errors(let api, let count, let error):
            try cluster.pushRequestErrors(api: api, errors: Array(repeating: error, count: count))
            return "ok pushed \(count) \(error) errors for \(api)"
        }
    }

    private func brokers(_ target: BrokerTarget) throws(KafkaError) -> [Int32] {
        switch target {
        case .all:
            return cluster.brokerIDs
        case .broker(let id):
            guard cluster.brokerIDs.contains(id) else {
                throw KafkaError(
                    code: .invalidArgument,
                    message: "no broker \(id): broker ids are 1...\(cluster.brokerCount)"
                )
            }
            return [id]
        }
    }

    private func describe(_ ids: [Int32]) -> String {
        ids.count == 1 ? "broker \(ids[0])" : "brokers \(ids.map(String.init).joined(separator: ","))"
    }

    private func metadataClient() throws(KafkaError) -> KafkaAdmin {
        let result: Result<KafkaAdmin, KafkaError> = admin.withLock { admin in
            if let admin { return .success(admin) }
            do throws(KafkaError) {
                let created = try KafkaAdmin(
                    configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers),
                    logger: logger
                )
                admin = created
                return .success(created)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
