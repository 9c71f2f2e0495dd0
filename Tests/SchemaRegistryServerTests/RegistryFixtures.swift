import FastCGI
import Foundation
import Logging
import SchemaRegistryServer

/// Schemas used across the registry tests.
enum Fixtures {
    /// The workshop's event schema.
    static let pressV1 = """
        {"type":"record","name":"ButtonPress","namespace":"io.button","fields":[
         {"name":"session_id","type":{"type":"string","logicalType":"uuid"}},
         {"name":"timestamp","type":{"type":"long","logicalType":"timestamp-micros"}},
         {"name":"action","type":{"type":"enum","name":"Action","symbols":["EnterPage","PressButton"]}},
         {"name":"country_name","type":"string"},{"name":"country_code","type":"string"},
         {"name":"subdivision_name","type":"string"},{"name":"subdivision_code","type":"string"},
         {"name":"city_name","type":"string"},
         {"name":"cohort","type":["null","int"],"default":null}]}
        """
    /// v1 plus a defaulted field: BACKWARD and FORWARD compatible.
    static let pressV2 = pressV1.replacingOccurrences(
        of: "\"default\":null}]}",
        with: "\"default\":null},{\"name\":\"page_variant\",\"type\":\"string\",\"default\":\"\"}]}"
    )
    /// v1 plus a field without default: new readers can't read old data.
    static let pressNoDefault = pressV1.replacingOccurrences(
        of: "\"default\":null}]}",
        with: "\"default\":null},{\"name\":\"page_variant\",\"type\":\"string\"}]}"
    )
    /// v1 without `city_name`: old readers can't read new data (no default there).
    static let pressDropped = pressV1.replacingOccurrences(
        of: "{\"name\":\"city_name\",\"type\":\"string\"},\n ",
        with: ""
    )

    static func record(_ fields: String) -> String {
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[\(fields)]}"
    }
}

/// A router over a fresh in-memory store, and helpers to call it like nginx would.
struct TestRegistry {
    let router = RegistryRouter(
        service: RegistryService(store: InMemoryRegistryStore(), logger: Logger(label: "test"))
    )

    @discardableResult
    func call(_ method: String, _ uri: String, _ body: Any? = nil) -> (status: Int, json: Any?) {
        var bytes: [UInt8] = []
        if let text = body as? String {
            bytes = Array(text.utf8)
        } else if let body {
            bytes = Array((try? JSONSerialization.data(withJSONObject: body)) ?? Data())
        }
        let query = uri.split(separator: "?", maxSplits: 1)
        let request = FastCGIRequest(
            params: [
                "REQUEST_METHOD": method, "REQUEST_URI": uri,
                "QUERY_STRING": query.count > 1 ? String(query[1]) : "",
            ],
            body: bytes
        )
        let response = router.handle(request)
        return (
            response.status, try? JSONSerialization.jsonObject(with: Data(response.body), options: .fragmentsAllowed)
        )
    }

    @discardableResult
    func register(_ subject: String, _ schema: String) -> (status: Int, json: Any?) {
        call("POST", "/subjects/\(subject)/versions", ["schema": schema])
    }
}

extension Optional where Wrapped == Any {
    var errorCode: Int? { (self as? [String: Any])?["error_code"] as? Int }
    subscript(_ key: String) -> Any? { (self as? [String: Any])?[key] }
}
