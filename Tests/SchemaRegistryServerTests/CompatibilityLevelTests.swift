import Testing

/// Schema pairs and the verdict each level gives when `new` is registered after `old`.
@Suite struct CompatibilityLevelTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let old: String
        let new: String
        /// Levels under which registering `new` after `old` must succeed.
        let allowed: Set<String>
        var testDescription: String { name }
    }

    static let all: Set<String> = [
        "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE",
    ]
    static let backwardOnly: Set<String> = ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE"]
    static let forwardOnly: Set<String> = ["NONE", "FORWARD", "FORWARD_TRANSITIVE"]

    static let cases: [Case] = [
        Case(
            name: "workshop v1 → v2 adds a defaulted field",
            old: Fixtures.pressV1,
            new: Fixtures.pressV2,
            allowed: all
        ),
        Case(
            name: "adds a field without default",
            old: Fixtures.pressV1,
            new: Fixtures.pressNoDefault,
            allowed: forwardOnly
        ),
        Case(
            name: "drops a field without default",
            old: Fixtures.pressV1,
            new: Fixtures.pressDropped,
            allowed: backwardOnly
        ),
        Case(
            name: "int widened to long",
            old: Fixtures.record("{\"name\":\"n\",\"type\":\"int\"}"),
            new: Fixtures.record("{\"name\":\"n\",\"type\":\"long\"}"),
            allowed: backwardOnly
        ),
        Case(
            name: "long narrowed to int",
            old: Fixtures.record("{\"name\":\"n\",\"type\":\"long\"}"),
            new: Fixtures.record("{\"name\":\"n\",\"type\":\"int\"}"),
            allowed: forwardOnly
        ),
        Case(
            name: "string to bytes",
            old: Fixtures.record("{\"name\":\"n\",\"type\":\"string\"}"),
            new: Fixtures.record("{\"name\":\"n\",\"type\":\"bytes\"}"),
            allowed: all
        ),
        Case(
            name: "type changed int → string",
            old: Fixtures.record("{\"name\":\"n\",\"type\":\"int\"}"),
            new: Fixtures.record("{\"name\":\"n\",\"type\":\"string\"}"),
            allowed: ["NONE"]
        ),
        Case(
            name: "enum symbol added",
            old: Fixtures.record("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}}"),
            new: Fixtures.record(
                "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}}"
            ),
            allowed: backwardOnly
        ),
        Case(
            name: "union gains a branch",
            old: Fixtures.record("{\"name\":\"u\",\"type\":[\"null\",\"int\"]}"),
            new: Fixtures.record("{\"name\":\"u\",\"type\":[\"null\",\"int\",\"string\"]}"),
            allowed: backwardOnly
        ),
        Case(
            name: "nested record gains a defaulted field",
            old: Fixtures.record(
                "{\"name\":\"in\",\"type\":{\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}}"
            ),
            new: Fixtures.record(
                "{\"name\":\"in\",\"type\":{\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}}"
            ),
            allowed: all
        ),
        Case(
            name: "record renamed",
            old: Fixtures.record("{\"name\":\"n\",\"type\":\"int\"}"),
            new: Fixtures.record("{\"name\":\"n\",\"type\":\"int\"}").replacingOccurrences(of: "\"R\"", with: "\"Q\""),
            allowed: ["NONE"]
        ),
    ]

    @Test(arguments: cases)
    func verdictPerLevel(_ testCase: Case) {
        for level in Self.all.sorted() {
            let registry = TestRegistry()
            registry.call("PUT", "/config", ["compatibility": level])
            #expect(registry.register("s", testCase.old).status == 200)
            let check = registry.call("POST", "/compatibility/subjects/s/versions/latest", ["schema": testCase.new])
            let expected = testCase.allowed.contains(level)
            #expect(check.json["is_compatible"] as? Bool == expected, "\(testCase.name) under \(level)")
            let status = registry.register("s", testCase.new).status
            #expect(status == (expected ? 200 : 409), "\(testCase.name) under \(level)")
        }
    }

    /// Transitive levels check every version, plain levels only the latest.
    @Test func transitiveChecksEveryVersion() {
        let v1 = Fixtures.record("{\"name\":\"a\",\"type\":\"int\"}")
        // v2 drops a and adds b with a default; v3 drops the default of b.
        let v2 = Fixtures.record("{\"name\":\"b\",\"type\":\"int\",\"default\":0}")
        let v3 = Fixtures.record("{\"name\":\"b\",\"type\":\"int\"}")
        for (level, v3Allowed) in [("BACKWARD", true), ("BACKWARD_TRANSITIVE", false)] {
            let registry = TestRegistry()
            registry.call("PUT", "/config", ["compatibility": level])
            #expect(registry.register("s", v1).status == 200)
            #expect(registry.register("s", v2).status == 200)
            #expect(registry.register("s", v3).status == (v3Allowed ? 200 : 409), "\(level)")
        }
    }
}
