import Testing

@Suite struct RegistryRouterTests {
    @Test func registerIsIdempotentAndIdsAreGlobal() {
        let registry = TestRegistry()
        let first = registry.register("presses-value", Fixtures.pressV1)
        #expect(first.status == 200)
        let id = first.json["id"] as? Int
        #expect(id != nil)
        // Same schema, reformatted: same id, no new version.
        let reformatted = Fixtures.pressV1.replacingOccurrences(of: "\n", with: "\n   ")
        #expect(registry.register("presses-value", reformatted).json["id"] as? Int == id)
        #expect(registry.call("GET", "/subjects/presses-value/versions").json as? [Int] == [1])
        // Same schema under another subject: same global id, that subject's version 1.
        #expect(registry.register("other-value", Fixtures.pressV1).json["id"] as? Int == id)
        // A new schema gets a new id.
        let second = registry.register("presses-value", Fixtures.pressV2).json["id"] as? Int
        #expect(second != nil && second != id)
        #expect(registry.call("GET", "/subjects/presses-value/versions").json as? [Int] == [1, 2])
        #expect(registry.call("GET", "/subjects").json as? [String] == ["other-value", "presses-value"])
    }

    @Test func readEndpoints() throws {
        let registry = TestRegistry()
        let id = try #require(registry.register("s", Fixtures.pressV1).json["id"] as? Int)
        registry.register("s", Fixtures.pressV2)

        let byID = registry.call("GET", "/schemas/ids/\(id)")
        #expect(byID.status == 200)
        #expect(byID.json["schema"] as? String == Fixtures.pressV1)

        let latest = registry.call("GET", "/subjects/s/versions/latest")
        #expect(latest.json["version"] as? Int == 2)
        #expect(latest.json["subject"] as? String == "s")
        #expect(latest.json["schema"] as? String == Fixtures.pressV2)
        #expect(registry.call("GET", "/subjects/s/versions/-1").json["version"] as? Int == 2)

        let one = registry.call("GET", "/subjects/s/versions/1")
        #expect(one.json["id"] as? Int == id)

        let lookup = registry.call("POST", "/subjects/s", ["schema": Fixtures.pressV1])
        #expect(lookup.status == 200)
        #expect(lookup.json["version"] as? Int == 1)
        #expect(lookup.json["id"] as? Int == id)

        let usages = registry.call("GET", "/schemas/ids/\(id)/versions").json as? [[String: Any]]
        #expect(usages?.count == 1)
        #expect(registry.call("GET", "/schemas/types").json as? [String] == ["AVRO"])
    }

    @Test func subjectNamesArePercentDecoded() {
        let registry = TestRegistry()
        #expect(registry.register("a%2Fb%20c", Fixtures.pressV1).status == 200)
        #expect(registry.call("GET", "/subjects").json as? [String] == ["a/b c"])
    }

