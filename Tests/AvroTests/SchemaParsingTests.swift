import Avro
import Testing

@Suite struct SchemaParsingTests {
    @Test func parsesTheEventSchema() throws {
        let schema = try Fixtures.schema(Fixtures.buttonPressV1)
        #expect(schema.fullName == "io.button.ButtonPress")
        #expect(
            schema.canonicalForm
                == #"{"name":"io.button.ButtonPress","type":"record","fields":[{"name":"session_id","type":"string"},"#
                + #"{"name":"timestamp","type":"long"},{"name":"action","type":{"name":"io.button.Action","type":"enum","#
                + #""symbols":["EnterPage","PressButton"]}},{"name":"country_name","type":"string"},"#
                + #"{"name":"country_code","type":"string"},{"name":"subdivision_name","type":"string"},"#
                + #"{"name":"subdivision_code","type":"string"},{"name":"city_name","type":"string"},"#
                + #"{"name":"cohort","type":["null","int"]}]}"#
        )
    }

    @Test func keepsLogicalTypesAsAttributes() throws {
        let schema = try Fixtures.schema(#"{"type":"long","logicalType":"timestamp-micros"}"#)
        #expect(schema.canonicalForm == #""long""#)
        #expect(schema.normalizedJSON == #"{"type":"long","logicalType":"timestamp-micros"}"#)
        let decimal = try Fixtures.schema(#"{"type":"bytes","scale":2,"logicalType":"decimal","precision":9}"#)
        #expect(decimal.normalizedJSON == #"{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}"#)
        // Logical types never change the encoding.
        #expect(try schema.encode(.long(1)) == [0x02])
    }

    @Test func resolvesNamesThroughNamespaces() throws {
        let schema = try Fixtures.schema(
            """
            {"type":"record","name":"Outer","namespace":"a.b","fields":[
              {"name":"inner","type":{"type":"record","name":"Inner","fields":[
                {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["X"]}},
                {"name":"other","type":{"type":"fixed","name":"c.d.Hash","size":2}},
                {"name":"local","type":{"type":"record","name":"Local","namespace":"","fields":[]}}
              ]}},
              {"name":"kindAgain","type":"Kind"},
              {"name":"kindFull","type":"a.b.Kind"},
              {"name":"hash","type":"c.d.Hash"},
              {"name":"local","type":"Local"},
              {"name":"asObject","type":{"type":"Inner"}}
            ]}
            """
        )
        let canonical = schema.canonicalForm
        #expect(canonical.contains(#"{"name":"a.b.Inner","type":"record""#))
        #expect(canonical.contains(#"{"name":"a.b.Kind","type":"enum""#))
        #expect(canonical.contains(#"{"name":"c.d.Hash","type":"fixed","size":2}"#))
        #expect(canonical.contains(#"{"name":"Local","type":"record","fields":[]}"#))
        #expect(canonical.contains(#"{"name":"kindAgain","type":"a.b.Kind"}"#))
        #expect(canonical.contains(#"{"name":"hash","type":"c.d.Hash"}"#))
        #expect(canonical.contains(#"{"name":"local","type":"Local"}"#))
        #expect(canonical.contains(#"{"name":"asObject","type":"a.b.Inner"}"#))
    }

    @Test func parsesRecursiveRecords() throws {
        let schema = try Fixtures.schema(
            """
            {"type":"record","name":"LinkedList","namespace":"x","fields":[
              {"name":"value","type":"int"},
              {"name":"next","type":["null","LinkedList"],"default":null}]}
            """
        )
        #expect(
            schema.canonicalForm
                == #"{"name":"x.LinkedList","type":"record","fields":[{"name":"value","type":"int"},"#
                + #"{"name":"next","type":["null","x.LinkedList"]}]}"#
        )
        let list = AvroValue.record(fields: [
            "value": .int(1),
            "next": .union(
                branch: 1,
                value: .record(fields: ["value": .int(2), "next": .union(branch: 0, value: .null)])
            ),
        ])
        let bytes = try schema.encode(list)
        #expect(bytes == [0x02, 0x02, 0x04, 0x00])
        #expect(try schema.decode(bytes) == list)
    }

    @Test func acceptsValidDefaults() throws {
        let schema = try Fixtures.schema(
            """
            {"type":"record","name":"D","fields":[
              {"name":"i","type":"int","default":-2147483648},
              {"name":"l","type":"long","default":9223372036854775807},
              {"name":"f","type":"float","default":1},
              {"name":"d","type":"double","default":1.5e3},
              {"name":"b","type":"boolean","default":true},
              {"name":"by","type":"bytes","default":"\\u00ff\\u0000"},
              {"name":"s","type":"string","default":"x"},
              {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"B"},"default":"A"},
              {"name":"a","type":{"type":"array","items":"int"},"default":[1,2]},
              {"name":"m","type":{"type":"map","values":"long"},"default":{"k":1}},
              {"name":"fx","type":{"type":"fixed","name":"F","size":2},"default":"ab"},
              {"name":"u","type":["string","null"],"default":"first"},
              {"name":"r","type":{"type":"record","name":"In","fields":[{"name":"x","type":"int","default":7}]},
               "default":{}}
            ]}
            """
        )
        // Missing fields are encoded from the defaults.
        let decoded = try schema.decode(try schema.encode(.record([])))
        #expect(decoded["i"] == .int(Int32.min))
        #expect(decoded["l"] == .long(Int64.max))
        #expect(decoded["f"] == .float(1))
        #expect(decoded["d"] == .double(1500))
        #expect(decoded["by"] == .bytes([0xFF, 0]))
        #expect(decoded["e"] == .enumSymbol("A"))
        #expect(decoded["a"] == .array([.int(1), .int(2)]))
        #expect(decoded["m"] == .map(["k": .long(1)]))
        #expect(decoded["fx"] == .fixed([0x61, 0x62]))
        #expect(decoded["u"] == .union(branch: 0, value: .string("first")))
        #expect(decoded["r"]?["x"] == .int(7))
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var json: String
        var code: AvroError.Code
        var message: String
        var testDescription: String { message }
    }

    static let invalidCases: [InvalidCase] = [
        .init(json: #"{"type":"record""#, code: .invalidJSON, message: "unexpected end of input"),
        .init(json: #"{"type":"int","type":"long"}"#, code: .invalidJSON, message: #"duplicate key "type""#),
        .init(json: #""int" x"#, code: .invalidJSON, message: "unexpected text after the JSON value"),
        .init(json: #"["int",]"#, code: .invalidJSON, message: "unexpected character ']'"),
        .init(json: #""\ud800""#, code: .invalidJSON, message: "unpaired surrogate"),
        .init(json: "01", code: .invalidJSON, message: "unexpected text after the JSON value"),
        .init(json: String(repeating: "[", count: 10_000), code: .invalidJSON, message: "nesting deeper than 200"),
        .init(json: "42", code: .invalidSchema, message: "found a number"),
        .init(json: #""strng""#, code: .invalidSchema, message: "top-level schema: unknown type 'strng'"),
        .init(json: #"{"items":"int"}"#, code: .invalidSchema, message: "missing 'type' attribute"),
        .init(json: #"{"type":{"type":"int"}}"#, code: .invalidSchema, message: "'type' must be a string"),
        .init(json: #"{"type":"array"}"#, code: .invalidSchema, message: "array is missing 'items'"),
        .init(
            json: #"{"type":"map","values":"nope"}"#,
            code: .invalidSchema,
            message: "map values: unknown type 'nope'"
        ),
        .init(json: #"{"type":"record","fields":[]}"#, code: .invalidSchema, message: "record is missing 'name'"),
        .init(json: #"{"type":"record","name":"R"}"#, code: .invalidSchema, message: "record 'R': missing 'fields'"),
        .init(
            json: #"{"type":"record","name":"1R","fields":[]}"#,
            code: .invalidSchema,
            message: "invalid record name '1R'"
        ),
        .init(
            json: #"{"type":"record","name":"R","namespace":"a..b","fields":[]}"#,
            code: .invalidSchema,
            message: "invalid record name 'a..b.R'"
        ),
        .init(
            json: #"{"type":"record","name":"int","fields":[]}"#,
            code: .invalidSchema,
            message: "may not use a primitive type name"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#,
            code: .invalidSchema,
            message: "record 'R': duplicate field 'a'"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"a-b","type":"int"}]}"#,
            code: .invalidSchema,
            message: "invalid field name 'a-b'"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"a"}]}"#,
            code: .invalidSchema,
            message: "field 'a' of record 'R': missing 'type'"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","order":"up"}]}"#,
            code: .invalidSchema,
            message: "'order' must be"
        ),
        .init(
            json: """
                {"type":"record","name":"R","fields":[
                  {"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}},
                  {"name":"b","type":{"type":"fixed","name":"E","size":1}}]}
                """,
            code: .invalidSchema,
            message: "field 'b' of record 'R': duplicate definition of type 'E'"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"a","type":"Later"}]}"#,
            code: .invalidSchema,
            message: "field 'a' of record 'R': unknown type 'Later'"
        ),
        .init(
            json: #"{"type":"enum","name":"E","symbols":["A","A"]}"#,
            code: .invalidSchema,
            message: "enum 'E': duplicate symbol 'A'"
        ),
        .init(json: #"{"type":"enum","name":"E"}"#, code: .invalidSchema, message: "enum 'E': missing 'symbols'"),
        .init(
            json: #"{"type":"enum","name":"E","symbols":["1A"]}"#,
            code: .invalidSchema,
            message: #"symbol "1A" is not a valid name"#
        ),
        .init(
            json: #"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#,
            code: .invalidSchema,
            message: #"enum 'E': default "B" is not one of the symbols"#
        ),
        .init(json: #"{"type":"fixed","name":"F"}"#, code: .invalidSchema, message: "'size' must be a non-negative"),
        .init(
            json: #"{"type":"fixed","name":"F","size":-1}"#,
            code: .invalidSchema,
            message: "'size' must be a non-negative"
        ),
        .init(
            json: #"{"type":"fixed","name":"F","size":1.5}"#,
            code: .invalidSchema,
            message: "'size' must be a non-negative"
        ),
        .init(json: #"["null",["int"]]"#, code: .invalidSchema, message: "may not immediately contain another union"),
        .init(
            json: #"["int","string","int"]"#,
            code: .invalidSchema,
            message: "union contains type 'int' more than once"
        ),
        .init(
            json: #"["string",{"type":"string","logicalType":"uuid"}]"#,
            code: .invalidSchema,
            message: "union contains type 'string' more than once"
        ),
        .init(
            json: #"[{"type":"array","items":"int"},{"type":"array","items":"long"}]"#,
            code: .invalidSchema,
            message: "union contains type 'array' more than once"
        ),
        .init(
            json: #"[{"type":"enum","name":"E","symbols":["A"]},"E"]"#,
            code: .invalidSchema,
            message: "union contains type 'E' more than once"
        ),
        .init(
            json: #"{"type":"int","logicalType":7}"#,
            code: .invalidSchema,
            message: "'logicalType' must be a string"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[],"aliases":["ok","not ok"]}"#,
            code: .invalidSchema,
            message: "invalid alias 'not ok'"
        ),
        .init(
            json: Fixtures.buttonPressV1.replacing(#""default":null"#, with: #""default":1"#),
            code: .invalidSchema,
            message:
                "field 'cohort' of record 'io.button.ButtonPress': default must match the first union branch 'null'"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"n","type":"int","default":"1"}]}"#,
            code: .invalidSchema,
            message:
                "field 'n' of record 'R': default must be an integer in the 32-bit range for type 'int', found a string"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"n","type":"int","default":2147483648}]}"#,
            code: .invalidSchema,
            message: "default must be an integer in the 32-bit range"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"n","type":"long","default":1.5}]}"#,
            code: .invalidSchema,
            message: "default must be an integer in the 64-bit range"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"n","type":"double","default":1e999}]}"#,
            code: .invalidSchema,
            message: "default must be a finite number"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"n","type":"bytes","default":"\u20ac"}]}"#,
            code: .invalidSchema,
            message: "field 'n' of record 'R': default must be a string of code points"
        ),
        .init(
            json: #"{"type":"record","name":"R","fields":[{"name":"b","type":"boolean","default":"true"}]}"#,
            code: .invalidSchema,
            message: "default must be true or false"
        ),
        .init(
            json: """
                {"type":"record","name":"R","fields":[
                  {"name":"e","type":{"type":"enum","name":"E","symbols":["A"]},"default":"Z"}]}
                """,
            code: .invalidSchema,
            message: "default 'Z' is not a symbol of enum 'E'"
        ),
        .init(
            json:
                #"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"int"},"default":["x"]}]}"#,
            code: .invalidSchema,
            message: "field 'a' of record 'R': default must be an integer in the 32-bit range"
        ),
        .init(
            json:
                #"{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"fixed","name":"F","size":2},"default":"a"}]}"#,
            code: .invalidSchema,
            message: "default must be a string of 2 code points"
        ),
        .init(
            json: """
                {"type":"record","name":"R","fields":[
                  {"name":"r","type":{"type":"record","name":"In","fields":[{"name":"x","type":"int"}]},"default":{}}]}
                """,
            code: .invalidSchema,
            message: "default for record 'In' lacks field 'x', which has no default"
        ),
        .init(
            json: """
                {"type":"record","name":"Loop","fields":[
                  {"name":"a","type":"Loop","default":{}},{"name":"b","type":"Loop","default":{}}]}
                """,
            code: .invalidSchema,
            message: "too large or too deep"
        ),
    ]

    @Test(arguments: invalidCases) func rejectsInvalidSchemas(_ invalid: InvalidCase) {
        do {
            let schema = try AvroSchema(parsing: invalid.json)
            Issue.record("parsed an invalid schema: \(schema)")
        } catch let error as AvroError {
            #expect(error.code == invalid.code)
            #expect(error.message.contains(invalid.message), "\(error.message)")
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }

    @Test func errorDescriptionNamesCodeAndMessage() {
        let error = AvroError(.invalidSchema, "field 'x': bad")
        #expect(error.description == "Avro invalidSchema error: field 'x': bad")
    }
}
