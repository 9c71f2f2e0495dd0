import Avro
import Testing

@Suite struct BinaryEncodingTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var schema: String
        var value: AvroValue
        var bytes: [UInt8]
        var testDescription: String { "\(schema) \(value)" }
    }

    /// Byte vectors from the specification's encoding examples and hand-checked ones.
    static let vectors: [Vector] = [
        .init(schema: #""null""#, value: .null, bytes: []),
        .init(schema: #""boolean""#, value: .boolean(true), bytes: [1]),
        .init(schema: #""boolean""#, value: .boolean(false), bytes: [0]),
        .init(schema: #""long""#, value: .long(0), bytes: [0x00]),
        .init(schema: #""long""#, value: .long(-1), bytes: [0x01]),
        .init(schema: #""long""#, value: .long(1), bytes: [0x02]),
        .init(schema: #""long""#, value: .long(-2), bytes: [0x03]),
        .init(schema: #""long""#, value: .long(2), bytes: [0x04]),
        .init(schema: #""long""#, value: .long(-64), bytes: [0x7F]),
        .init(schema: #""long""#, value: .long(64), bytes: [0x80, 0x01]),
        .init(
            schema: #""long""#,
            value: .long(Int64.max),
            bytes: [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        ),
        .init(
            schema: #""long""#,
            value: .long(Int64.min),
            bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        ),
        .init(schema: #""int""#, value: .int(1), bytes: [0x02]),
        .init(schema: #""int""#, value: .int(-1), bytes: [0x01]),
        .init(schema: #""int""#, value: .int(Int32.max), bytes: [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),
        .init(schema: #""int""#, value: .int(Int32.min), bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        .init(schema: #""float""#, value: .float(1), bytes: [0x00, 0x00, 0x80, 0x3F]),
        .init(schema: #""double""#, value: .double(1), bytes: [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]),
        .init(schema: #""double""#, value: .double(-2.5), bytes: [0, 0, 0, 0, 0, 0, 0x04, 0xC0]),
        .init(schema: #""string""#, value: .string("foo"), bytes: [0x06, 0x66, 0x6F, 0x6F]),
        .init(schema: #""string""#, value: .string(""), bytes: [0x00]),
        .init(schema: #""string""#, value: .string("é"), bytes: [0x04, 0xC3, 0xA9]),
        .init(schema: #""bytes""#, value: .bytes([0xDE, 0xAD]), bytes: [0x04, 0xDE, 0xAD]),
        .init(
            schema:
                #"{"type":"record","name":"test","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}"#,
            value: .record(fields: ["a": .long(27), "b": .string("foo")]),
            bytes: [0x36, 0x06, 0x66, 0x6F, 0x6F]
        ),
        .init(
            schema: #"{"type":"enum","name":"Foo","symbols":["A","B","C","D"]}"#,
            value: .enumSymbol("D"),
            bytes: [0x06]
        ),
        .init(
            schema: #"{"type":"array","items":"long"}"#,
            value: .array([.long(3), .long(27)]),
            bytes: [0x04, 0x06, 0x36, 0x00]
        ),
        .init(schema: #"{"type":"array","items":"long"}"#, value: .array([]), bytes: [0x00]),
        .init(
            schema: #"{"type":"map","values":"int"}"#,
            value: .map(["b": .int(2), "a": .int(1)]),
            bytes: [0x04, 0x02, 0x61, 0x02, 0x02, 0x62, 0x04, 0x00]
        ),
        .init(schema: #"["null","string"]"#, value: .union(branch: 0, value: .null), bytes: [0x00]),
        .init(
            schema: #"["null","string"]"#,
            value: .union(branch: 1, value: .string("a")),
            bytes: [0x02, 0x02, 0x61]
        ),
        .init(schema: #"{"type":"fixed","name":"F","size":3}"#, value: .fixed([1, 2, 3]), bytes: [1, 2, 3]),
    ]

    @Test(arguments: vectors) func encodesAndDecodesKnownVectors(_ vector: Vector) throws {
        let schema = try AvroSchema(parsing: vector.schema)
        #expect(try schema.encode(vector.value) == vector.bytes)
        #expect(try schema.decode(vector.bytes) == vector.value)
    }

    @Test func roundTripsTheEvent() throws {
        let schema = try AvroSchema(parsing: Fixtures.buttonPressV1)
        let event = Fixtures.event()
        let bytes = try schema.encode(event)
        let decoded = try schema.decode(bytes)
        #expect(decoded == event)
        #expect(decoded["cohort"] == .union(branch: 1, value: .int(3)))
        #expect(decoded["cohort"]?.integerValue == 3)
        #expect(decoded["action"]?.stringValue == "PressButton")
        #expect(decoded["timestamp"]?.integerValue == 1_732_500_000_123_456)
        #expect(decoded["missing"] == nil)
    }

    @Test func roundTripsNonFiniteAndExtremeFloats() throws {
        let float = try AvroSchema(parsing: #""float""#)
        let double = try AvroSchema(parsing: #""double""#)
        for number in [Float.infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0.0] {
            #expect(try float.decode(try float.encode(.float(number))) == .float(number))
        }
        for number in [Double.infinity, -.infinity, .leastNonzeroMagnitude, .pi] {
            #expect(try double.decode(try double.encode(.double(number))) == .double(number))
        }
        guard case .double(let nan) = try double.decode(try double.encode(.double(.nan))) else {
            Issue.record("not a double")
            return
        }
        #expect(nan.isNaN)
    }

    @Test func roundTripsNestedStructures() throws {
        let schema = try AvroSchema(
            parsing: """
                {"type":"record","name":"All","fields":[
                  {"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"i","type":"int"},
                  {"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},
                  {"name":"by","type":"bytes"},{"name":"s","type":"string"},
                  {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
                  {"name":"a","type":{"type":"array","items":{"type":"map","values":["null","E"]}}},
                  {"name":"fx","type":{"type":"fixed","name":"F","size":2}},
                  {"name":"u","type":["null","F",{"type":"array","items":"string"}]}
                ]}
                """
        )
        let value = AvroValue.record(fields: [
            "n": .null, "b": .boolean(true), "i": .int(-5), "l": .long(1 << 40), "f": .float(0.5),
            "d": .double(-0.25), "by": .bytes([0, 255]), "s": .string("ü🙂"), "e": .enumSymbol("Y"),
            "a": .array([.map(["k": .union(branch: 1, value: .enumSymbol("X")), "z": .union(branch: 0, value: .null)])]
            ),
            "fx": .fixed([9, 8]),
            "u": .union(branch: 2, value: .array([.string("p"), .string("q")])),
        ])
        #expect(try schema.decode(try schema.encode(value)) == value)
    }

    @Test func picksTheFirstMatchingUnionBranchForBareValues() throws {
        let schema = try AvroSchema(parsing: #"["null","int","long","string"]"#)
        #expect(try schema.encode(.null) == [0x00])
        #expect(try schema.encode(.int(1)) == [0x02, 0x02])
        #expect(try schema.encode(.long(1)) == [0x04, 0x02])
        #expect(try schema.encode(.string("a")) == [0x06, 0x02, 0x61])
        let event = try AvroSchema(parsing: Fixtures.buttonPressV1)
        #expect(try event.encode(Fixtures.event(cohort: .int(3))) == event.encode(Fixtures.event()))
    }

    @Test func fillsMissingFieldsFromDefaults() throws {
        let v2 = try AvroSchema(parsing: Fixtures.buttonPressV2)
        guard case .record(var fields) = Fixtures.event() else { return }
        fields.removeAll { $0.name == "cohort" }
        let decoded = try v2.decode(try v2.encode(.record(fields)))
        #expect(decoded["cohort"] == .union(branch: 0, value: .null))
        #expect(decoded["page_variant"] == .string(""))
    }

    struct Mismatch: Sendable, CustomTestStringConvertible {
        var schema: String
        var value: AvroValue
        var message: String
        var testDescription: String { message }
    }

    static let mismatches: [Mismatch] = [
        .init(
            schema: #""int""#,
            value: .long(1),
            message: "at /: schema type 'int' cannot encode a value of kind long"
        ),
        .init(schema: #""long""#, value: .string("1"), message: "cannot encode a value of kind string"),
        .init(schema: #"["null","int"]"#, value: .string("x"), message: "fits no branch of union [null, int]"),
        .init(
            schema: #"["null","int"]"#,
            value: .union(branch: 2, value: .null),
            message: "union branch 2 does not exist"
        ),
        .init(
            schema: #"["null","int"]"#,
            value: .union(branch: 1, value: .null),
            message: "schema type 'int' cannot encode"
        ),
        .init(
            schema: #"{"type":"enum","name":"E","symbols":["A"]}"#,
            value: .enumSymbol("B"),
            message: "symbol is not one of the symbols of enum 'E'"
        ),
        .init(
            schema: #"{"type":"fixed","name":"F","size":2}"#,
            value: .fixed([1]),
            message: "needs 2 bytes, value has 1"
        ),
        .init(
            schema: #"{"type":"array","items":"int"}"#,
            value: .array([.int(1), .string("x")]),
            message: "at /1: schema type 'int'"
        ),
        .init(
            schema: #"{"type":"map","values":"int"}"#,
            value: .map(["k": .null]),
            message: "at /k: schema type 'int'"
        ),
        .init(
            schema: Fixtures.buttonPressV1,
            value: .record(fields: ["session_id": .string("x")]),
            message: "at /timestamp: field 'timestamp' of record 'io.button.ButtonPress' is missing and has no default"
        ),
        .init(
            schema: #"{"type":"record","name":"R","fields":[]}"#,
            value: .record(fields: ["typo": .null]),
            message: "record 'R' has no field 'typo'"
        ),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
            value: .record(fields: ["a": .int(1), "a": .int(2)]),
            message: "field 'a' appears more than once"
        ),
        .init(
            schema:
                #"{"type":"record","name":"R","fields":[{"name":"in","type":{"type":"record","name":"In","fields":[{"name":"x","type":"int"}]}}]}"#,
            value: .record(fields: ["in": .record(fields: ["x": .boolean(true)])]),
            message: "at /in/x: schema type 'int' cannot encode a value of kind boolean"
        ),
    ]

    @Test(arguments: mismatches) func rejectsValuesThatDoNotMatch(_ mismatch: Mismatch) throws {
        let schema = try AvroSchema(parsing: mismatch.schema)
        do {
            let bytes = try schema.encode(mismatch.value)
            Issue.record("encoded a mismatching value as \(bytes)")
        } catch let error as AvroError {
            #expect(error.code == .encoding)
            #expect(error.message.contains(mismatch.message), "\(error.message)")
        }
    }
}