    @Test(
        arguments: [
            ("GET", "/subjects/missing/versions", nil, 404, 40401),
            ("GET", "/subjects/missing/versions/1", nil, 404, 40401),
            ("GET", "/subjects/s/versions/9", nil, 404, 40402),
            ("GET", "/subjects/s/versions/0", nil, 422, 42202),
            ("GET", "/subjects/s/versions/abc", nil, 422, 42202),
            ("GET", "/subjects/s/versions/99999999999", nil, 422, 42202),
            ("GET", "/schemas/ids/999", nil, 404, 40403),
            ("GET", "/schemas/ids/abc", nil, 404, 40403),
            ("POST", "/subjects/s", "{\"schema\":\"\\\"int\\\"\"}", 404, 40403),
            ("POST", "/subjects/missing", "{\"schema\":\"\\\"int\\\"\"}", 404, 40401),
            ("POST", "/subjects/s/versions", "{not json", 400, 400),
            ("POST", "/subjects/s/versions", "", 400, 400),
            ("POST", "/subjects/s/versions", "[1,2]", 422, 422),
            ("POST", "/subjects/s/versions", "{\"schemma\":\"x\"}", 422, 422),
            ("POST", "/subjects/s/versions", "{\"schema\":\"{\\\"type\\\":\\\"nope\\\"}\"}", 422, 42201),
            ("POST", "/subjects/s/versions", "{\"schema\":\"not json at all\"}", 422, 42201),
            ("POST", "/subjects/s/versions", "{\"schema\":\"\\\"int\\\"\",\"schemaType\":\"PROTOBUF\"}", 422, 42201),
            ("PUT", "/config", "{\"compatibility\":\"SOMETIMES\"}", 422, 42203),
            ("GET", "/config/s", nil, 404, 40408),
            ("DELETE", "/config/s", nil, 404, 40408),
            ("GET", "/nowhere", nil, 404, 404),
            ("DELETE", "/subjects", nil, 405, 405),
            ("POST", "/compatibility/subjects/missing/versions/latest", "{\"schema\":\"\\\"int\\\"\"}", 404, 40401),
            ("POST", "/compatibility/subjects/s/versions/7", "{\"schema\":\"\\\"int\\\"\"}", 404, 40402),
        ] as [(String, String, String?, Int, Int)]
    )
    func errorsHaveConfluentShape(method: String, uri: String, body: String?, status: Int, code: Int) {
        let registry = TestRegistry()
        registry.register("s", Fixtures.pressV1)
        let answer = registry.call(method, uri, body)
        #expect(answer.status == status)
        #expect(answer.json.errorCode == code)
        #expect((answer.json["message"] as? String)?.isEmpty == false)
    }

    @Test func configGlobalAndPerSubject() {
        let registry = TestRegistry()
        #expect(registry.call("GET", "/config").json["compatibilityLevel"] as? String == "BACKWARD")
        #expect(registry.call("PUT", "/config", ["compatibility": "FULL"]).json["compatibility"] as? String == "FULL")
        #expect(registry.call("GET", "/config").json["compatibilityLevel"] as? String == "FULL")
        #expect(registry.call("GET", "/config/s?defaultToGlobal=true").json["compatibilityLevel"] as? String == "FULL")
        #expect(registry.call("PUT", "/config/s", ["compatibility": "NONE"]).status == 200)
        #expect(registry.call("GET", "/config/s").json["compatibilityLevel"] as? String == "NONE")
        #expect(registry.call("DELETE", "/config/s").json["compatibilityLevel"] as? String == "NONE")
        #expect(registry.call("GET", "/config/s").status == 404)
    }

    @Test func incompatibleRegistrationIsRefusedWith409() {
        let registry = TestRegistry()
        registry.register("s", Fixtures.pressV1)
        let refused = registry.register("s", Fixtures.pressNoDefault)
        #expect(refused.status == 409)
        #expect(refused.json.errorCode == 409)
        #expect((refused.json["message"] as? String)?.contains("page_variant") == true)
        #expect(registry.call("GET", "/subjects/s/versions").json as? [Int] == [1])
        // The per-subject level wins over the global one.
        registry.call("PUT", "/config/s", ["compatibility": "NONE"])
        #expect(registry.register("s", Fixtures.pressNoDefault).status == 200)
    }

    @Test func compatibilityEndpointVerbose() {
        let registry = TestRegistry()
        registry.register("s", Fixtures.pressV1)
        let good = registry.call("POST", "/compatibility/subjects/s/versions/latest", ["schema": Fixtures.pressV2])
        #expect(good.json["is_compatible"] as? Bool == true)
        let bad = registry.call(
            "POST",
            "/compatibility/subjects/s/versions/1?verbose=true",
            ["schema": Fixtures.pressNoDefault]
        )
        #expect(bad.json["is_compatible"] as? Bool == false)
        #expect((bad.json["messages"] as? [String])?.isEmpty == false)
    }
}
