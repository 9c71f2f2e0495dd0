import Foundation
import Kafka
import TestSupport
import Testing

/// The topic setup against the local broker, librdkafka 2.0.2's mock cluster. It implements
/// neither CreateTopics nor DescribeConfigs (no handler for either in
/// `src/rdkafka_mock_handlers.c`) and its metadata names broker 0 as the controller while its
/// brokers are numbered from 1. What is proven here: the answers it does give, that our
/// clients end with a clear error instead of waiting, and what it does with the two
/// requests when they are sent anyway. Creating and describing a topic on a cluster that
/// has them can't be run here: see deploy/README.md.
@Suite struct TopicSetupLocalBrokerTests {
    let env: StackEnv
    let bootstrap: String
    init() throws {
        env = try StackEnv.load()
        bootstrap = try env.require("KAFKA_BOOTSTRAP")
    }

    var binary: String { env.binary("button-topics") }

    @Test func mockMetadataNamesAControllerThatIsNoBroker() throws {
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        let cluster = try admin.describeCluster(timeout: .seconds(10))
        #expect(!cluster.brokerIDs.isEmpty)
        #expect(!cluster.brokerIDs.contains(0))
        #expect(cluster.controllerID == 0)
        #expect(!cluster.hasController)
        let topic = try #require(cluster.topic("button_presses"))
        #expect(topic.partitionCount == 6, "the local broker keeps its own partitions")
        #expect(topic.replicaCounts.allSatisfy { $0 == min(3, cluster.brokerIDs.count) })
    }

    @Test func describeConfigsWaitsForTheControllerAndEndsClearly() throws {
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        let started = ContinuousClock.now
        #expect {
            _ = try admin.describeTopicConfigs(["button_presses"], timeout: .seconds(3))
        } throws: { error in
            guard let error = error as? KafkaError else { return false }
            return error.code == .timedOut && error.message.contains("button_presses")
                && error.message.contains("controller")
        }
        #expect(ContinuousClock.now - started < .seconds(6))
    }

    @Test func applyRefusesTheMockAtOnceAndSendsNothing() throws {
        let started = ContinuousClock.now
        let result = try Command.run(binary, ["apply", "--bootstrap", bootstrap, "--timeout", "10"])
        #expect(ContinuousClock.now - started < .seconds(5), "a clear error, not a wait for a controller")
        #expect(result.status == 3, "\(result.output) \(result.errors)")
        #expect(result.output.contains("create topic button_presses"), "the plan is printed first")
        #expect(result.errors.contains("names broker 0 as the controller"), "\(result.errors)")
        #expect(result.errors.contains("neither CreateTopics nor DescribeConfigs"))
        #expect(result.errors.contains("Nothing was sent or changed."))
        // Still the broker's own 6 partitions: nothing was created or changed.
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        #expect(try admin.describeCluster().topic("button_presses")?.partitionCount == 6)
    }

    @Test func dryRunPrintsThePlanWithoutABroker() throws {
        let result = try Command.run(
            binary,
            ["apply", "--dry-run", "--topic", "presses_test", "--retention-ms", "604800000"],
            environment: ["KAFKA_BOOTSTRAP": "", "KAFKA_BOOTSTRAP_SERVERS": ""]
        )
        #expect(result.status == 0, "\(result.errors)")
        #expect(
            result.output == """
                plan:
                  create topic presses_test
                    partitions: 3
                    replication factor: 3
                    configs:
                      cleanup.policy=delete
                      local.retention.ms=86400000
                      min.insync.replicas=2
                      remote.storage.enable=true
                      retention.ms=604800000
                  then read it back (metadata: partitions and replicas; DescribeConfigs: the configs above) \
                and report every difference
                dry run: nothing sent

                """
        )
    }

    @Test func badOptionsAndUnreachableBrokersEndClearly() throws {
        let bad = try Command.run(binary, ["apply", "--dry-run", "--min-insync-replicas", "4"])
        #expect(bad.status == 64)
        #expect(bad.errors.contains("min.insync.replicas must be between 1 and the replication factor (3), not 4"))

        let started = ContinuousClock.now
        let unreachable = try Command.run(binary, ["apply", "--bootstrap", "127.0.0.1:1", "--timeout", "2"])
        #expect(unreachable.status == 3)
        #expect(unreachable.errors.contains("cannot read the cluster metadata"), "\(unreachable.errors)")
        #expect(ContinuousClock.now - started < .seconds(6))
    }

    /// The two requests sent by hand, past any client's own checks (Python, raw protocol).
    @Test func mockAdvertisesNeitherRequestAndClosesTheConnectionOnThem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("kafka_probe.py")
        try KafkaProtocolProbe.script.write(to: script, atomically: true, encoding: .utf8)
        let result = try Command.run("/usr/bin/python3", [script.path, bootstrap])
        try #require(result.status == 0, "\(result.errors)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: result.outputData) as? [String: Any])
        let versions = try #require(outcome["api_versions"] as? [String: Any])
        #expect((versions["error"] as? NSNumber)?.intValue == 0)
        let keys = try #require(versions["keys"] as? [Int])
        #expect(keys.contains(3) && keys.contains(0), "Metadata and Produce are advertised: \(keys)")
        #expect(!keys.contains(19), "CreateTopics (19) is not advertised")
        #expect(!keys.contains(32), "DescribeConfigs (32) is not advertised")
        for request in ["create_topics", "describe_configs"] {
            let answer = try #require(outcome[request] as? [String: Any])
            #expect(answer["closed"] as? Bool == true, "\(request): \(answer)")
            #expect((answer["bytes"] as? NSNumber)?.intValue == 0, "\(request): no response at all")
        }
        // The broker logs each refusal with the probe's own address, so these lines are this run's.
        let log = "\(try env.require("RUN_DIR"))/logs/broker.log"
        for (request, name) in [
            ("create_topics", "CreateTopicsRequestV0"), ("describe_configs", "DescribeConfigsRequestV0"),
        ] {
            let from = try #require((outcome[request] as? [String: Any])?["from"] as? String)
            let line = "unsupported \(name) from \(from)"
            var logged = false
            for _ in 0..<50 where !logged {
                logged = (try? String(contentsOfFile: log, encoding: .utf8))?.contains(line) == true
                if !logged { Thread.sleep(forTimeInterval: 0.1) }
            }
            #expect(logged, "\(line) in \(log)")
        }
    }
}

