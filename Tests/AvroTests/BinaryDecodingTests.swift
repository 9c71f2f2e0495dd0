import Avro
import Testing

@Suite struct BinaryDecodingTests {
    struct Malformed: Sendable, CustomTestStringConvertible {
        var schema: String
        var bytes: [UInt8]
        var message: String
        var testDescription: String { message }
    }

    static let malformed: [Malformed] = [
        .init(schema: #""long""#, bytes: [], message: "at byte offset 0: truncated input inside a varint"),
        .init(schema: #""long""#, bytes: [0x80, 0x80], message: "truncated input inside a varint"),
        .init(
            schema: #""long""#,
            bytes: Array(repeating: 0x80, count: 10) + [0x01],
            message: "varint overflows 64 bits"
        ),
        .init(
            schema: #""long""#,
            bytes: Array(repeating: 0xFF, count: 9) + [0x02],
            message: "varint overflows 64 bits"
        ),
        .init(schema: #""int""#, bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], message: "varint longer than 5 bytes"),
        .init(schema: #""int""#, bytes: [0xFE, 0xFF, 0xFF, 0xFF, 0x1F], message: "int value out of 32-bit range"),
        .init(schema: #""long""#, bytes: [0x02, 0x00], message: "1 trailing bytes after the value"),
        .init(schema: #""boolean""#, bytes: [0x02], message: "invalid boolean byte 2"),
        .init(schema: #""boolean""#, bytes: [], message: "truncated input"),
        .init(schema: #""float""#, bytes: [0, 0, 0x80], message: "needed 4 bytes, 3 remain"),
        .init(schema: #""double""#, bytes: [0, 0, 0, 0], message: "needed 8 bytes, 4 remain"),
        .init(schema: #""string""#, bytes: [0x01], message: "negative length -1"),
        .init(schema: #""bytes""#, bytes: [0x03, 0x00], message: "negative length -2"),
        .init(schema: #""string""#, bytes: [0x08, 0x61], message: "length 4 exceeds the 1 remaining bytes"),
        .init(
            schema: #""bytes""#,
            bytes: [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            message: "length 9223372036854775807 exceeds"
        ),
        .init(schema: #""string""#, bytes: [0x04, 0xC3, 0x28], message: "at byte offset 0: string is not valid UTF-8"),
        .init(schema: #""string""#, bytes: [0x02, 0xFF], message: "string is not valid UTF-8"),
        .init(schema: #"["null","int"]"#, bytes: [0x04], message: "union index 2 out of range"),
        .init(schema: #"["null","int"]"#, bytes: [0x01], message: "union index -1 out of range"),
        .init(schema: #"["null","int"]"#, bytes: [0x02], message: "truncated input inside a varint"),
        .init(schema: "[]", bytes: [0x00], message: "union index 0 out of range"),
        .init(
            schema: #"{"type":"enum","name":"E","symbols":["A"]}"#,
            bytes: [0x02],
            message: "enum index 1 out of range"
        ),
        .init(schema: #"{"type":"fixed","name":"F","size":4}"#, bytes: [1, 2], message: "needed 4 bytes, 2 remain"),
        .init(schema: #"{"type":"array","items":"long"}"#, bytes: [0x04, 0x02], message: "block claims 2 items"),
        .init(
            schema: #"{"type":"array","items":"long"}"#,
            bytes: [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x02],
            message: "block claims 9223372036854775807 items but only 1 bytes remain"
        ),
        .init(
            schema: #"{"type":"array","items":"null"}"#,
            bytes: [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            message: "more than the limit"
        ),
        .init(
            schema: #"{"type":"array","items":"long"}"#,
            bytes: [0x02, 0x02],
            message: "truncated input inside a varint"
        ),
        .init(
            schema: #"{"type":"array","items":"long"}"#,
            bytes: [0x03, 0x10, 0x02, 0x00],
            message: "block size 8 is negative or exceeds the 2 remaining bytes"
        ),
        .init(
            schema: #"{"type":"array","items":"long"}"#,
            bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            message: "invalid block count"
        ),
        .init(
            schema: #"{"type":"map","values":"null"}"#,
            bytes: [0x02, 0x02],
            message: "length 1 exceeds the 0 remaining bytes"
        ),
        .init(schema: #"{"type":"map","values":"null"}"#, bytes: [0x06, 0x00, 0x00], message: "block claims 3 items"),
        .init(
            schema: #"{"type":"map","values":"int"}"#,
            bytes: [0x02, 0x02, 0xFF, 0x00, 0x00],
            message: "not valid UTF-8"
        ),
        .init(
            schema: Fixtures.buttonPressV1,
            bytes: [0x02, 0x61],
            message: "truncated input inside a varint"
        ),
    ]

    @Test(arguments: malformed) func rejectsMalformedInput(_ input: Malformed) throws {
        let schema = try AvroSchema(parsing: input.schema)
        do {
            let value = try schema.decode(input.bytes)
            Issue.record("decoded malformed input as \(value)")
        } catch let error as AvroError {
            #expect(error.code == .decoding)
            #expect(error.message.contains(input.message), "\(error.message)")
        }
    }

    @Test func readsNegativeBlockCountsWithSizes() throws {
        let schema = try AvroSchema(parsing: #"{"type":"array","items":"long"}"#)
        // Count -2 (zig-zag 0x03), byte size 2, items 3 and 27, then an ordinary block of one item.
        #expect(
            try schema.decode([0x03, 0x04, 0x06, 0x36, 0x02, 0x02, 0x00])
                == .array([.long(3), .long(27), .long(1)])
        )
    }

    @Test func acceptsNonMinimalVarints() throws {
        let schema = try AvroSchema(parsing: #""long""#)
        #expect(try schema.decode([0x82, 0x00]) == .long(1))
    }

    @Test func rejectsNestingBeyondTheLimitWithoutCrashing() throws {
        let schema = try AvroSchema(
            parsing: #"{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}"#
        )
        // Each node is one union index byte; 100_000 nodes would blow the stack if followed.
        let deep = [UInt8](repeating: 0x02, count: 100_000) + [0x00]
        #expect(throws: AvroError.self) { try schema.decode(deep) }
        // A shallow list is fine.
        let shallow = [UInt8](repeating: 0x02, count: 100) + [0x00]
        let value = try schema.decode(shallow)
        #expect(try schema.encode(value) == shallow)
    }

    @Test func decodesNestingUpToTheLimit() throws {
        let schema = try AvroSchema(
            parsing: #"{"type":"record","name":"T","fields":[{"name":"c","type":{"type":"array","items":"T"}}]}"#
        )
        func tree(levels: Int) -> [UInt8] {
            [UInt8](repeating: 0x02, count: levels) + [0x00] + [UInt8](repeating: 0x00, count: levels)
        }
        // Record and array each count one level; 127 children put the last record at depth 254.
        let value = try schema.decode(tree(levels: 127))
        #expect(try schema.encode(value) == tree(levels: 127))
        #expect(throws: AvroError.self) { try schema.decode(tree(levels: 128)) }
        #expect(throws: AvroError.self) { try schema.decode(tree(levels: 50_000)) }
        // Rendering and comparing the deepest accepted value must not overflow either.
        #expect(value.jsonString().count > 127)
        #expect(value == (try schema.decode(tree(levels: 127))))
    }

    @Test func survivesRandomInput() throws {
        let schema = try AvroSchema(parsing: Fixtures.buttonPressV1)
        let valid = try schema.encode(Fixtures.event())
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            _ = try? schema.decode(bytes)
        }
        for length in 0..<valid.count {
            #expect(throws: AvroError.self) { try schema.decode(Array(valid.prefix(length))) }
        }
    }

    @Test func decodesSlices() throws {
        let schema = try AvroSchema(parsing: #""string""#)
        let framed: [UInt8] = [9, 9, 0x06, 0x66, 0x6F, 0x6F]
        #expect(try schema.decode(framed[2...]) == .string("foo"))
        #expect(throws: AvroError.self) { try schema.decode(framed[2..<5]) }
    }
}
