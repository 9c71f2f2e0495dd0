import Avro
import ButtonEvents
import Foundation
import TestSupport
import Testing

@Suite struct PressEventTests {
    static func randomEvent(cohort: Int32?) -> PressEvent {
        PressEvent(
            sessionID: UUID(),
            timestamp: Int64.random(in: -1_000_000_000_000...4_000_000_000_000_000),
            action: Bool.random() ? .enterPage : .pressButton,
            countryName: ["Côte d'Ivoire", "Germany", "", "日本"].randomElement() ?? "",
            countryCode: ["CI", "DE", "", "JP"].randomElement() ?? "",
            subdivisionName: ["", "Östergötland", String(repeating: "x", count: 300)].randomElement() ?? "",
            subdivisionCode: ["", "E"].randomElement() ?? "",
            cityName: ["", "Linköping", "São Paulo"].randomElement() ?? "",
            cohort: cohort
        )
    }

    /// The schema's fields as JSON objects, in order.
    static func fields(of schemaJSON: String) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(schemaJSON.utf8)) as? [String: Any]
        return try #require(object?["fields"] as? [[String: Any]])
    }

    @Test func schemaHasTheOriginalFieldsWithLogicalTypesAsFieldAttributes() throws {
        let schema = try AvroSchema(parsing: PressEvent.schemaJSON)
        #expect(schema.fullName == "button_presses")
        let fields = try Self.fields(of: PressEvent.schemaJSON)
        #expect(
            fields.map { $0["name"] as? String } == [
                "session_id", "timestamp", "action", "country_name", "country_code", "subdivision_name",
                "subdivision_code", "city_name", "cohort",
            ]
        )
        // Plain wire types, so readers that follow logical types on types (Python's avro,
        // fastavro) hand back an int and a str; the logical types are field attributes.
        #expect(fields[0]["type"] as? String == "string")
        #expect(fields[0]["logicalType"] as? String == "uuid")
        #expect(fields[1]["type"] as? String == "long")
        #expect(fields[1]["logicalType"] as? String == "timestamp-micros")
        for field in fields.dropFirst(2).dropLast() {
            #expect(field["type"] as? String == "string", "\(field)")
            #expect(field["logicalType"] == nil)
        }
        #expect(fields[8]["type"] as? [String] == ["null", "int"])
        #expect(fields[8]["default"] is NSNull)
        #expect(!PressEvent.schemaJSON.contains(#"{"type":"long","logicalType""#))
        #expect(!PressEvent.schemaJSON.contains(#"{"type":"string","logicalType""#))
    }

    @Test func isACompatibleNewVersionOfVersionOne() throws {
        let current = PressEvent.schema
        let v1 = try AvroSchema(parsing: PressEventSchemaHistory.v1)
        // Both directions, so every compatibility level accepts the change.
        #expect(current.compatibility(readingDataWrittenWith: v1) == .compatible)
        #expect(v1.compatibility(readingDataWrittenWith: current) == .compatible)
        // The same wire format (Parsing Canonical Form drops logical types), yet a different
        // schema to a registry, which then stores it as a new version rather than the old id.
        #expect(current.canonicalForm == v1.canonicalForm)
        #expect(current.normalizedJSON != v1.normalizedJSON)
    }

    @Test func eventsWrittenUnderVersionOneStillDecode() throws {
        let v1 = try AvroSchema(parsing: PressEventSchemaHistory.v1)
        for cohort in [nil, 7] as [Int32?] {
            let event = Self.randomEvent(cohort: cohort)
            let v1Body = try v1.encode(event.avroValue)
            #expect(v1Body == event.avroBody, "the logical types' place does not change the bytes")
            #expect(PressEvent(try v1.decode(v1Body)) == event)
            #expect(PressEvent(try PressEvent.schema.decode(v1Body)) == event)
        }
    }

    @Test func directEncoderMatchesTheGenericEncoderByteForByte() throws {
        for cohort in [nil, 0, 1, -1, Int32.max, Int32.min] as [Int32?] {
            for _ in 0..<50 {
                let event = Self.randomEvent(cohort: cohort)
                #expect(event.avroBody == (try PressEvent.schema.encode(event.avroValue)))
                let decoded = try PressEvent.schema.decode(event.avroBody)
                #expect(PressEvent(decoded) == event)
            }
        }
    }

    @Test func framingIsConfluents() throws {
        let event = Self.randomEvent(cohort: 3)
        let framed = event.encoded(schemaID: 0x0102_0304)
        #expect(Array(framed.prefix(5)) == [0, 1, 2, 3, 4])
        let (id, body) = try ConfluentWireFormat.unframe(framed)
        #expect(id == 0x0102_0304)
        #expect(body == event.avroBody)
    }
}
