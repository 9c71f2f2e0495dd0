import Foundation
import Testing

/// The Kafka Connect JDBC sink configuration in `deploy/kafka-connect/`: nothing on this
/// machine runs Kafka Connect, so these checks are what stands between a typo and a
/// connector that duplicates rows, writes the wrong table or leaks a password.
@Suite struct JdbcSinkConfigTests {
    /// The repository root, found from this file's path (`Tests/DeployTests/…`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The configuration as Kafka Connect sees it: every value a string.
    static func config() throws -> [String: String] {
        let url = root.appendingPathComponent("deploy/kafka-connect/button-presses-jdbc-sink.json")
        let object = try JSONSerialization.jsonObject(with: try Data(contentsOf: url))
        let map = try #require(object as? [String: Any], "the file must be one JSON object")
        var strings: [String: String] = [:]
        for (key, value) in map {
            // Connect's REST API accepts only strings; a bare number or boolean is refused.
            strings[key] = try #require(value as? String, "\(key) must be a string")
        }
        return strings
    }

    @Test func writesTheButtonPressesTableFromTheTopicWithTheAivenConnector() throws {
        let config = try Self.config()
        #expect(config["connector.class"] == "io.aiven.connect.jdbc.JdbcSinkConnector")
        #expect(config["name"] == "button-presses-jdbc-sink")
        #expect(config["topics"] == "button_presses")
        #expect(config["table.name.format"] == "button_presses")
        #expect(config["dialect.name"] == "PostgreSqlDatabaseDialect")
        // The table is created by our migrations; the connector must never alter it.
        #expect(config["auto.create"] == "false")
        #expect(config["auto.evolve"] == "false")
        // "timestamp" and "offset" are SQL keywords: the connector must quote them.
        #expect(config["sql.quote.identifiers"] == "true")
    }

    @Test func isIdempotentByTheKafkaPositionInOurOwnColumns() throws {
        let config = try Self.config()
        #expect(config["pk.mode"] == "kafka")
        #expect(config["insert.mode"] == "upsert")
        // The connector takes exactly three names, in the order topic, partition, offset.
        #expect(config["pk.fields"]?.split(separator: ",").map(String.init) == ["topic", "partition", "offset"])
    }

    @Test func writesExactlyTheOriginalAppsEventColumns() throws {
        let config = try Self.config()
        let fields = Set(config["fields.whitelist"]?.split(separator: ",").map(String.init) ?? [])
        #expect(
            fields == [
                "session_id", "timestamp", "action", "country_name", "country_code", "subdivision_name",
                "subdivision_code", "city_name", "cohort",
            ]
        )
        // session_id is an Avro string and the column a uuid: the driver must send strings
        // untyped so that PostgreSQL casts them.
        let url = try #require(config["connection.url"])
        #expect(url.hasPrefix("jdbc:postgresql://"))
        #expect(url.contains("stringtype=unspecified"))
    }

    @Test func decodesAvroValuesThroughTheRegistryAndKeysAsText() throws {
        let config = try Self.config()
        #expect(config["key.converter"] == "org.apache.kafka.connect.storage.StringConverter")
        #expect(config["value.converter"] == "io.confluent.connect.avro.AvroConverter")
        #expect(config["value.converter.schema.registry.url"]?.hasPrefix("https://") == true)
        #expect(config["value.converter.basic.auth.credentials.source"] == "USER_INFO")
        #expect(config["value.converter.schema.registry.basic.auth.user.info"] == "<REGISTRY_USER>:<REGISTRY_PASSWORD>")
    }

    @Test func shipsPlaceholdersNeverSecrets() throws {
        let config = try Self.config()
        #expect(config["connection.password"] == "<PG_PASSWORD>")
        #expect(config["connection.user"] == "<PG_USER>")
        let placeholders = try Regex("<[A-Z_]+>")
        var found: Set<String> = []
        for value in config.values {
            for match in value.matches(of: placeholders) { found.insert(String(value[match.range])) }
        }
        #expect(
            found == [
                "<PG_HOST>", "<PG_PORT>", "<PG_DATABASE>", "<PG_USER>", "<PG_PASSWORD>", "<REGISTRY_HOST>",
                "<REGISTRY_PORT>", "<REGISTRY_USER>", "<REGISTRY_PASSWORD>",
            ],
            "the README lists exactly these placeholders"
        )
    }
}
