import PressSink
import Testing

@Suite struct SinkConfigurationTests {
    let base = [
        "PG_DSN": "postgresql://button:secret@127.0.0.1:5432/button",
        "KAFKA_BOOTSTRAP": "127.0.0.1:9092",
        "SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081",
    ]

    @Test func defaults() throws {
        let configuration = try SinkConfiguration(environment: base)
        #expect(configuration.topic == "button_presses")
        #expect(configuration.group == "button-sink")
        #expect(configuration.batchMax == 5000)
        #expect(configuration.batchWait == .milliseconds(200))
        #expect(configuration.kafka["bootstrap.servers"] == "127.0.0.1:9092")
        #expect(configuration.statusFile == nil)
        #expect(configuration.writeMethod == .copy)
    }

    @Test func settingsAreRead() throws {
        var environment = base
        environment["SINK_TOPIC"] = "other"
        environment["SINK_GROUP"] = "g"
        environment["SINK_BATCH_MAX"] = "10"
        environment["SINK_BATCH_WAIT_MS"] = "50"
        environment["SINK_STATUS_FILE"] = "/tmp/s"
        environment["SINK_WRITE_METHOD"] = "insert"
        environment["KAFKA_FETCH_MAX_BYTES"] = "1000"
        let configuration = try SinkConfiguration(environment: environment)
        #expect(configuration.topic == "other")
        #expect(configuration.group == "g")
        #expect(configuration.batchMax == 10)
        #expect(configuration.batchWait == .milliseconds(50))
        #expect(configuration.statusFile == "/tmp/s")
        #expect(configuration.writeMethod == .insert)
        #expect(configuration.kafka["fetch.max.bytes"] == "1000")
    }

    @Test(arguments: [
        ("SINK_BATCH_MAX", "0"), ("SINK_BATCH_MAX", "many"), ("SINK_BATCH_WAIT_MS", "5000"),
        ("SINK_BATCH_WAIT_MS", "-1"), ("SINK_LAG_INTERVAL_MS", "1"),
        ("SINK_WRITE_METHOD", "upsert"),
    ])
    func badValuesAreNamed(key: String, value: String) {
        var environment = base
        environment[key] = value
        #expect {
            try SinkConfiguration(environment: environment)
        } throws: { error in
            "\(error)".contains(key) && "\(error)".contains(value)
        }
    }

    @Test(arguments: ["PG_DSN", "KAFKA_BOOTSTRAP", "SCHEMA_REGISTRY_URL"])
    func requiredSettingsAreNamed(key: String) {
        var environment = base
        environment[key] = nil
        #expect {
            try SinkConfiguration(environment: environment)
        } throws: { error in
            "\(error)".contains(key) && !"\(error)".contains("secret")
        }
    }
}
