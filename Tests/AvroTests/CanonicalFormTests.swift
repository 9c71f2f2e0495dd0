import Avro
import Testing

/// Cases from the Avro repository's `share/test/data/schema-tests.txt`, which every
/// implementation checks its Parsing Canonical Form and fingerprints against.
@Suite struct CanonicalFormTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String
        var canonical: String
        var fingerprint: Int64?
        var testDescription: String { input }
    }

    static let specCases: [Case] = [
        .init(input: #""null""#, canonical: #""null""#, fingerprint: 7_195_948_357_588_979_594),
        .init(input: #"{"type":"null"}"#, canonical: #""null""#),
        .init(input: #""boolean""#, canonical: #""boolean""#, fingerprint: -6_970_731_678_124_411_036),
        .init(input: #"{"type":"boolean"}"#, canonical: #""boolean""#),
        .init(input: #""int""#, canonical: #""int""#, fingerprint: 8_247_732_601_305_521_295),
        .init(input: #"{"type":"int"}"#, canonical: #""int""#),
        .init(input: #""long""#, canonical: #""long""#, fingerprint: -3_434_872_931_120_570_953),
        .init(input: #"{"type":"long"}"#, canonical: #""long""#),
        .init(input: #""float""#, canonical: #""float""#, fingerprint: 5_583_340_709_985_441_680),
        .init(input: #"{"type":"float"}"#, canonical: #""float""#),
        .init(input: #""double""#, canonical: #""double""#, fingerprint: -8_181_574_048_448_539_266),
        .init(input: #"{"type":"double"}"#, canonical: #""double""#),
        .init(input: #""bytes""#, canonical: #""bytes""#, fingerprint: 5_746_618_253_357_095_269),
        .init(input: #"{"type":"bytes"}"#, canonical: #""bytes""#),
        .init(input: #""string""#, canonical: #""string""#, fingerprint: -8_142_146_995_180_207_161),
        .init(input: #"{"type":"string"}"#, canonical: #""string""#),
        .init(input: "[  ]", canonical: "[]", fingerprint: -1_241_056_759_729_112_623),
        .init(input: #"[ "int"  ]"#, canonical: #"["int"]"#, fingerprint: -5_232_228_896_498_058_493),
        .init(
            input: #"[ "int" , {"type":"boolean"} ]"#,
            canonical: #"["int","boolean"]"#,
            fingerprint: 5_392_556_393_470_105_090
        ),
        .init(
            input: #"{"fields":[], "type":"record", "name":"foo"}"#,
            canonical: #"{"name":"foo","type":"record","fields":[]}"#,
            fingerprint: -4_824_392_279_771_201_922
        ),
        .init(
            input: #"{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}"#,
            canonical: #"{"name":"x.y.foo","type":"record","fields":[]}"#,
            fingerprint: 5_916_914_534_497_305_771
        ),
        .init(
            input: #"{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}"#,
            canonical: #"{"name":"a.b.foo","type":"record","fields":[]}"#,
            fingerprint: -4_616_218_487_480_524_110
        ),
        .init(
            input: #"{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}"#,
            canonical: #"{"name":"foo","type":"record","fields":[]}"#,
            fingerprint: -4_824_392_279_771_201_922
        ),
        .init(
            input: #"{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}"#,
            canonical: #"{"name":"foo","type":"record","fields":[]}"#,
            fingerprint: -4_824_392_279_771_201_922
        ),
        .init(
            input: #"{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}"#,
            canonical: #"{"name":"foo","type":"record","fields":[]}"#,
            fingerprint: -4_824_392_279_771_201_922
        ),
        .init(
            input: #"{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}"#,
            canonical: #"{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}"#,
            fingerprint: 7_843_277_075_252_814_651
        ),
        // The spec's case 026 has `"default":"true"` for a boolean, which this parser rightly
        // rejects; `true` keeps what the case checks (defaults, aliases, order, doc stripped).
        .init(
            input: """
                { "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":true},
                            {"order":"descending","name":"f2","doc":"Hello","type":"int"}],
                  "type":"record", "name":"foo"
                }
                """,
            canonical:
                #"{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}"#,
            fingerprint: -4_860_222_112_080_293_046
        ),
        .init(
            input: #"{"type":"enum", "name":"foo", "symbols":["A1"]}"#,
            canonical: #"{"name":"foo","type":"enum","symbols":["A1"]}"#,
            fingerprint: -6_342_190_197_741_309_591
        ),
        .init(
            input: #"{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}"#,
            canonical: #"{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}"#,
            fingerprint: -4_448_647_247_586_288_245
        ),
        .init(
            input: #"{"name":"foo","type":"fixed","size":15}"#,
            canonical: #"{"name":"foo","type":"fixed","size":15}"#,
            fingerprint: 1_756_455_273_707_447_556
        ),
        .init(
            input: #"{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}"#,
            canonical: #"{"name":"x.y.z.foo","type":"fixed","size":32}"#,
            fingerprint: -3_064_184_465_700_546_786
        ),
        .init(
            input: #"{ "items":{"type":"null"}, "type":"array"}"#,
            canonical: #"{"type":"array","items":"null"}"#,
            fingerprint: -589_620_603_366_471_059
        ),
        .init(
            input: #"{ "values":"string", "type":"map"}"#,
            canonical: #"{"type":"map","values":"string"}"#,
            fingerprint: -8_732_877_298_790_414_990
        ),
        .init(
            input: """
                  {"name":"PigValue","type":"record",
                   "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}
                """,
            canonical:
                #"{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}"#,
            fingerprint: -1_759_257_747_318_642_341
        ),
    ]

    @Test(arguments: specCases) func matchesTheSpecExamples(_ specCase: Case) throws {
        let schema = try AvroSchema(parsing: specCase.input)
        #expect(schema.canonicalForm == specCase.canonical)
        if let fingerprint = specCase.fingerprint {
            #expect(schema.parsingFingerprint64 == fingerprint)
        }
    }

    @Test func usesUTF8ForEscapedCharacters() throws {
        let schema = try AvroSchema(parsing: #"{"type":"enum","name":"E","symbols":["A"],"doc":"\u00e9"}"#)
        #expect(schema.canonicalForm == #"{"name":"E","type":"enum","symbols":["A"]}"#)
        let withDefault = try AvroSchema(
            parsing: #"{"type":"record","name":"R","fields":[{"name":"s","type":"string","default":"\u00e9\n"}]}"#
        )
        #expect(withDefault.normalizedJSON.contains(#""default":"é\n""#))
    }

    @Test func normalizedJSONIgnoresFormattingKeyOrderAndDoc() throws {
        let reordered = """
            {
              "namespace": "io.button", "doc": "A press",
              "fields": [
                {"type": {"logicalType": "uuid", "type": "string"}, "name": "session_id"},
                {"name": "timestamp", "type": {"logicalType": "timestamp-micros", "type": "long"}},
                {"type": {"symbols": ["EnterPage", "PressButton"], "name": "io.button.Action", "type": "enum"},
                 "name": "action"},
                {"name": "country_name", "type": "string", "doc": "English"},
                {"type": {"type": "string"}, "name": "country_code"},
                {"name": "subdivision_name", "type": "string"}, {"name": "subdivision_code", "type": "string"},
                {"name": "city_name", "type": "string"},
                {"default": null, "type": ["null", {"type": "int"}], "name": "cohort"}
              ],
              "name": "ButtonPress", "type": "record"
            }
            """
        let original = try AvroSchema(parsing: Fixtures.buttonPressV1)
        let other = try AvroSchema(parsing: reordered)
        #expect(original.normalizedJSON == other.normalizedJSON)
        #expect(original == other)
        #expect(original.hashValue == other.hashValue)
        #expect(
            original.normalizedJSON
                == #"{"name":"io.button.ButtonPress","type":"record","fields":["#
                + #"{"name":"session_id","type":{"type":"string","logicalType":"uuid"}},"#
                + #"{"name":"timestamp","type":{"type":"long","logicalType":"timestamp-micros"}},"#
                + #"{"name":"action","type":{"name":"io.button.Action","type":"enum","symbols":["EnterPage","PressButton"]}},"#
                + #"{"name":"country_name","type":"string"},{"name":"country_code","type":"string"},"#
                + #"{"name":"subdivision_name","type":"string"},{"name":"subdivision_code","type":"string"},"#
                + #"{"name":"city_name","type":"string"},{"name":"cohort","type":["null","int"],"default":null}]}"#
        )
    }

    @Test func normalizedJSONNormalizesDefaults() throws {
        let first = try AvroSchema(
            parsing: """
                {"type":"record","name":"R","fields":[
                  {"name":"d","type":"double","default":1},
                  {"name":"m","type":{"type":"map","values":"int"},"default":{"b":2,"a":1}},
                  {"name":"r","type":{"type":"record","name":"In","fields":[
                     {"name":"x","type":"int"},{"name":"y","type":"int"}]},"default":{"y":2,"x":1}}]}
                """
        )
        let second = try AvroSchema(
            parsing: """
                {"type":"record","name":"R","fields":[
                  {"name":"d","type":"double","default":1.0},
                  {"name":"m","type":{"type":"map","values":"int"},"default":{"a":1,"b":2}},
                  {"name":"r","type":{"type":"record","name":"In","fields":[
                     {"name":"x","type":"int"},{"name":"y","type":"int"}]},"default":{"x":1,"y":2}}]}
                """
        )
        #expect(first.normalizedJSON == second.normalizedJSON)
        #expect(first.normalizedJSON.contains(#""default":1.0"#))
    }

    @Test func normalizedJSONKeepsWhatMatters() throws {
        let base = try AvroSchema(parsing: #"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#)
        let variants = [
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"string","default":""}]}"#,
            #"{"type":"record","name":"R","aliases":["Old"],"fields":[{"name":"a","type":"string"}]}"#,
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"string","aliases":["b"]}]}"#,
            #"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"string","logicalType":"uuid"}}]}"#,
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"string","order":"descending"}]}"#,
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"string","x-custom":1}]}"#,
            #"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":"string"}]}"#,
        ]
        for json in variants {
            let variant = try AvroSchema(parsing: json)
            #expect(variant.normalizedJSON != base.normalizedJSON, "\(json)")
            #expect(variant != base)
            // None of these change how data is read.
            if !json.contains("namespace") {
                #expect(variant.canonicalForm == base.canonicalForm, "\(json)")
            }
        }
        let documented = try AvroSchema(
            parsing: #"{"type":"record","name":"R","doc":"d","fields":[{"name":"a","type":"string","doc":"x"}]}"#
        )
        #expect(documented == base)
    }
}
