import Avro
import Testing

@Suite struct CompatibilityTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var reader: String
        var writer: String
        /// `nil` when compatible, otherwise a fragment every... at least one reason contains.
        var reason: String?
        var testDescription: String { name }
    }

    private static func record(_ name: String, _ fields: String, extra: String = "") -> String {
        #"{"type":"record","name":"\#(name)"\#(extra),"fields":[\#(fields)]}"#
    }

    static let cases: [Case] = [
        // Primitives and promotions.
        .init(name: "same primitive", reader: #""string""#, writer: #""string""#),
        .init(name: "int to long", reader: #""long""#, writer: #""int""#),
        .init(name: "int to float", reader: #""float""#, writer: #""int""#),
        .init(name: "int to double", reader: #""double""#, writer: #""int""#),
        .init(name: "long to float", reader: #""float""#, writer: #""long""#),
        .init(name: "long to double", reader: #""double""#, writer: #""long""#),
        .init(name: "float to double", reader: #""double""#, writer: #""float""#),
        .init(name: "string to bytes", reader: #""bytes""#, writer: #""string""#),
        .init(name: "bytes to string", reader: #""string""#, writer: #""bytes""#),
        .init(
            name: "long to int",
            reader: #""int""#,
            writer: #""long""#,
            reason: "/: reader type 'int' cannot read writer type 'long'"
        ),
        .init(name: "double to float", reader: #""float""#, writer: #""double""#, reason: "cannot read writer type"),
        .init(name: "int to string", reader: #""string""#, writer: #""int""#, reason: "cannot read writer type"),
        .init(name: "null to boolean", reader: #""boolean""#, writer: #""null""#, reason: "cannot read writer type"),
        .init(
            name: "logical types are ignored",
            reader: #"{"type":"long","logicalType":"timestamp-micros"}"#,
            writer: #"{"type":"long","logicalType":"timestamp-millis"}"#
        ),
        .init(
            name: "logical type on promoted writer",
            reader: #"{"type":"long","logicalType":"timestamp-micros"}"#,
            writer: #""int""#
        ),
        // Records.
        .init(
            name: "record field promoted",
            reader: record("R", #"{"name":"a","type":"long"}"#),
            writer: record("R", #"{"name":"a","type":"int"}"#)
        ),
        .init(
            name: "record field incompatible",
            reader: record("R", #"{"name":"a","type":"int"}"#),
            writer: record("R", #"{"name":"a","type":"string"}"#),
            reason: "/fields/a: reader type 'int' cannot read writer type 'string'"
        ),
        .init(
            name: "reader field missing with default",
            reader: record("R", #"{"name":"a","type":"int"},{"name":"b","type":"int","default":0}"#),
            writer: record("R", #"{"name":"a","type":"int"}"#)
        ),
        .init(
            name: "reader field missing without default",
            reader: record("R", #"{"name":"a","type":"int"},{"name":"b","type":"int"}"#),
            writer: record("R", #"{"name":"a","type":"int"}"#),
            reason: "/fields/b: reader field 'b' of record 'R' has no default"
        ),
        .init(
            name: "extra writer field",
            reader: record("R", #"{"name":"a","type":"int"}"#),
            writer: record("R", #"{"name":"a","type":"int"},{"name":"b","type":"string"}"#)
        ),
        .init(
            name: "field found through reader alias",
            reader: record("R", #"{"name":"new","type":"int","aliases":["old"]}"#),
            writer: record("R", #"{"name":"old","type":"int"}"#)
        ),
        .init(
            name: "field alias still checks the type",
            reader: record("R", #"{"name":"new","type":"int","aliases":["old"]}"#),
            writer: record("R", #"{"name":"old","type":"string"}"#),
            reason: "/fields/new: reader type 'int'"
        ),
        .init(
            name: "record names differ",
            reader: record("A", ""),
            writer: record("B", ""),
            reason: "/name: reader record 'A' does not match writer record 'B'"
        ),
        .init(
            name: "record name via reader alias",
            reader: record("New", "", extra: #","namespace":"n","aliases":["o.Old"]"#),
            writer: record("Old", "", extra: #","namespace":"o""#)
        ),
        .init(
            name: "record alias resolved against reader namespace",
            reader: record("New", "", extra: #","namespace":"n","aliases":["Old"]"#),
            writer: record("Old", "", extra: #","namespace":"n""#)
        ),
        .init(
            name: "record unqualified names match across namespaces (spec, Java)",
            reader: record("R", "", extra: #","namespace":"a""#),
            writer: record("R", "", extra: #","namespace":"b""#)
        ),
        .init(
            name: "nested record path",
            reader: record(
                "R",
                #"{"name":"in","type":{"type":"record","name":"In","fields":[{"name":"x","type":"int"}]}}"#
            ),
            writer: record("R", #"{"name":"in","type":{"type":"record","name":"In","fields":[]}}"#),
            reason: "/fields/in/fields/x: reader field 'x' of record 'In' has no default"
        ),
        // Enums.
        .init(
            name: "enum writer symbols subset",
            reader: #"{"type":"enum","name":"E","symbols":["A","B","C"]}"#,
            writer: #"{"type":"enum","name":"E","symbols":["B","A"]}"#
        ),
        .init(
            name: "enum writer symbol missing",
            reader: #"{"type":"enum","name":"E","symbols":["A"]}"#,
            writer: #"{"type":"enum","name":"E","symbols":["A","B"]}"#,
            reason: "/symbols: reader enum 'E' has no default and lacks writer symbols B"
        ),
        .init(
            name: "enum writer symbol missing with reader default",
            reader: #"{"type":"enum","name":"E","symbols":["A","Unknown"],"default":"Unknown"}"#,
            writer: #"{"type":"enum","name":"E","symbols":["A","B"]}"#
        ),
        .init(
            name: "enum names differ",
            reader: #"{"type":"enum","name":"E","symbols":["A"]}"#,
            writer: #"{"type":"enum","name":"F","symbols":["A"]}"#,
            reason: "reader enum 'E' does not match writer enum 'F'"
        ),
        // Arrays and maps.
        .init(
            name: "array items promoted",
            reader: #"{"type":"array","items":"double"}"#,
            writer: #"{"type":"array","items":"float"}"#
        ),
        .init(
            name: "array items incompatible",
            reader: #"{"type":"array","items":"int"}"#,
            writer: #"{"type":"array","items":"long"}"#,
            reason: "/items: reader type 'int' cannot read writer type 'long'"
        ),
        .init(
            name: "map values promoted",
            reader: #"{"type":"map","values":"bytes"}"#,
            writer: #"{"type":"map","values":"string"}"#
        ),
        .init(
            name: "map values incompatible",
            reader: #"{"type":"map","values":"boolean"}"#,
            writer: #"{"type":"map","values":"string"}"#,
            reason: "/values: reader type 'boolean'"
        ),
        .init(
            name: "array vs map",
            reader: #"{"type":"array","items":"int"}"#,
            writer: #"{"type":"map","values":"int"}"#,
            reason: "reader type 'array' cannot read writer type 'map'"
        ),
        // Fixed.
        .init(
            name: "fixed same",
            reader: #"{"type":"fixed","name":"F","size":4}"#,
            writer: #"{"type":"fixed","name":"F","size":4}"#
        ),
        .init(
            name: "fixed size differs",
            reader: #"{"type":"fixed","name":"F","size":4}"#,
            writer: #"{"type":"fixed","name":"F","size":8}"#,
            reason: "/size: reader fixed 'F' has size 4, writer has 8"
        ),
        .init(
            name: "fixed name differs",
            reader: #"{"type":"fixed","name":"F","size":4}"#,
            writer: #"{"type":"fixed","name":"G","size":4}"#,
            reason: "reader fixed 'F' does not match writer fixed 'G'"
        ),
        // Unions.
        .init(name: "writer union all readable", reader: #"["null","long","string"]"#, writer: #"["null","int"]"#),
        .init(
            name: "writer union branch unreadable",
            reader: #"["null","int"]"#,
            writer: #"["null","string"]"#,
            reason: "reader union [null, int] has no branch that can read writer type 'string'"
        ),
        .init(name: "reader union accepts writer", reader: #"["null","string"]"#, writer: #""string""#),
        .init(name: "reader union accepts promoted writer", reader: #"["null","double"]"#, writer: #""int""#),
        .init(
            name: "reader union rejects writer",
            reader: #"["null","string"]"#,
            writer: #""int""#,
            reason: "/: reader union [null, string] has no branch"
        ),
        .init(name: "writer union into non-union reader", reader: #""long""#, writer: #"["int","long"]"#),
        .init(
            name: "writer union into non-union reader fails",
            reader: #""long""#,
            writer: #"["null","long"]"#,
            reason: "reader type 'long' cannot read writer type 'null'"
        ),
        .init(name: "empty writer union", reader: #""int""#, writer: "[]"),
        // Recursion.
        .init(
            name: "recursive records",
            reader: record("L", #"{"name":"v","type":"long"},{"name":"next","type":["null","L"]}"#),
            writer: record("L", #"{"name":"v","type":"int"},{"name":"next","type":["null","L"]}"#)
        ),
        .init(
            name: "recursive records incompatible",
            reader: record("L", #"{"name":"v","type":"int"},{"name":"next","type":["null","L"]}"#),
            writer: record("L", #"{"name":"v","type":"long"},{"name":"next","type":["null","L"]}"#),
            reason: "/fields/v: reader type 'int' cannot read writer type 'long'"
        ),
        // The event schema's evolution.
        .init(name: "v2 reads v1", reader: Fixtures.buttonPressV2, writer: Fixtures.buttonPressV1),
        .init(name: "v1 reads v2", reader: Fixtures.buttonPressV1, writer: Fixtures.buttonPressV2),
        .init(name: "v1 reads v3", reader: Fixtures.buttonPressV1, writer: Fixtures.buttonPressV3),
        .init(
            name: "v3 cannot read v1",
            reader: Fixtures.buttonPressV3,
            writer: Fixtures.buttonPressV1,
            reason: "/fields/page_variant: reader field 'page_variant' of record 'io.button.ButtonPress' has no default"
        ),
    ]

    @Test(arguments: cases) func followsTheResolutionRules(_ testCase: Case) throws {
        let reader = try AvroSchema(parsing: testCase.reader)
        let writer = try AvroSchema(parsing: testCase.writer)
        let result = reader.compatibility(readingDataWrittenWith: writer)
        if let reason = testCase.reason {
            guard case .incompatible(let reasons) = result else {
                Issue.record("expected incompatible, got compatible")
                return
            }
            #expect(reasons.contains { $0.contains(reason) }, "\(reasons)")
        } else {
            #expect(result == .compatible)
        }
    }

    @Test func reportsEveryProblem() throws {
        let reader = try AvroSchema(
            parsing: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"}]}"#
        )
        let writer = try AvroSchema(parsing: #"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#)
        #expect(
            reader.compatibility(readingDataWrittenWith: writer)
                == .incompatible([
                    "/fields/a: reader type 'int' cannot read writer type 'string'",
                    "/fields/b: reader field 'b' of record 'R' has no default and is missing from writer record 'R'",
                ])
        )
        #expect(!reader.compatibility(readingDataWrittenWith: writer).isCompatible)
    }

    @Test func mutuallyRecursiveTypesTerminate() throws {
        let json = """
            {"type":"record","name":"A","fields":[
              {"name":"b","type":["null",{"type":"record","name":"B","fields":[
                {"name":"a","type":["null","A"]},{"name":"x","type":"int"}]}]}]}
            """
        let schema = try AvroSchema(parsing: json)
        #expect(schema.compatibility(readingDataWrittenWith: schema) == .compatible)
    }
}
