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
            cohort: cohort,
            isBot: Bool.random()
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
                "subdivision_code", "city_name", "cohort", "is_bot",
            ]
        )
        // Plain wire types, so readers that follow logical types on types (Python's avro,
        // fastavro) hand back an int and a str; the logical types are field attributes.
        #expect(fields[0]["type"] as? String == "string")
        #expect(fields[0]["logicalType"] as? String == "uuid")
        #expect(fields[1]["type"] as? String == "long")
        #expect(fields[1]["logicalType"] as? String == "timestamp-micros")
        for field in fields.dropFirst(2).dropLast(2) {
            #expect(field["type"] as? String == "string", "\(field)")
            #expect(field["logicalType"] == nil)
        }
        #expect(fields[8]["type"] as? [String] == ["null", "int"])
        #expect(fields[8]["default"] is NSNull)
        // Added last, with a default, so readers with the earlier schema keep working.
        #expect(fields[9]["type"] as? String == "boolean")
        #expect(fields[9]["default"] as? Bool == false)
        #expect(!PressEvent.schemaJSON.contains(#"{"type":"long","logicalType""#))
        #expect(!PressEvent.schemaJSON.contains(#"{"type":"string","logicalType""#))
    }

    @Test func isACompatibleNewVersionOfEveryEarlierOne() throws {
        let current = PressEvent.schema
        let v1 = try AvroSchema(parsing: PressEventSchemaHistory.v1)
        let v2 = try AvroSchema(parsing: PressEventSchemaHistory.v2)
        // Both directions, so every compatibility level accepts the change.
        for old in [v1, v2] {
            #expect(current.compatibility(readingDataWrittenWith: old) == .compatible)
            #expect(old.compatibility(readingDataWrittenWith: current) == .compatible)
        }
        // v1 and v2 share the wire format (Parsing Canonical Form drops logical types), yet
        // are different schemas to a registry, which then stores a new version.
        #expect(v2.canonicalForm == v1.canonicalForm)
        #expect(v2.normalizedJSON != v1.normalizedJSON)
        #expect(current.canonicalForm != v2.canonicalForm, "is_bot is on the wire")
    }

    /// The event as an earlier writer had it: every field but `is_bot`.
    static func earlierValue(_ event: PressEvent) -> AvroValue {
        guard case .record(let fields) = event.avroValue else { return event.avroValue }
        return .record(fields.filter { $0.name != "is_bot" })
    }

    @Test func eventsWrittenUnderEarlierVersionsStillDecode() throws {
        let v1 = try AvroSchema(parsing: PressEventSchemaHistory.v1)
        let v2 = try AvroSchema(parsing: PressEventSchemaHistory.v2)
        for cohort in [nil, 7] as [Int32?] {
            var event = Self.randomEvent(cohort: cohort)
            event.isBot = false  // what an earlier writer's event means
            let v1Body = try v1.encode(Self.earlierValue(event))
            #expect(v1Body == (try v2.encode(Self.earlierValue(event))), "the logical types' place changes no byte")
            #expect(v1Body + [0] == event.avroBody, "the same bytes, then is_bot")
            #expect(PressEvent(try v1.decode(v1Body)) == event)
            #expect(PressEvent(try v2.decode(v1Body)) == event)
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
