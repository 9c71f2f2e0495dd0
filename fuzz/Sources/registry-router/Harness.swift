// Fuzzes the schema registry's REST API: the router, the service and the in-memory store,
// a fresh store for each input, several requests in sequence so that registrations are
// there for the lookups that follow.
//
// Input: requests separated by NUL bytes; each is `METHOD URI` up to the first newline,
// then the body (e.g. `POST /subjects/a/versions\n{"schema":"\"int\""}`).
import ButtonEvents
import FastCGI
import Foundation
import FuzzSupport
import Logging
import SchemaRegistryServer

let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    let router = RegistryRouter(service: RegistryService(store: InMemoryRegistryStore(), logger: logger))
    for raw in input.split(separator: 0, omittingEmptySubsequences: true).prefix(16) {
        let head = raw.prefix { $0 != UInt8(ascii: "\n") }
        let body = Array(raw.dropFirst(head.count + 1))
        let words = head.split(separator: UInt8(ascii: " "), maxSplits: 1)
        guard words.count == 2 else { continue }
        let method = String(decoding: words[0], as: UTF8.self)
        let uri = String(decoding: words[1], as: UTF8.self)
        let query = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let request = FastCGIRequest(
            params: [
                (name: "REQUEST_METHOD", value: Array(words[0])),
                (name: "REQUEST_URI", value: Array(words[1])),
                (name: "QUERY_STRING", value: query.count > 1 ? Array(query[1].utf8) : []),
            ],
            body: body
        )
        let response = router.handle(request)
        // "Internal error" means an error the router did not expect escaped from the service.
        require(response.status != 500, "no 500 from \(method)")
        require(
            [200, 400, 404, 405, 409, 413, 415, 422].contains(response.status),
            "a known status, got \(response.status)"
        )
        let json = try? JSONSerialization.jsonObject(with: Data(response.body), options: .fragmentsAllowed)
        require(json != nil, "every answer is JSON (status \(response.status))")
        if response.status >= 400 {
            let code = (json as? [String: Any])?["error_code"] as? Int
            require(code != nil, "an error answer has an error_code")
        }
        // A registration can be read back by its id.
        if method == "POST", response.status == 200, uri.hasSuffix("/versions"), uri.hasPrefix("/subjects/"),
            let id = (json as? [String: Any])?["id"] as? Int
        {
            let lookup = router.handle(
                FastCGIRequest(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/schemas/ids/\(id)"])
            )
            require(lookup.status == 200, "a registered id can be fetched")
        }
    }
    return 0
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// The REST calls a producer and the tests make.
func seeds() -> [[UInt8]] {
    let event = PressEvent.schemaJSON.replacingOccurrences(of: "\\", with: "\\\\")
        .replacingOccurrences(of: "\"", with: "\\\"")
    let scripts = [
        "POST /subjects/button_presses-value/versions\n{\"schema\":\"\(event)\"}\0"
            + "GET /subjects/button_presses-value/versions/latest\n\0GET /schemas/ids/1?fetchMaxId=false\n",
        "POST /subjects/a/versions\n{\"schema\":\"\\\"int\\\"\"}\0POST /subjects/a\n{\"schema\":\"\\\"int\\\"\"}\0"
            + "GET /schemas/ids/1/versions\n\0DELETE /subjects/a\n",
        "PUT /config/a\n{\"compatibility\":\"FULL\"}\0GET /config/a?defaultToGlobal=true\n\0"
            + "POST /compatibility/subjects/a/versions/latest\n{\"schema\":\"\\\"long\\\"\"}\0GET /subjects?deleted=true\n",
        "GET /schemas/types\n\0GET /\n\0GET /subjects/%zz/versions\n\0PATCH /subjects\n",
        "POST /subjects/b/versions\n{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"R\\\",\\\"fields\\\":[]}\",\"schemaType\":\"AVRO\"}\0"
            + "GET /subjects/b/versions/1/schema\n\0DELETE /subjects/b/versions/1?permanent=true\n",
    ]
    return scripts.map { Array($0.utf8) }
}
