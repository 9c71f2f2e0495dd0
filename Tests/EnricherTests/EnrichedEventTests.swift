import ButtonEvents
import Enricher
import Foundation
import Kafka
import Places
import Testing

@Suite struct EnrichedEventTests {
    var enricher: EventEnricher
    init() throws {
        enricher = EventEnricher(places: CountryPlaces(table: try ZoneTable(contentsOf: ZoneTable.systemPath)))
    }
    let source = KafkaPartition(topic: "button_presses", partition: 2)

    static func event(code: String, city: String = "", cohort: Int32? = 3, timestamp: Int64) -> PressEvent {
        PressEvent(
            sessionID: UUID(uuidString: "0B6F1C2D-3E4F-4A5B-8C6D-7E8F9A0B1C2D") ?? UUID(),
            timestamp: timestamp,
            action: .pressButton,
            countryName: "Somewhere",
            countryCode: code,
            subdivisionName: "Sub",
            subdivisionCode: "SB",
            cityName: city,
            cohort: cohort
        )
    }

    func object(_ enriched: EnrichedEvent) throws -> [String: Any] {
        let json = try enricher.json(enriched)
        return try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
    }

    @Test mutating func aKnownCountryGetsTheContractsFieldsExactly() throws {
        // 2025-11-27 14:46:40.123457 in London (GMT, winter), a Thursday; an odd µs count.
        let timestamp: Int64 = 1_764_254_800_123_457
        let enriched = enricher.enrich(
            Self.event(code: "GB", city: "London", timestamp: timestamp),
            source: source,
            offset: 1234
        )
        let text = String(decoding: try enricher.json(enriched), as: UTF8.self)
        #expect(text.contains(#""timestamp":1764254800123457"#), "exact µs integer: \(text)")
        #expect(text.contains(#""time_zone":"Europe/London""#), "slashes unescaped: \(text)")
        #expect(text.contains(#""latitude":51.5083,"#) && text.contains(#""longitude":-0.1253,"#), "\(text)")
        #expect(!text.contains("\n"))
        let object = try object(enriched)
        #expect(
            Set(object.keys) == [
                "session_id", "timestamp", "action", "country_name", "country_code", "subdivision_name",
                "subdivision_code", "city_name", "cohort", "is_fake", "is_bot", "latitude", "longitude", "time_zone",
                "local_hour", "local_weekday", "source_topic", "source_partition", "source_offset",
            ]
        )
        #expect(object["session_id"] as? String == "0b6f1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d")
        #expect(object["action"] as? String == "PressButton")
        #expect(object["country_code"] as? String == "GB" && object["city_name"] as? String == "London")
        #expect(object["subdivision_name"] as? String == "Sub" && object["subdivision_code"] as? String == "SB")
        #expect(object["cohort"] as? Int == 3 && object["is_fake"] as? Int == 0)
        #expect(object["is_bot"] as? Int == 0)
        #expect(object["local_hour"] as? Int == 14 && object["local_weekday"] as? Int == 4)
        #expect(object["source_topic"] as? String == "button_presses")
        #expect(object["source_partition"] as? Int == 2 && object["source_offset"] as? Int == 1234)
        #expect(enriched.key == Array("0b6f1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d".utf8))
    }

    @Test mutating func aBotsEventIsMarked() throws {
        var event = Self.event(code: "GB", timestamp: 1_764_254_800_123_457)
        event.isBot = true
        let object = try object(enricher.enrich(event, source: source, offset: 1))
        #expect(object["is_bot"] as? Int == 1)
        #expect(object["is_fake"] as? Int == 0, "a bot is not fake data: its cohort is real")
    }

    @Test(arguments: ["", "EU", "AP", "A1", "A2", "A3", "XD", "??"])
    mutating func anUnknownPlaceIsNullsAndAnEmptyZone(code: String) throws {
        let enriched = enricher.enrich(Self.event(code: code, cohort: nil, timestamp: 1), source: source, offset: 0)
        let object = try object(enriched)
        for key in ["latitude", "longitude", "local_hour", "local_weekday", "cohort"] {
            #expect(object[key] is NSNull, "\(key) is null")
        }
        #expect(object["time_zone"] as? String == "")
        #expect(object["is_fake"] as? Int == 1, "a null cohort is fake data")
        #expect(object["country_code"] as? String == code)
    }

    @Test mutating func summerAndWinterInNewYorkAndLondon() throws {
        // Noon UTC, 1 July and 15 January 2025.
        let summer: Int64 = 1_751_371_200_000_000
        let winter: Int64 = 1_736_942_400_000_000
        var hours: [String: [Int]] = [:]
        for (code, city) in [("US", ""), ("GB", "")] {
            for timestamp in [summer, winter] {
                let enriched = enricher.enrich(
                    Self.event(code: code, city: city, timestamp: timestamp),
                    source: source,
                    offset: 0
                )
                hours[code, default: []].append(try #require(enriched.local?.hour))
            }
        }
        #expect(hours["US"] == [8, 7] && hours["GB"] == [13, 12])
    }

    @Test mutating func aCityExemplarIsCityLevel() throws {
        let enriched = enricher.enrich(
            Self.event(code: "US", city: "Los Angeles", timestamp: 1_751_371_200_000_000),
            source: source,
            offset: 0
        )
        #expect(enriched.place?.zone == "America/Los_Angeles" && enriched.place?.isCity == true)
        #expect(enriched.local?.hour == 5, "PDT: UTC-7")
    }

    @Test func deadLetterRecordKeepsTheBytesAsBase64() throws {
        let message = KafkaMessage(
            topic: "button_presses",
            partition: 4,
            offset: 77,
            key: nil,
            value: [0, 1, 2, 0xFF],
            timestamp: nil
        )
        let record = DeadLetterRecord(
            message: message,
            reason: "not Confluent-framed",
            now: Date(timeIntervalSince1970: 0)
        )
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try enricher.json(record))) as? [String: Any]
        )
        #expect(object["source_topic"] as? String == "button_presses")
        #expect(object["source_partition"] as? Int == 4 && object["source_offset"] as? Int == 77)
        #expect(object["key_base64"] is NSNull)
        #expect(object["value_base64"] as? String == "AAEC/w==")
        #expect(object["reason"] as? String == "not Confluent-framed")
        #expect(object["at"] as? String == "1970-01-01T00:00:00.000Z")
        let keyed = DeadLetterRecord(
            message: KafkaMessage(topic: "t", partition: 0, offset: 0, key: Array("k".utf8), value: [], timestamp: nil),
            reason: "r"
        )
        #expect(keyed.keyBase64 == "aw==" && keyed.valueBase64 == "")
    }
}
