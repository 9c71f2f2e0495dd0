import Avro

/// Schemas shared by several test files.
enum Fixtures {
    /// The workshop's event schema.
    static let buttonPressV1 = """
        {"type":"record","name":"ButtonPress","namespace":"io.button","fields":[
         {"name":"session_id","type":{"type":"string","logicalType":"uuid"}},
         {"name":"timestamp","type":{"type":"long","logicalType":"timestamp-micros"}},
         {"name":"action","type":{"type":"enum","name":"Action","symbols":["EnterPage","PressButton"]}},
         {"name":"country_name","type":"string"},{"name":"country_code","type":"string"},
         {"name":"subdivision_name","type":"string"},{"name":"subdivision_code","type":"string"},
         {"name":"city_name","type":"string"},
         {"name":"cohort","type":["null","int"],"default":null}]}
        """

    /// v1 plus a field with a default.
    static let buttonPressV2 = buttonPressV1.replacingLastField(
        with:
            #"{"name":"cohort","type":["null","int"],"default":null},{"name":"page_variant","type":"string","default":""}]}"#
    )

    /// v1 plus a field without a default.
    static let buttonPressV3 = buttonPressV1.replacingLastField(
        with: #"{"name":"cohort","type":["null","int"],"default":null},{"name":"page_variant","type":"string"}]}"#
    )

    static func schema(_ json: String) throws -> AvroSchema {
        try AvroSchema(parsing: json)
    }

    /// A v1 event value.
    static func event(cohort: AvroValue = .union(branch: 1, value: .int(3))) -> AvroValue {
        .record(fields: [
            "session_id": .string("0b0c8a6e-2f6e-4a7e-9d86-4d1c3b9b7f10"),
            "timestamp": .long(1_732_500_000_123_456),
            "action": .enumSymbol("PressButton"),
            "country_name": .string("Côte d’Ivoire"),
            "country_code": .string("CI"),
            "subdivision_name": .string(""),
            "subdivision_code": .string(""),
            "city_name": .string("Abidjan"),
            "cohort": cohort,
        ])
    }
}

extension String {
    fileprivate func replacingLastField(with replacement: String) -> String {
        let old = #"{"name":"cohort","type":["null","int"],"default":null}]}"#
        return replacing(old, with: replacement)
    }
}
