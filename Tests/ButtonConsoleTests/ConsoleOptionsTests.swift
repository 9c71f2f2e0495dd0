import ArgumentParser
import ButtonConsole
import Testing

/// `button-consume`'s command line (ArgumentParser), without a broker.
@Suite struct ConsoleOptionsTests {
    @Test func noArgumentsMeansTheDefaults() throws {
        let options = try ConsoleCommand.parse([]).options
        #expect(options == ConsoleOptions())
        #expect(options.start == .beginning && !options.follow && options.maxEvents == nil)
        #expect(options.idleMilliseconds == 2000 && options.topic == "button_presses")
    }

    @Test func everyOptionLandsInItsField() throws {
        let options = try ConsoleCommand.parse([
            "--from-end", "-f", "--action", "PressButton", "--action", "EnterPage", "--country", "de",
            "--country", "JP", "--max", "5", "--idle-ms", "250", "--topic", "other", "--bootstrap",
            "127.0.0.1:9092", "--registry", "http://127.0.0.1:8081", "--connect-timeout-ms", "1500",
        ]).options
        #expect(options.start == .end)
        #expect(options.follow)
        #expect(options.actions == ["PressButton", "EnterPage"])
        #expect(options.countries == ["DE", "JP"], "codes are upper-cased")
        #expect(options.maxEvents == 5)
        #expect(options.idleMilliseconds == 250)
        #expect(options.topic == "other")
        #expect(options.bootstrap == "127.0.0.1:9092")
        #expect(options.registryURL == "http://127.0.0.1:8081")
        #expect(options.connectTimeoutMilliseconds == 1500)
    }

    @Test func theLastStartOptionWins() throws {
        #expect(try ConsoleCommand.parse(["--from-end", "--from-beginning"]).options.start == .beginning)
        #expect(try ConsoleCommand.parse(["--from-beginning", "--from-end"]).options.start == .end)
    }

    @Test(arguments: [
        (["--action", "Click"], "--action"),
        (["--country", "DEU"], "two-letter ISO code"),
        (["--country", "D1"], "two-letter ISO code"),
        (["--country", "ÄÖ"], "two-letter ISO code"),
        (["--max", "0"], "--max takes a positive number"),
        (["--max", "many"], "--max"),
        (["--idle-ms", "-5"], "--idle-ms"),
        (["--idle-ms", "0"], "--idle-ms takes a positive number"),
        (["--connect-timeout-ms", "5"], "--connect-timeout-ms"),
        (["--topic"], "--topic"),
        (["--bootstrap", "--follow"], "--bootstrap"),
        (["--registry"], "--registry"),
        (["--fast"], "--fast"),
        (["extra"], "extra"),
    ])
    func badArgumentsAreNamed(arguments: [String], message: String) {
        let error = #expect(throws: (any Error).self) { try ConsoleCommand.parse(arguments) }
        let text = error.map { ConsoleCommand.fullMessage(for: $0) } ?? "no error"
        #expect(text.contains(message), "\(arguments): \(text)")
        #expect(error.map { ConsoleCommand.exitCode(for: $0) } == .validationFailure, "\(arguments): exit 64")
        if message == "two-letter ISO code" { #expect(text.contains("--country"), "\(text)") }
    }

    @Test(arguments: [["--help"], ["-h"], ["--follow", "--help"]])
    func helpIsNotAnError(arguments: [String]) {
        let error = #expect(throws: (any Error).self) { try ConsoleCommand.parse(arguments) }
        #expect(error.map { ConsoleCommand.exitCode(for: $0) } == .success)
        let help = error.map { ConsoleCommand.fullMessage(for: $0) } ?? ""
        #expect(help.contains("KAFKA_BOOTSTRAP") && help.contains("SCHEMA_REGISTRY_URL"), "\(help)")
    }
}
