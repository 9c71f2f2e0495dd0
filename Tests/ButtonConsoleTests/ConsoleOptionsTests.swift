import ButtonConsole
import Testing

/// `button-consume`'s command line, without a broker.
@Suite struct ConsoleOptionsTests {
    @Test func noArgumentsMeansTheDefaults() throws {
        let options = try ConsoleOptions(arguments: [])
        #expect(options == ConsoleOptions())
        #expect(options.start == .beginning && !options.follow && options.maxEvents == nil)
        #expect(options.idleMilliseconds == 2000 && options.topic == "button_presses")
    }

    @Test func everyOptionLandsInItsField() throws {
        let options = try ConsoleOptions(arguments: [
            "--from-end", "-f", "--action", "PressButton", "--action", "EnterPage", "--country", "de",
            "--country", "JP", "--max", "5", "--idle-ms", "250", "--topic", "other", "--bootstrap",
            "127.0.0.1:9092", "--registry", "http://127.0.0.1:8081",
        ])
        #expect(options.start == .end)
        #expect(options.follow)
        #expect(options.actions == ["PressButton", "EnterPage"])
        #expect(options.countries == ["DE", "JP"], "codes are upper-cased")
        #expect(options.maxEvents == 5)
        #expect(options.idleMilliseconds == 250)
        #expect(options.topic == "other")
        #expect(options.bootstrap == "127.0.0.1:9092")
        #expect(options.registryURL == "http://127.0.0.1:8081")
    }

    @Test func theLastStartOptionWins() throws {
        #expect(try ConsoleOptions(arguments: ["--from-end", "--from-beginning"]).start == .beginning)
        #expect(try ConsoleOptions(arguments: ["--from-beginning", "--from-end"]).start == .end)
    }

    @Test(arguments: [
        (["--action", "Click"], "--action must be EnterPage or PressButton"),
        (["--country", "DEU"], "two-letter ISO code"),
        (["--country", "D1"], "two-letter ISO code"),
        (["--country", "ÄÖ"], "two-letter ISO code"),
        (["--max", "0"], "--max takes a positive number"),
        (["--max", "many"], "--max takes a positive number"),
        (["--idle-ms", "-5"], "--idle-ms takes a positive number"),
        (["--idle-ms", "0"], "--idle-ms takes a positive number"),
        (["--topic"], "--topic needs a value"),
        (["--bootstrap", "--follow"], "--bootstrap needs a value"),
        (["--registry"], "--registry needs a value"),
        (["--fast"], "unknown option '--fast'"),
        (["extra"], "unknown option 'extra'"),
    ])
    func badArgumentsAreNamed(arguments: [String], message: String) {
        let error = #expect(throws: ConsoleError.self) { try ConsoleOptions(arguments: arguments) }
        #expect(error?.message.contains(message) == true, "\(arguments): \(error?.message ?? "no error")")
        #expect(error?.isHelp == false)
    }

    @Test(arguments: [["--help"], ["-h"], ["--follow", "--help"]])
    func helpIsNotAnError(arguments: [String]) {
        let error = #expect(throws: ConsoleError.self) { try ConsoleOptions(arguments: arguments) }
        #expect(error?.isHelp == true)
        #expect(error?.message == ConsoleOptions.usage)
    }
}
