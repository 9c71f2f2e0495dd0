import Foundation
import FuzzSupport

// Fuzzes the worker's FastCGI param store: entries arrive from libfcgi as `NAME=value`
// byte strings, and every request looks params up by name, checks header encodings and
// reads method, path and query from them.
//
// Input: entries separated by NUL bytes, as libfcgi hands them over.
@testable import FastCGI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    let pieces = input.split(separator: 0, omittingEmptySubsequences: false)
    var builder = FastCGIRequest.Builder(capacity: input.count)
    for piece in pieces {
        Array(piece).withUnsafeBytes { builder.append(entry: $0) }
    }
    let request = FastCGIRequest(storage: builder.storage, entries: builder.entries, body: [], bodyTooLarge: false)

    // The naive model: entries with an '=', split at the first one.
    let model = pieces.compactMap { piece -> (name: ArraySlice<UInt8>, value: ArraySlice<UInt8>)? in
        guard let eq = piece.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        return (piece[..<eq], piece[(eq + 1)...])
    }
    require(request.paramCount == model.count, "one param per entry with an '='")
    for (index, param) in request.rawParams.enumerated() {
        require(param.value.elementsEqual(model[index].value), "rawParams keeps the value bytes")
    }
    for (name, _) in model {
        guard let text = String(validating: name, as: UTF8.self) else { continue }
        let first = model.first { $0.name.elementsEqual(name) }
        require(request.paramBytes(text).map(Array.init) == first.map { Array($0.value) }, "the first match wins")
        require(request.has(text), "a param that is there is there")
        require(request[text] == first.flatMap { String(validating: $0.value, as: UTF8.self) }, "subscript = UTF-8")
    }

    // Header encodings, against the model, with each name excluded in turn.
    func valid(_ bytes: ArraySlice<UInt8>) -> Bool { String(validating: bytes, as: UTF8.self) != nil }
    let headers = model.filter { $0.name.starts(with: Array("HTTP_".utf8)) }
    require(
        request.headersWithInvalidUTF8.count == headers.filter { !valid($0.value) }.count,
        "headersWithInvalidUTF8 counts the invalid headers"
    )
    for excluded in ["HTTP_COOKIE"] + model.compactMap({ String(validating: $0.name, as: UTF8.self) }).prefix(4) {
        let expected = headers.allSatisfy { $0.name.elementsEqual(excluded.utf8) || valid($0.value) }
        require(request.headersAreValidUTF8(except: excluded) == expected, "headersAreValidUTF8 skips \(excluded)")
    }
    _ = (request.method, request.path, request.query, request.description)
    return 0
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// The params nginx's fastcgi_params sends for a press.
func seeds() -> [[UInt8]] {
    let press = [
        "QUERY_STRING=", "REQUEST_METHOD=POST", "CONTENT_TYPE=application/x-www-form-urlencoded",
        "CONTENT_LENGTH=0", "SCRIPT_NAME=/api/press", "REQUEST_URI=/api/press?x=1", "DOCUMENT_URI=/api/press",
        "DOCUMENT_ROOT=/srv/button", "SERVER_PROTOCOL=HTTP/1.1", "REQUEST_SCHEME=http", "GATEWAY_INTERFACE=CGI/1.1",
        "SERVER_SOFTWARE=nginx/1.22.1", "REMOTE_ADDR=203.0.113.5", "REMOTE_PORT=51234", "SERVER_ADDR=127.0.0.1",
        "SERVER_PORT=8080", "SERVER_NAME=localhost", "REDIRECT_STATUS=200", "HTTP_HOST=localhost:8080",
        "HTTP_HX_REQUEST=true", "HTTP_COOKIE=button_session=v1.AAAA.BBBB",
    ]
    let joined = Array(press.joined(separator: "\0").utf8)
    let repeated = Array("HTTP_COOKIE=a\0HTTP_COOKIE=b\u{0}NOEQUALS\0=empty\0HTTP_X=".utf8) + [0xC3, 0x28]
    return [joined, repeated, Array("REQUEST_METHOD=get\0DOCUMENT_URI=\0REQUEST_URI=/a?b".utf8)]
}
