import ArgumentParser
import ButtonCLI
import Testing

/// The shared way options override the variables a configuration reads.
@Suite struct EnvironmentOverridesTests {
    struct Rejected: Error, CustomStringConvertible {
        let description: String
    }

    @Test func givenOptionsReplaceTheirVariablesAndTheirAliases() {
        var overrides = EnvironmentOverrides()
        overrides.set("SINK_BATCH_MAX", option: "--batch-max", to: 7)
        overrides.set("SINK_TOPIC", option: "--topic", to: String?.none)
        overrides.set("KAFKA_BOOTSTRAP_SERVERS", replacing: ["KAFKA_BOOTSTRAP"], option: "--bootstrap", to: "b:1")
        let environment = overrides.applied(to: [
            "SINK_BATCH_MAX": "5", "SINK_TOPIC": "kept", "KAFKA_BOOTSTRAP": "a:1", "OTHER": "x",
        ])
        #expect(
            environment == [
                "SINK_BATCH_MAX": "7", "SINK_TOPIC": "kept", "KAFKA_BOOTSTRAP_SERVERS": "b:1", "OTHER": "x",
            ]
        )
    }

    @Test func anErrorAboutAnOptionsVariableNamesTheOption() {
        var overrides = EnvironmentOverrides()
        overrides.set("KAFKA_BOOTSTRAP_SERVERS", replacing: ["KAFKA_BOOTSTRAP"], option: "--bootstrap", to: "")
        overrides.set("SINK_BATCH_MAX", option: "--batch-max", to: 0)
        let error = #expect(throws: ValidationError.self) {
            try overrides.configuration(program: "test", environment: [:]) { environment -> Int in
                throw Rejected(
                    description: "SINK_BATCH_MAX must be from 1 to 100000, not '\(environment["SINK_BATCH_MAX"] ?? "")'"
                )
            }
        }
        #expect(error?.message == "--batch-max (SINK_BATCH_MAX): SINK_BATCH_MAX must be from 1 to 100000, not '0'")
        #expect(
            overrides.option(namedIn: "KAFKA_BOOTSTRAP (or KAFKA_BOOTSTRAP_SERVERS) must name the brokers")?.option
                == "--bootstrap"
        )
    }

    @Test func variablesCountOnlyAsWholeWords() {
        var overrides = EnvironmentOverrides()
        overrides.set("KAFKA_BOOTSTRAP", option: "--bootstrap", to: "a:1")
        #expect(overrides.option(namedIn: "KAFKA_BOOTSTRAP_SERVERS is wrong") == nil)
        #expect(overrides.option(namedIn: "X_KAFKA_BOOTSTRAP is wrong") == nil)
        #expect(overrides.option(namedIn: "bad KAFKA_BOOTSTRAP.")?.variable == "KAFKA_BOOTSTRAP")
    }

    @Test func anErrorAboutTheEnvironmentAloneIsAConfigurationExit() {
        var overrides = EnvironmentOverrides()
        overrides.set("SINK_TOPIC", option: "--topic", to: "t")
        let error = #expect(throws: ExitCode.self) {
            try overrides.configuration(program: "test", environment: ["SINK_BATCH_MAX": "x"]) { _ -> Int in
                throw Rejected(description: "SINK_BATCH_MAX must be a whole number, not 'x'")
            }
        }
        #expect(error?.rawValue == 78)
    }

    @Test func theNoteNamesEveryVariable() {
        #expect(
            EnvironmentDefault.note("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP")
                == "(env: KAFKA_BOOTSTRAP_SERVERS, KAFKA_BOOTSTRAP)"
        )
    }
}
