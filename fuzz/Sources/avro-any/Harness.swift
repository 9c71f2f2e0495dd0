// Fuzzes the Avro binary decoder with any schema: every type, nesting, recursion, blocks.
//
// Input: byte 0 < 0x80 picks a built-in schema (byte 0 mod their count) and the rest is the
// body; otherwise the low 7 bits of byte 0 and byte 1 are the length of a schema text that
// follows, then the body. The built-in schemas let the fuzzer reach deep decoding without
// first having to write a valid schema.
import Avro
import ButtonEvents
import Foundation
import FuzzSupport

let builtIn: [AvroSchema] = [
    #"{"type":"record","name":"all","namespace":"fuzz","fields":[{"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"by","type":"bytes"},{"name":"s","type":"string"},{"name":"e","type":{"type":"enum","name":"colour","symbols":["red","green","blue"]}},{"name":"fx","type":{"type":"fixed","name":"four","size":4}},{"name":"a","type":{"type":"array","items":"long"}},{"name":"m","type":{"type":"map","values":["null","string","colour"]}},{"name":"u","type":["null","int","string","four"]}]}"#,
    #"{"type":"record","name":"list","fields":[{"name":"value","type":"int"},{"name":"next","type":["null","list"]}]}"#,
    #"{"type":"array","items":{"type":"map","values":{"type":"array","items":"string"}}}"#,
    #"{"type":"map","values":"bytes"}"#,
    #"["null","double",{"type":"array","items":"float"},{"type":"map","values":"boolean"}]"#,
].compactMap { try? AvroSchema(parsing: $0) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    guard let first = input.first else { return 0 }
    let schema: AvroSchema
    let body: ArraySlice<UInt8>
    if first < 0x80 {
        require(builtIn.count == 5, "every built-in schema parses")
        schema = builtIn[Int(first) % builtIn.count]
        body = input.dropFirst()
    } else {
        guard input.count >= 2 else { return 0 }
        let length = Int(first & 0x7f) << 8 | Int(input[1])
        guard input.count >= 2 + length,
            let text = String(validating: input[2..<(2 + length)], as: UTF8.self),
            let parsed = try? AvroSchema(parsing: text)
        else { return 0 }
        schema = parsed
        body = input[(2 + length)...]
    }
    guard let value = try? schema.decode(body) else { return 0 }
    let encoded = requireNoThrow("a decoded value encodes") { try schema.encode(value) }
    require(encoded.count <= body.count, "re-encoding never grows")
    let again = requireNoThrow("a re-encoded value decodes") { try schema.decode(encoded) }
    require(same(again, value), "decode(encode(v)) == v")
    return 0
}

/// Equality that compares floating-point numbers by bit pattern, so a NaN equals itself.
func same(_ lhs: AvroValue, _ rhs: AvroValue) -> Bool {
    switch (lhs, rhs) {
    case (.float(let a), .float(let b)): return a.bitPattern == b.bitPattern
    case (.double(let a), .double(let b)): return a.bitPattern == b.bitPattern
    case (.record(let a), .record(let b)):
        return a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && same($0.value, $1.value) }
    case (.array(let a), .array(let b)):
        return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
    case (.map(let a), .map(let b)):
        return a.count == b.count && a.allSatisfy { key, value in b[key].map { same(value, $0) } ?? false }
    case (.union(let i, let a), .union(let j, let b)):
        return i == j && same(a, b)
    default:
        return lhs == rhs
    }
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// Values of the built-in schemas, and the event schema given as text.
func seeds() -> [[UInt8]] {
    let all: AvroValue = .record([
        .init("n", .null), .init("b", .boolean(true)), .init("i", .int(-3)), .init("l", .long(Int64.max)),
        .init("f", .float(1.5)), .init("d", .double(-0.0)), .init("by", .bytes([0, 255])), .init("s", .string("é")),
        .init("e", .enumSymbol("blue")), .init("fx", .fixed([1, 2, 3, 4])), .init("a", .array([.long(1), .long(-1)])),
        .init(
            "m",
            .map(["k": .union(branch: 1, value: .string("v")), "c": .union(branch: 2, value: .enumSymbol("red"))])
        ),
        .init("u", .union(branch: 3, value: .fixed([9, 9, 9, 9]))),
    ])
    let tail: AvroValue = .record([.init("value", .int(2)), .init("next", .union(branch: 0, value: .null))])
    let list: AvroValue = .record([.init("value", .int(1)), .init("next", .union(branch: 1, value: tail))])
    let nested: AvroValue = .array([.map(["k": .array([.string("x"), .string("")])]), .map([:])])
    let values: [(Int, AvroValue)] = [
        (0, all), (1, list), (2, nested), (3, .map(["a": .bytes([1, 2])])),
        (4, .union(branch: 2, value: .array([.float(.nan), .float(1)]))),
    ]
    var seeds = values.compactMap { index, value in
        (try? builtIn[index].encode(value)).map { [UInt8(index)] + $0 }
    }
    let text = Array(PressEvent.schemaJSON.utf8)
    let event = PressEvent(
        sessionID: UUID(uuid: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)),
        timestamp: 1,
        action: .enterPage,
        countryName: "Germany",
        countryCode: "DE",
        subdivisionName: "Berlin",
        subdivisionCode: "BE",
        cityName: "Berlin",
        cohort: 1
    )
    seeds.append([0x80 | UInt8(text.count >> 8), UInt8(text.count & 0xff)] + text + event.avroBody)
    return seeds
}
