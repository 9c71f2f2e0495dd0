import Testing

@testable import LocalBroker

/// `button-broker`'s command line, without starting a broker.
@Suite struct BrokerOptionsTests {
    @Test func serveWithEveryOption() throws {
        let line = try BrokerCommandLine.parse([
            "--brokers", "3", "--topic", "button_presses:6", "--topic", "button_presses_enriched:1", "--control",
            "/run/ctl", "--ready-file", "/run/broker.env",
        ])
        let expected = BrokerOptions(
            brokers: 3,
            topics: [
                BrokerTopic(name: "button_presses", partitions: 6),
                BrokerTopic(name: "button_presses_enriched", partitions: 1),
            ],
            controlPath: "/run/ctl",
            readyFile: "/run/broker.env"
        )
        #expect(line == .serve(expected))
    }

    @Test func defaultsAreOneBrokerNoTopicsNoReadyFile() throws {
        #expect(try BrokerCommandLine.parse(["--control", "/c"]) == .serve(BrokerOptions(controlPath: "/c")))
    }

    @Test(arguments: [(1, 1), (2, 2), (3, 3), (9, 3)])
    func replicationIsCappedAtThree(brokers: Int, factor: Int) {
        #expect(BrokerOptions(brokers: brokers, controlPath: "/c").replicationFactor == factor)
    }

    @Test(arguments: [["-h"], ["--help"], ["--brokers", "2", "--help"]])
    func help(arguments: [String]) throws {
        #expect(try BrokerCommandLine.parse(arguments) == .help)
    }

    @Test func controlCommandsJoinTheirWords() throws {
        #expect(
            try BrokerCommandLine.parse(["ctl", "--control", "/c", "errors", "Produce", "3", "NOT_LEADER_OR_FOLLOWER"])
                == .control(path: "/c", command: "errors Produce 3 NOT_LEADER_OR_FOLLOWER")
        )
        // --control counts only before the command: after it, it is one of the command's words.
        #expect(throws: BrokerUsageError.self) { try BrokerCommandLine.parse(["ctl", "ping", "--control", "/c"]) }
    }

    @Test(arguments: [
        (["--brokers", "0", "--control", "/c"], "--brokers must be a number from 1 to 9"),
        (["--brokers", "10", "--control", "/c"], "--brokers must be a number from 1 to 9"),
        (["--brokers", "three", "--control", "/c"], "--brokers must be a number from 1 to 9"),
        (["--brokers"], "--brokers needs a value"),
        (["--control", ""], "--control needs a value"),
        (["--topic", "a:1"], "--control PATH is required"),
        (["--topic", "a:1", "--topic", "a:2", "--control", "/c"], "topic \"a\" is given twice"),
        (["--topic", "nocolon", "--control", "/c"], "--topic wants NAME:PARTITIONS"),
        (["--topic", "a:0", "--control", "/c"], "partitions must be a number from 1 to 1000"),
        (["--topic", "a:1001", "--control", "/c"], "partitions must be a number from 1 to 1000"),
        (["--topic", "a:six", "--control", "/c"], "partitions must be a number from 1 to 1000"),
        (["--topic", "a b:1", "--control", "/c"], "invalid topic name \"a b\""),
        (["--topic", "a:b:1", "--control", "/c"], "invalid topic name \"a:b\""),
        (["--topic", ":1", "--control", "/c"], "invalid topic name \"\""),
        (["--port", "9092"], "unknown argument \"--port\""),
        (["ctl", "ping"], "ctl: --control PATH is required"),
        (["ctl", "--control", "/c"], "ctl: no command given"),
    ])
    func badCommandLinesAreNamed(arguments: [String], message: String) {
        let error = #expect(throws: BrokerUsageError.self) { try BrokerCommandLine.parse(arguments) }
        #expect(error?.message.contains(message) == true, "\(arguments): \(error?.message ?? "no error")")
    }

    @Test func topicNamesFollowKafkasRule() {
        for valid in ["button_presses", "a.b-c_D9", String(repeating: "x", count: 249)] {
            #expect(TopicName.isValid(valid), "\(valid)")
        }
        for invalid in ["", ".", "..", "ü", "a/b", "a b", String(repeating: "x", count: 250)] {
            #expect(!TopicName.isValid(invalid), "\(invalid)")
        }
    }
}
