import Enricher
import Testing

@Suite struct EnricherConfigurationTests {
    let base = ["KAFKA_BOOTSTRAP": "127.0.0.1:9092", "SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081"]

    @Test func defaults() throws {
        let configuration = try EnricherConfiguration(environment: base)
        #expect(configuration.sourceTopic == "button_presses")
        #expect(configuration.targetTopic == "button_presses_enriched")
        #expect(configuration.deadLetterTopic == "button_presses_enriched_dead_letters")
        #expect(configuration.group == "button-enrich")
        #expect(configuration.commitInterval == .seconds(1))
        #expect(configuration.statusFile == nil)
        #expect(configuration.zoneTab == "/usr/share/zoneinfo/zone.tab")
        #expect(configuration.producerKafka["linger.ms"] == "5")
        #expect(configuration.kafka["linger.ms"] == nil)
    }

    @Test func settingsAreRead() throws {
        var environment = base
        environment["ENRICH_SOURCE_TOPIC"] = "in"
        environment["ENRICH_TARGET_TOPIC"] = "out"
        environment["ENRICH_DEAD_LETTER_TOPIC"] = "bad"
        environment["ENRICH_GROUP"] = "g-1"
        environment["ENRICH_STATUS_FILE"] = "/tmp/e.status"
        environment["ENRICH_MAX_IN_FLIGHT"] = "10"
        environment["KAFKA_LINGER_MS"] = "0"
        let configuration = try EnricherConfiguration(environment: environment)
        #expect(configuration.sourceTopic == "in" && configuration.targetTopic == "out")
        #expect(configuration.deadLetterTopic == "bad" && configuration.group == "g-1")
        #expect(configuration.statusFile == "/tmp/e.status" && configuration.maxInFlight == 10)
        #expect(configuration.producerKafka["linger.ms"] == "0")
    }

    @Test(arguments: [
        ("ENRICH_COMMIT_INTERVAL_MS", "0"), ("ENRICH_MAX_IN_FLIGHT", "lots"), ("ENRICH_DELIVERY_TIMEOUT_MS", "5"),
        ("ENRICH_LAG_INTERVAL_MS", "-1"), ("ENRICH_TARGET_TOPIC", "button_presses"), ("ENRICH_GROUP", "a group"),
        ("ENRICH_DEAD_LETTER_TOPIC", "button_presses_enriched"), ("ENRICH_SOURCE_TOPIC", "ü"),
    ])
    func badValuesAreNamed(key: String, value: String) {
        var environment = base
        environment[key] = value
        #expect {
            _ = try EnricherConfiguration(environment: environment)
        } throws: { error in
            (error as? EnricherConfigurationError)?.message.contains(key) == true
        }
    }

    @Test(arguments: ["KAFKA_BOOTSTRAP", "SCHEMA_REGISTRY_URL"])
    func requiredSettings(key: String) {
        var environment = base
        environment[key] = nil
        #expect {
            _ = try EnricherConfiguration(environment: environment)
        } throws: { error in
            (error as? EnricherConfigurationError)?.message.contains(key) == true
        }
    }
}
