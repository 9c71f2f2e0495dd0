// Fuzzes the stats page's request check (method, path and query string from nginx's params,
// before any query runs) against a model written from its documented rules: the page and
// its panels, GET or HEAD, at most 256 query bytes, only fake= and bots= with their
// spellings; every refusal a fixed message that never repeats the input.
import FuzzSupport

@testable import Stats

/// Input: byte 0 picks the method; the rest is the path, then (after a NUL, if any) the query.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    guard let first = input.first else { return 0 }
    let methods: [String?] = [nil, "GET", "HEAD", "POST", "PUT", "get", "DELETE", "OPTIONS"]
    let method = methods[Int(first) % methods.count]
    let rest = input.dropFirst()
    let split = rest.firstIndex(of: 0)
    let pathBytes = split.map { rest[..<$0] } ?? rest
    let query = split.map { rest[($0 + 1)...] }
    let path = first & 0x80 == 0 ? String(decoding: pathBytes, as: UTF8.self) : nil

    let result = StatsRequest.parse(method: method, path: path, query: query)
    let expected = model(method: method, path: path, query: query.map(Array.init))
    switch (result, expected) {
    case (.success(let request), .success(let wanted)):
        require(request == wanted, "the request the model reads")
    case (.failure(let refusal), .failure(let wanted)):
        require(refusal.status == wanted.status, "the model's refusal status")
        require(messages.contains(refusal.message), "a fixed message, never the input")
        require((refusal.allow != nil) == (refusal.status == 405), "Allow only with 405")
    default:
        require(false, "accepted iff the model accepts")
    }
    return 0
}

/// Every refusal message the page may give.
let messages: Set<String> = [
    "The request has no path.", "There is no such panel.", "There is no such stats page.",
    "Stats pages can only be read (GET).", "That query string is too long.",
    "Unknown query parameter: the stats page takes only fake=1|0 and bots=1|0.",
]

/// The documented rules, written independently of the parser.
func model(method: String?, path: String?, query: [UInt8]?) -> Result<StatsRequest, ModelRefusal> {
    guard let path else { return .failure(ModelRefusal(400)) }
    let target: StatsRequest.Target
    if path == "/stats" || path == "/stats/" {
        target = .page
    } else if path.hasPrefix("/stats/panel/") {
        let name = String(path.dropFirst(13))
        guard let kind = PanelKind.allCases.first(where: { $0.rawValue == name }) else {
            return .failure(ModelRefusal(404))
        }
        target = .panel(kind)
    } else {
        return .failure(ModelRefusal(404))
    }
    guard method == "GET" || method == "HEAD" else { return .failure(ModelRefusal(405)) }
    let text = query ?? []
    guard text.count <= 256 else { return .failure(ModelRefusal(414)) }
    var fake = false
    var bots = false
    // Bytes, not Characters: an "&" followed by a combining mark is one Character.
    for pair in text.split(separator: UInt8(ascii: "&")) {
        switch spellings[Array(pair)] {
        case .fake(let on): fake = on
        case .bots(let on): bots = on
        case nil: return .failure(ModelRefusal(400))
        }
    }
    return .success(StatsRequest(target: target, includeFake: fake, includeBots: bots))
}

/// The query's one setting per pair.
enum Setting {
    case fake(Bool)
    case bots(Bool)
}

/// Every spelling the page documents.
let spellings: [[UInt8]: Setting] = {
    var table: [[UInt8]: Setting] = [:]
    for (name, make) in [("fake", Setting.fake), ("bots", Setting.bots)] {
        for on in ["1", "on", "true"] { table[Array("\(name)=\(on)".utf8)] = make(true) }
        for off in ["0", "", "off", "false"] { table[Array("\(name)=\(off)".utf8)] = make(false) }
    }
    return table
}()

/// The model's refusal: a status only.
struct ModelRefusal: Error, Equatable {
    var status: Int
    init(_ status: Int) { self.status = status }
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// The page, every panel, the query spellings and near misses.
func seeds() -> [[UInt8]] {
    var seeds: [[UInt8]] = [
        [1] + Array("/stats".utf8), [2] + Array("/stats/\0fake=1&bots=0".utf8),
        [1] + Array("/stats\0fake=1&&bots=on&fake=false".utf8), [3] + Array("/stats".utf8),
        [1] + Array("/stats\0fake=2".utf8), [1] + Array("/stats/panel/\0".utf8),
        [1] + Array("/stats\0".utf8) + [UInt8](repeating: UInt8(ascii: "&"), count: 300),
    ]
    for kind in PanelKind.allCases { seeds.append([1] + Array("/stats/panel/\(kind.rawValue)\0bots=1".utf8)) }
    return seeds
}
