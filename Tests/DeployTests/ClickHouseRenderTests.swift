import Foundation
import Testing

/// `deploy/clickhouse/render`, which fills the production DDL's placeholders. The rendered
/// SQL itself is run in a current ClickHouse engine by IntegrationTests'
/// ProductionClickHouseDDLTests; here: what it refuses and that it copies values verbatim.
@Suite struct ClickHouseRenderTests {
    static let folder = JdbcSinkConfigTests.root.appendingPathComponent("deploy/clickhouse")

    /// Runs render into a fresh folder; returns its status, its error output and the files it wrote.
    static func render(
        _ environment: [String: String]
    ) throws -> (status: Int32, errors: String, files: [String: String]) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [folder.appendingPathComponent("render").path, out.path]
        // Only these variables: a KAFKA_BROKERS of the caller's must not fill a gap.
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var files: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [] {
            files[name] = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
        }
        return (process.terminationStatus, errorText, files)
    }

    @Test func fillsEveryPlaceholderVerbatim() throws {
        let result = try Self.render([
            "KAFKA_BROKERS": "k1:9093,k2:9093",
            // & and | are special to sed and to bash 5.2's ${x//a/b}: they must come through as they are.
            "SCHEMA_REGISTRY_URL": "https://user:p&ss|w@registry:13045/x?a=1&b=2",
        ])
        #expect(result.status == 0, "\(result.errors)")
        let shipped = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
            .filter { $0.hasSuffix(".sql") }
        #expect(Set(result.files.keys) == Set(shipped))
        #expect(result.files.values.allSatisfy { !$0.contains("{{") })
        let queue = try #require(result.files["06-button_presses_queue.sql"])
        #expect(queue.contains("kafka_broker_list = 'k1:9093,k2:9093'"))
        #expect(queue.contains("format_avro_schema_registry_url = 'https://user:p&ss|w@registry:13045/x?a=1&b=2'"))
        #expect(queue.contains("kafka_topic_list = 'button_presses'"), "the default topic")
        #expect(queue.contains("kafka_group_name = 'button_presses_clickhouse'"), "the default group")
        // Files without placeholders come out unchanged.
        let original = try String(
            contentsOf: Self.folder.appendingPathComponent("01-button_presses.sql"),
            encoding: .utf8
        )
        #expect(result.files["01-button_presses.sql"] == original)
    }

    @Test(arguments: [
        (["SCHEMA_REGISTRY_URL": "http://r"], "KAFKA_BROKERS is not set"),
        (["KAFKA_BROKERS": "k:1"], "SCHEMA_REGISTRY_URL is not set"),
        (
            ["KAFKA_BROKERS": "k:1', kafka_format = 'JSONEachRow", "SCHEMA_REGISTRY_URL": "http://r"],
            "KAFKA_BROKERS contains a quote"
        ),
        (
            ["KAFKA_BROKERS": "k:1", "SCHEMA_REGISTRY_URL": "http://r\\"],
            "SCHEMA_REGISTRY_URL contains a quote, a backslash"
        ),
        (["KAFKA_BROKERS": "k:1", "SCHEMA_REGISTRY_URL": "http://r", "KAFKA_GROUP": "g\nx"], "KAFKA_GROUP contains"),
    ])
    func refusesMissingOrUnsafeValues(environment: [String: String], message: String) throws {
        let result = try Self.render(environment)
        #expect(result.status == 2)
        #expect(result.errors.contains(message), "\(result.errors)")
        #expect(result.files.isEmpty, "nothing written")
    }
}
