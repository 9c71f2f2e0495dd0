// Fuzzes the schema JSON parser and the forms derived from a schema: the registry parses
// every schema a client posts, and the canonical form decides ids and fingerprints.
import Avro
import ButtonEvents
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    guard let text = String(validating: input, as: UTF8.self),
        let schema = try? AvroSchema(parsing: text)
    else { return 0 }

    // The canonical form is a schema whose canonical form is itself, with the same fingerprint.
    let canonical = requireNoThrow("the canonical form parses") { try AvroSchema(parsing: schema.canonicalForm) }
    require(canonical.canonicalForm == schema.canonicalForm, "the canonical form is idempotent")
    require(canonical.parsingFingerprint64 == schema.parsingFingerprint64, "the fingerprint survives")

    // The normalized JSON is the same schema (AvroSchema's == compares normalized JSON).
    let normalized = requireNoThrow("the normalized JSON parses") { try AvroSchema(parsing: schema.normalizedJSON) }
    require(normalized == schema, "the normalized JSON re-parses to an equal schema")
    require(normalized.canonicalForm == schema.canonicalForm, "normalizing keeps the canonical form")

    // Every schema reads its own data.
    require(
        schema.compatibility(readingDataWrittenWith: schema).isCompatible,
        "a schema is compatible with itself"
    )
    require(
        schema.compatibility(readingDataWrittenWith: normalized).isCompatible,
        "a schema is compatible with its normalized form"
    )
    return 0
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// The event schema and schemas that use every kind of type.
func seeds() -> [[UInt8]] {
    [
        PressEvent.schemaJSON,
        #""long""#,
        #"["null","string",{"type":"array","items":"int"}]"#,
        #"{"type":"record","name":"all","namespace":"fuzz","doc":"x","aliases":["old"],"fields":[{"name":"b","type":"boolean","default":true},{"name":"by","type":"bytes","default":"\u00ff"},{"name":"e","type":{"type":"enum","name":"colour","symbols":["red","green"],"default":"red"}},{"name":"fx","type":{"type":"fixed","name":"four","size":4,"logicalType":"decimal","precision":4}},{"name":"m","type":{"type":"map","values":"colour"},"default":{}},{"name":"u","type":["null","four"],"default":null,"order":"descending"}]}"#,
        #"{"type":"record","name":"list","fields":[{"name":"value","type":"int"},{"name":"next","type":["null","list"]}]}"#,
        #"{"type":"record","name":"a.b.R","fields":[{"name":"r","type":{"type":"record","name":"S","namespace":"","fields":[]}},{"name":"s","type":"S"},{"name":"t","type":"a.b.R2","default":1}]}"#,
    ].map { Array($0.utf8) }
}
