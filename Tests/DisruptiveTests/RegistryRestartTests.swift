import Foundation
import TestSupport
import Testing

/// Restarts the registry process: ids and versions live in PostgreSQL. Spoken to over plain
/// HTTP, as Karapace clients would, so this depends on the REST API only.
@Suite(.serialized) struct RegistryRestartTests {
    static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8))" }

    static func record(_ name: String, _ fields: String) -> String {
        "{\"type\":\"record\",\"name\":\"\(name)\",\"fields\":[\(fields)]}"
    }

    /// Registers a schema under a subject and returns its id.
    static func register(_ base: String, subject: String, schema: String) async throws -> Int {
        let answer = try await HTTP.json("POST", "\(base)/subjects/\(subject)/versions", ["schema": schema])
        guard answer.status == 200, let id = (answer.json as? [String: Any])?["id"] as? Int else {
            throw StackEnvError(message: "registering under \(subject): \(answer.status) \(answer.text)")
        }
        return id
    }

    @Test func idsAreStableAcrossARegistryRestart() async throws {
        let env = try StackEnv.load()
        let base = try env.require("SCHEMA_REGISTRY_URL")
        let subject = Self.unique("restart") + "-value"
        let schema = Self.record("Stable", "{\"name\":\"a\",\"type\":\"long\"}")
        let id = try await Self.register(base, subject: subject, schema: schema)

        try StackControl.run(["restart", "registry"], env: env)

        let stored = try await HTTP.send("GET", "\(base)/schemas/ids/\(id)")
        #expect(stored.status == 200)
        #expect((stored.json as? [String: Any])?["schema"] as? String == schema)
        #expect(try await Self.register(base, subject: subject, schema: schema) == id)
        let next = try await Self.register(
            base,
            subject: Self.unique("restart-new") + "-value",
            schema: Self.record("Other", "{\"name\":\"z\",\"type\":\"int\"}")
        )
        #expect(next > id, "ids are never reused")
    }
}
