import Foundation
import Testing

/// Inputs found by the registry-router fuzz harness (fuzz/Sources/registry-router), kept as
/// regression tests.
@Suite struct RegistryRouterFuzzRegressionTests {
    /// fuzz/run registry-router, crash-fcfc490d: a query item that is only `=` split into no
    /// parts, and reading the name of it was out of range: any client that could reach the
    /// registry crashed it with `GET /subjects?=`. An empty name is now just an unknown item.
    @Test(arguments: ["/subjects?=", "/subjects?=&deleted=true", "/subjects?==", "/subjects?&=x&"])
    func aQueryItemWithAnEmptyNameIsIgnored(_ uri: String) {
        let registry = TestRegistry()
        registry.register("a", "\"int\"")
        let (status, json) = registry.call("GET", uri)
        #expect(status == 200)
        #expect(json as? [String] == ["a"])
    }

    /// The value keeps everything after the first `=`, and the name still counts.
    @Test func aValueMayContainEquals() {
        let registry = TestRegistry()
        registry.register("a", "\"int\"")
        let (status, json) = registry.call("GET", "/schemas/ids/1?fetchMaxId=false&x=a=b")
        #expect(status == 200)
        #expect(json["schema"] as? String == "\"int\"")
    }
}
