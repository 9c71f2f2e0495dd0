import ArgumentParser
import Testing

@testable import LocalBroker

/// `button-broker`'s command line (ArgumentParser), without starting a broker.
@Suite struct BrokerOptionsTests {
    /// What the command line runs when it serves (the default subcommand).
    func serve(_ arguments: [String]) throws -> BrokerServeCommand {
        try #require(try BrokerCommand.parseAsRoot(arguments) as? BrokerServeCommand)
    }

    @Test func serveWithEveryOption() throws {
        let command = try serve([
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
        #expect(try command.checkedOptions() == expected)
    }

    @Test func defaultsAreOneBrokerNoTopicsNoReadyFile() throws {
        #expect(try serve(["--control", "/c"]).checkedOptions() == BrokerOptions(controlPath: "/c"))
        #expect(
            try serve(["serve", "--control", "/c"]).checkedOptions() == BrokerOptions(controlPath: "/c"),
            "serve by name"
        )
    }

    @Test(arguments: [(1, 1), (2, 2), (3, 3), (9, 3)])
    func replicationIsCappedAtThree(brokers: Int, factor: Int) {
        #expect(BrokerOptions(brokers: brokers, controlPath: "/c").replicationFactor == factor)
    }

    @Test(arguments: [["-h"], ["--help"], ["--brokers", "2", "--help"]])
    func helpIsACleanExit(arguments: [String]) {
        let error = #expect(throws: (any Error).self) { try BrokerServeCommand.parse(arguments) }
        #expect(error.map { BrokerServeCommand.exitCode(for: $0) } == .success)
        #expect(error.map { BrokerServeCommand.fullMessage(for: $0) }?.contains("--ready-file") == true)
    }

    @Test func controlCommandsJoinTheirWords() throws {
        let parsed = try BrokerCommand.parseAsRoot([
            "ctl", "--control", "/c", "errors", "Produce", "3", "NOT_LEADER_OR_FOLLOWER",
        ])
        let control = try #require(parsed as? BrokerControlCommand)
        #expect(control.resolvedControlPath(environment: [:]) == "/c")
        #expect(control.command == "errors Produce 3 NOT_LEADER_OR_FOLLOWER")
        // --control counts only before the command: after it, it is one of the command's words.
        let late = try #require(
            try BrokerCommand.parseAsRoot(["ctl", "--control", "/x", "ping", "--control", "/c"])
                as? BrokerControlCommand
        )
        #expect(late.controlPath == "/x" && late.command == "ping --control /c")
    }

    @Test func controlFallsBackToBrokerControl() throws {
        let control = try #require(
            try BrokerCommand.parseAsRoot(["ctl", "--control", "/c", "ping"]) as? BrokerControlCommand
        )
        #expect(control.resolvedControlPath(environment: ["BROKER_CONTROL": "/env"]) == "/c", "the option wins")
        #expect(BrokerControlCommand.controlPath(option: nil, environment: ["BROKER_CONTROL": "/env"]) == "/env")
        #expect(BrokerControlCommand.controlPath(option: nil, environment: ["BROKER_CONTROL": ""]) == nil)
    }

    @Test(arguments: [
        (["--brokers", "0", "--control", "/c"], "--brokers must be a number from 1 to 9"),
        (["--brokers", "10", "--control", "/c"], "--brokers must be a number from 1 to 9"),
        (["--brokers", "three", "--control", "/c"], "--brokers"),
        (["--brokers"], "--brokers"),
        (["--topic", "a:1", "--topic", "a:2", "--control", "/c"], "--topic a is given twice"),
        (["--topic", "nocolon", "--control", "/c"], "want NAME:PARTITIONS"),
        (["--topic", "a:0", "--control", "/c"], "partitions of a must be a number from 1 to 1000"),
        (["--topic", "a:1001", "--control", "/c"], "partitions of a must be a number from 1 to 1000"),
        (["--topic", "a:six", "--control", "/c"], "partitions of a must be a number from 1 to 1000"),
        (["--topic", "a b:1", "--control", "/c"], "invalid topic name \"a b\""),
        (["--topic", "a:b:1", "--control", "/c"], "invalid topic name \"a:b\""),
        (["--topic", ":1", "--control", "/c"], "invalid topic name \"\""),
        (["--port", "9092"], "--port"),
        (["ctl", "--control", "/c"], "no command given"),
    ])
    func badCommandLinesAreNamed(arguments: [String], message: String) {
        let error = #expect(throws: (any Error).self) { try BrokerCommand.parseAsRoot(arguments) }
        let text = error.map { BrokerCommand.fullMessage(for: $0) } ?? "no error"
        #expect(text.contains(message), "\(arguments): \(text)")
        #expect(error.map { BrokerCommand.exitCode(for: $0) } == .validationFailure, "\(arguments): exit 64")
        if arguments.first == "--topic", message.contains("topic name") || message.contains("PARTITIONS") {
            #expect(text.contains("--topic"), "the option is named: \(text)")
        }
    }

    /// Checked when it runs, so that an unknown option is reported first.
    @Test(arguments: [
        (["--control", ""], "--control needs a path"), (["--topic", "a:1"], "--control PATH is required"),
    ])
    func controlIsRequired(arguments: [String], message: String) throws {
        let command = try serve(arguments)
        let error = #expect(throws: ValidationError.self) { try command.checkedOptions() }
        #expect(error?.message == message)
        #expect(BrokerServeCommand.exitCode(for: ValidationError(message)) == .validationFailure)
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
