import Foundation
import SchemaRegistry
import TestSupport
import Testing

/// The schema registry as deployed: nginx → FastCGI workers → PostgreSQL.
@Suite struct RegistryTests {
    let base: String
    let client: SchemaRegistryClient

    init() throws {
        let env = try StackEnv.load()
        base = try env.require("SCHEMA_REGISTRY_URL")
        client = try SchemaRegistryClient(url: base)
    }

    static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8))" }

    static func record(_ name: String, _ fields: String) -> String {
        "{\"type\":\"record\",\"name\":\"\(name)\",\"fields\":[\(fields)]}"
    }

    @Test func clientRoundTripThroughEveryReadEndpoint() async throws {
        let subject = Self.unique("client") + "-value"
        let v1 = Self.record("E", "{\"name\":\"a\",\"type\":\"int\"}")
        let v2 = Self.record(
            "E",
            "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"string\",\"default\":\"\"}"
        )
        let id1 = try await client.register(subject: subject, schema: v1)
        #expect(try await client.register(subject: subject, schema: v1) == id1)
        #expect(try await client.isCompatible(subject: subject, schema: v2))
        let id2 = try await client.register(subject: subject, schema: v2)
        #expect(id2 > id1)
        #expect(try await client.schema(id: id1) == v1)
        let latest = try await client.latest(subject: subject)
        #expect(latest.version == 2 && latest.id == id2 && latest.schema == v2)
        #expect(try await client.version(subject: subject, "1").id == id1)
        #expect(try await client.subjects().contains(subject))

        let versions = try await HTTP.send("GET", "\(base)/subjects/\(subject)/versions")
        #expect(versions.json as? [Int] == [1, 2])
        let lookup = try await HTTP.json("POST", "\(base)/subjects/\(subject)", ["schema": v1])
        #expect((lookup.json as? [String: Any])?["version"] as? Int == 1)
        #expect(lookup.header("Content-Type") == "application/vnd.schemaregistry.v1+json")
    }

    @Test func incompatibleSchemaIsRefused() async throws {
        let subject = Self.unique("compat") + "-value"
        _ = try await client.register(subject: subject, schema: Self.record("E", "{\"name\":\"a\",\"type\":\"int\"}"))
        let breaking = Self.record("E", "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\"}")
        #expect(try await client.isCompatible(subject: subject, schema: breaking) == false)
        do {
            _ = try await client.register(subject: subject, schema: breaking)
            Issue.record("an incompatible schema was registered")
        } catch let error as RegistryError {
            #expect(error.status == 409 && error.errorCode == 409)
            #expect(error.message.contains("'b'"), "the message names the field")
        }
        // Per-subject NONE lets it through.
        let put = try await HTTP.json("PUT", "\(base)/config/\(subject)", ["compatibility": "NONE"])
        #expect(put.status == 200)
        _ = try await client.register(subject: subject, schema: breaking)
    }

    @Test(
        arguments: [
            ("POST", "/subjects/S/versions", "{oops", 400, 400),
            ("POST", "/subjects/S/versions", "{\"schema\":\"{\\\"type\\\":\\\"record\\\"}\"}", 422, 42201),
            ("GET", "/subjects/no-such-subject/versions", nil, 404, 40401),
            ("GET", "/subjects/S/versions/77", nil, 404, 40402),
            ("GET", "/subjects/S/versions/zero", nil, 422, 42202),
            ("GET", "/schemas/ids/2147483647", nil, 404, 40403),
            ("PUT", "/config", "{\"compatibility\":\"MAYBE\"}", 422, 42203),
            ("GET", "/no/such/endpoint", nil, 404, 404),
        ] as [(String, String, String?, Int, Int)]
    )
    func errorsThroughNginx(method: String, path: String, body: String?, status: Int, code: Int) async throws {
        let subject = Self.unique("err")
        _ = try await client.register(subject: subject, schema: "\"string\"")
        let answer = try await HTTP.send(
            method,
            base + path.replacingOccurrences(of: "/S/", with: "/\(subject)/"),
            body: body.map { Data($0.utf8) },
            headers: ["Content-Type": "application/vnd.schemaregistry.v1+json"]
        )
        #expect(answer.status == status)
        let object = answer.json as? [String: Any]
        #expect(object?["error_code"] as? Int == code)
        #expect((object?["message"] as? String)?.isEmpty == false)
    }

    @Test func concurrentRegistrationsGetDistinctVersionsAndOneIDPerSchema() async throws {
        let subject = Self.unique("race") + "-value"
        #expect(try await HTTP.json("PUT", "\(base)/config/\(subject)", ["compatibility": "NONE"]).status == 200)
        let schemas = (0..<12).map { Self.record("E\($0 % 4)", "{\"name\":\"a\",\"type\":\"int\"}") }
        let ids = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (index, schema) in schemas.enumerated() {
                group.addTask {
                    (index, try await SchemaRegistryClient(url: base).register(subject: subject, schema: schema))
                }
            }
            var result: [Int: Int] = [:]
            for try await (index, id) in group { result[index] = id }
            return result
        }
        // Four distinct schemas, each registered three times concurrently: four ids, four versions.
        #expect(Set(ids.values).count == 4)
        for index in 0..<12 { #expect(ids[index] == ids[index % 4]) }
        let versions = try await HTTP.send("GET", "\(base)/subjects/\(subject)/versions")
        #expect(versions.json as? [Int] == [1, 2, 3, 4])
    }

    @Test func credentialsInTheURLAreSentAsBasicAuthAndNeverShown() throws {
        let client = try SchemaRegistryClient(url: "https://avnadmin:s3cret%21@registry.example:443")
        // Positive control: the description does name the registry it talks to.
        #expect(client.description.contains("registry.example"), "\(client.description)")
        #expect(!client.description.contains("s3cret"))
        #expect(!client.description.contains("avnadmin"))
        #expect(throws: RegistryClientError.self) { try SchemaRegistryClient(url: "ftp://x") }
    }
}
