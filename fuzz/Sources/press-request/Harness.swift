// Fuzzes the worker's request logic (PressService) with Kafka and geolocation faked:
// routing, header checks, the cookie, the event and the answer.
//
// Input: byte 0 picks method and path, byte 1 the client address, byte 2 flags (bit 0
// htmx, bit 1 HTTPS, bit 2 Kafka refuses, bit 3 send a valid cookie); then FastCGI params
// as `NAME=VALUE` lines up to the first NUL byte, and the body after it. The fuzzer's
// params come first, so they win over the harness's own (lookups take the first match).
import Avro
import ButtonEvents
import FastCGI
import Foundation
import FuzzSupport
import Geolocation
import Logging
import Session

@testable import ButtonFCGI

struct FakePublisher: EventPublisher {
    let recorded: RecordedMessages
    func publish(key: [UInt8], value: [UInt8], timeout: Duration) -> PublishOutcome {
        recorded.take(key: key, value: value) ? .acknowledged : .unavailable("fake Kafka refuses")
    }
}

struct FakeLocator: AddressLocator {
    func locate(_ address: IPAddress, sessionSeed: UInt64) -> Location {
        Location(countryName: "Germany", countryCode: "DE", subdivisionName: "Berlin", subdivisionCode: "BE")
    }
}

let codec: SessionCookieCodec = {
    do {
        return try SessionCookieCodec(secret: Array(repeating: 9, count: 32))
    } catch {
        FuzzDriver.printError("fuzz-press-request: \(error)\n")
        exit(2)
    }
}()
let now: Int64 = 1_780_000_000_123_456
let recorded = RecordedMessages()
let service = PressService(
    codec: codec,
    locator: FakeLocator(),
    publisher: FakePublisher(recorded: recorded),
    schemaID: 7,
    settings: .init(ackTimeout: .seconds(1), retryAfterSeconds: 5, cohorts: 4, alwaysSecureCookies: false),
    logger: Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() },
    clock: { now }
)
let routes: [(String, String)] = [
    ("POST", "/api/press"), ("POST", "/api/enter"), ("GET", "/api/health"), ("GET", "/api/press"),
    ("HEAD", "/api/health"), ("POST", "/nothing"), ("post", "/api/press"), ("", ""),
]
/// Client addresses; the oracle looks for the longer ones in every answer.
let addresses = [
    "130.149.0.1", "2001:db8:85a3::8a2e:370:7334", "::ffff:81.2.69.160", "203.0.113.5",
    "not an address", "", "1.2.3", "fe80::1%eth0",
]
let validCookie = codec.seal(
    Session(
        id: UUID(uuid: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)),
        cohort: 2,
        countryName: "Japan",
        countryCode: "JP",
        subdivisionName: "Tokyo",
        subdivisionCode: "13",
        cityName: "Tokyo",
        startedAt: now / 1_000_000 - 60,
        presses: 41
    )
)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    guard input.count >= 3 else { return 0 }
    let (method, path) = routes[Int(input[0]) % routes.count]
    let address = addresses[Int(input[1]) % addresses.count]
    let flags = input[2]
    let rest = input.dropFirst(3)
    let paramText = rest.prefix { $0 != 0 }
    let body = Array(rest.dropFirst(paramText.count + 1))

    var params: [(name: String, value: [UInt8])] = []
    for line in paramText.split(separator: UInt8(ascii: "\n")) {
        let name = line.prefix { $0 != UInt8(ascii: "=") }
        params.append((String(decoding: name, as: UTF8.self), Array(line.dropFirst(name.count + 1))))
    }
    params += [
        ("REQUEST_METHOD", Array(method.utf8)), ("DOCUMENT_URI", Array(path.utf8)),
        ("REMOTE_ADDR", Array(address.utf8)),
    ]
    if flags & 1 != 0 { params.append(("HTTP_HX_REQUEST", Array("true".utf8))) }
    if flags & 2 != 0 { params.append(("HTTPS", Array("on".utf8))) }
    if flags & 8 != 0 { params.append(("HTTP_COOKIE", Array("button_session=\(validCookie)".utf8))) }
    recorded.reset(accepting: flags & 4 == 0)

    let request = FastCGIRequest(params: params, body: body)
    var timing = PressTiming(start: PressTiming.now())
    let response = service.answer(request, timing: &timing)

    require([200, 303, 400, 404, 405, 413, 503].contains(response.status), "a known status, got \(response.status)")
    // The client address never reaches an answer (unless the fuzzer wrote it there itself).
    if address.utf8.count >= 7, !contains(input[...], Array(address.utf8)) {
        require(!contains(response.serialized[...], Array(address.utf8)), "the client address is not in the answer")
    }
    let messages = recorded.messages
    guard response.status == 200 || response.status == 303 else {
        require(messages.isEmpty, "a refused request publishes nothing")
        return 0
    }
    if case .success(.health) = PressRoute.match(method: request.method, path: request.path) {
        require(messages.isEmpty, "health publishes nothing")
        return 0
    }
    require(messages.count == 1, "an answered press published exactly one message, got \(messages.count)")
    let (key, value) = messages[0]
    let framed = requireNoThrow("the message is framed") { try ConfluentWireFormat.unframe(value) }
    require(framed.schemaID == 7, "the message names the registered schema")
    let decoded = requireNoThrow("the body decodes with the event schema") { try PressEvent.schema.decode(framed.body) }
    guard let event = PressEvent(decoded) else {
        require(false, "the body is an event")
        return 0
    }
    require(Array(event.sessionID.uuidString.lowercased().utf8) == key, "the key is the event's session id")
    require(event.timestamp == now, "the event has the request's time")
    // The Set-Cookie opens with the same codec, into the event's session.
    let setCookie = response.header("Set-Cookie") ?? ""
    let cookieValue = setCookie.split(separator: ";").first.map { $0.dropFirst("button_session=".count) } ?? ""
    let session = codec.open(Substring(cookieValue), now: now / 1_000_000)
    require(session?.id == event.sessionID, "the cookie opens into the event's session")
    return 0
}

/// Whether `needle` occurs in `haystack`.
func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    var start = haystack.startIndex
    while start + needle.count <= haystack.endIndex {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        start += 1
    }
    return false
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// The requests nginx passes for each route, with and without a session.
func seeds() -> [[UInt8]] {
    let nginx = Array(
        "HTTP_HOST=localhost\nHTTP_USER_AGENT=Mozilla/5.0\nCONTENT_TYPE=application/x-www-form-urlencoded\nQUERY_STRING=\nSERVER_PROTOCOL=HTTP/1.1"
            .utf8
    )
    return [
        [0, 0, 1] + nginx, [0, 1, 9] + nginx, [1, 2, 1] + nginx, [0, 3, 0] + nginx + [0] + Array("pressed=1".utf8),
        [2, 0, 0], [3, 0, 1], [4, 1, 0], [5, 0, 1], [0, 4, 1], [0, 5, 1], [0, 0, 5] + nginx, [0, 0, 11],
        [0, 0, 1] + Array("HTTP_COOKIE=button_session=v1.AAAA.BBBB\nHTTP_X=".utf8) + [0xFF],
    ]
}
