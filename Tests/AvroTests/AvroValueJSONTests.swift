import Avro
import Testing

@Suite struct AvroValueJSONTests {
    @Test func rendersADecodedEvent() throws {
        let schema = try AvroSchema(parsing: Fixtures.buttonPressV1)
        let decoded = try schema.decode(try schema.encode(Fixtures.event()))
        #expect(
            decoded.jsonString()
                == #"{"session_id":"0b0c8a6e-2f6e-4a7e-9d86-4d1c3b9b7f10","timestamp":1732500000123456,"#
                + #""action":"PressButton","country_name":"Côte d’Ivoire","country_code":"CI","#
                + #""subdivision_name":"","subdivision_code":"","city_name":"Abidjan","cohort":3}"#
        )
    }

    @Test func rendersEveryKind() {
        let value = AvroValue.record(fields: [
            "n": .null, "b": .boolean(false), "f": .float(0.5), "d": .double(.nan), "i": .double(-.infinity),
            "by": .bytes([0x00, 0x41, 0xFF]), "m": .map(["z": .int(1), "a": .long(2)]), "a": .array([]),
            "u": .union(branch: 0, value: .null), "s": .string("q\"\\\n\u{1}"),
        ])
        #expect(
            value.jsonString()
                == #"{"n":null,"b":false,"f":0.5,"d":"NaN","i":"-Infinity","by":"\u0000Aÿ","m":{"a":2,"z":1},"#
                + #""a":[],"u":null,"s":"q\"\\\n\u0001"}"#
        )
    }

    @Test func prettyPrints() {
        let value = AvroValue.record(fields: ["a": .array([.int(1)]), "e": .record([])])
        #expect(value.jsonString(prettyPrinted: true) == "{\n  \"a\": [\n    1\n  ],\n  \"e\": {}\n}")
    }
}