/// Speaks the Kafka protocol by hand (Python, no client library): what a broker does with
/// requests a client library would not send to it.
enum KafkaProtocolProbe {
    static let script = #"""
        # Speaks the Kafka protocol to one broker by hand, bypassing any client library's own checks:
        # ApiVersions (which request types the broker says it handles), then CreateTopics v0 and
        # DescribeConfigs v0 sent anyway, each on a fresh connection. Prints one JSON object.
        import json, socket, struct, sys

        host, port = sys.argv[1].split(",")[0].rsplit(":", 1)
        port = int(port)


        def string(text):
            data = text.encode()
            return struct.pack(">h", len(data)) + data


        def exchange(api_key, version, body):
            header = struct.pack(">hhi", api_key, version, 7) + string("button-probe")
            frame = header + body
            with socket.create_connection((host, port), timeout=5) as sock:
                local = "%s:%d" % sock.getsockname()[:2]
                sock.sendall(struct.pack(">i", len(frame)) + frame)
                data = b""
                try:
                    while True:
                        chunk = sock.recv(65536)
                        if not chunk:
                            return {"closed": True, "bytes": len(data), "data": data, "from": local}
                        data += chunk
                        if len(data) >= 4 and len(data) >= 4 + struct.unpack(">i", data[:4])[0]:
                            return {"closed": False, "bytes": len(data), "data": data, "from": local}
                except socket.timeout:
                    return {"closed": False, "timeout": True, "bytes": len(data), "data": data, "from": local}


        out = {}
        answer = exchange(18, 0, b"")
        data = answer["data"]
        _, correlation, error, count = struct.unpack(">iihi", data[:14])
        keys = {}
        for index in range(count):
            key, low, high = struct.unpack(">hhh", data[14 + 6 * index: 20 + 6 * index])
            keys[key] = [low, high]
        out["api_versions"] = {"error": error, "keys": sorted(keys)}

        # CreateTopics v0: one topic, 3 partitions, replication 1, no assignments, one config; timeout.
        create = (
            struct.pack(">i", 1) + string("probe_topic") + struct.pack(">ih", 3, 1) + struct.pack(">i", 0)
            + struct.pack(">i", 1) + string("retention.ms") + string("-1") + struct.pack(">i", 5000)
        )
        result = exchange(19, 0, create)
        out["create_topics"] = {k: v for k, v in result.items() if k != "data"}
        # DescribeConfigs v0: the topic button_presses, all configs.
        describe = struct.pack(">i", 1) + struct.pack(">b", 2) + string("button_presses") + struct.pack(">i", -1)
        result = exchange(32, 0, describe)
        out["describe_configs"] = {k: v for k, v in result.items() if k != "data"}
        print(json.dumps(out))
        """#
}
