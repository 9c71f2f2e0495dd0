import Avro
import ButtonEvents
import Foundation
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

    @Test func schemaParsesWithLogicalTypesOnTheTypes() throws {
        let schema = try AvroSchema(parsing: PressEvent.schemaJSON)
        #expect(schema.fullName == "button_presses")
        #expect(PressEvent.schemaJSON.contains(#"{"type":"long","logicalType":"timestamp-micros"}"#))
        #expect(PressEvent.schemaJSON.contains(#"{"type":"string","logicalType":"uuid"}"#))
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
