import Generator
import Kafka
import PressPublishing
import Testing

/// The generator's producer is configured as the workers' is.
@Suite struct GeneratorConfigurationTests {
    @Test func theProducerHasTheWorkersSettingsPlusTheBrokers() {
        let environment = [
            "KAFKA_LINGER_MS": "2", "KAFKA_BATCH_SIZE": "65536", "KAFKA_SERVICE_URI": "old:1", "HOME": "/",
        ]
        let kafka = GeneratorConfiguration.kafka(
            environment: environment,
            brokers: "b1:9092,b2:9092",
            certificates: nil
        )
        var workers = PressProducerSettings.configuration(environment: environment)
        workers["service.uri"] = nil
        workers["bootstrap.servers"] = "b1:9092,b2:9092"
        #expect(kafka.properties == workers.properties)
        #expect(kafka["linger.ms"] == "2" && kafka["batch.size"] == "65536")
        #expect(kafka["service.uri"] == nil, "the original's variable is not a librdkafka property")
        #expect(kafka["security.protocol"] == nil)

        let defaults = GeneratorConfiguration.kafka(environment: [:], brokers: "b:1", certificates: nil)
        #expect(defaults["linger.ms"] == PressProducerSettings.defaultLingerMilliseconds)
    }

    @Test func aBrokerThatCameBackIsTriedAgainWithinASecondUnlessOverridden() {
        let defaults = PressProducerSettings.configuration(environment: [:])
        #expect(defaults["reconnect.backoff.max.ms"] == "1000")
        let chosen = PressProducerSettings.configuration(environment: ["KAFKA_RECONNECT_BACKOFF_MAX_MS": "250"])
        #expect(chosen["reconnect.backoff.max.ms"] == "250")
    }

    @Test func aCertificateFolderMeansTLSWithItsThreeFiles() {
        let kafka = GeneratorConfiguration.kafka(environment: [:], brokers: "b:1", certificates: "/etc/button")
        #expect(kafka["security.protocol"] == "SSL")
        #expect(kafka["ssl.ca.location"] == "/etc/button/ca.pem")
        #expect(kafka["ssl.certificate.location"] == "/etc/button/service.cert")
        #expect(kafka["ssl.key.location"] == "/etc/button/service.key")
    }
}
