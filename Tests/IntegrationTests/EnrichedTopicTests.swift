import Avro
import ButtonEvents
import Foundation
import TestSupport
import Testing

/// The enricher as the stack runs it: presses through nginx become exactly one enriched JSON
/// message each on `button_presses_enriched`, read back with kcat; dead letters; the status
/// file. Local times are checked against Python's zoneinfo (the system tzdata).
@Suite struct EnrichedTopicTests {
    let topic: EnrichedTopic
    init() throws { topic = try EnrichedTopic() }
    var stack: PressStack { topic.stack }

    /// zone.tab's main zone and coordinates of the countries the fixture addresses are in.
    static let places: [String: (zone: String, latitude: Double, longitude: Double)] = [
        "DE": ("Europe/Berlin", 52.5, 13.3667), "GB": ("Europe/London", 51.5083, -0.1253),
        "JP": ("Asia/Tokyo", 35.6544, 139.7447), "US": ("America/New_York", 40.7142, -74.0064),
    ]

    @Test func pressesThroughNginxAreExactlyOneEnrichedMessageEachWithTheirPlaceAndSource() async throws {
        let sourceMark = try stack.mark()
        let enrichedMark = try topic.mark()
        let countries = try await stack.pressFromKnownCountries()
        let sessions = Array(countries.keys)
        let total = 3 * countries.count
        let sources = try stack.messages(since: sourceMark, sessions: sessions, expected: total)
        let events = try stack.events(since: sourceMark, sessions: sessions, expected: total)
        try #require(sources.count == total && events.count == total)
        var messages = try topic.messages(since: enrichedMark, sessions: sessions, expected: total)
        // Nothing more comes later: one message per event.
        try await Task.sleep(for: .seconds(1))
        messages = try topic.messages(since: enrichedMark, sessions: sessions, expected: total, timeout: .zero)
        #expect(messages.count == total)

        let sourcePositions = Set(sources.map { EnrichedTopic.Position(partition: $0.partition, offset: $0.offset) })
        #expect(Set(messages.compactMap(\.source)) == sourcePositions, "each source position once")
        #expect(messages.allSatisfy { $0["source_topic"] as? String == "button_presses" })

        // Each enriched message against the event python3-avro decoded at its source position.
        var eventsByPosition: [EnrichedTopic.Position: [String: Any]] = [:]
        for (source, event) in zip(sources, events) {
            eventsByPosition[.init(partition: source.partition, offset: source.offset)] = event
        }
        let locals = try EnrichedTopic.pythonLocalTimes(
            messages.map { (Int64($0["timestamp"] as? Int ?? 0), $0["time_zone"] as? String ?? "UTC") }
        )
        for (message, local) in zip(messages, locals) {
            let source = try #require(message.source)
            let event = try #require(eventsByPosition[source])
            let session = try #require((event["session_id"] as? String).flatMap(UUID.init(uuidString:)))
            let code = try #require(countries[session])
            let place = try #require(Self.places[code])
            #expect(message.key == session.uuidString.lowercased(), "keyed by the session")
            #expect(message["session_id"] as? String == session.uuidString.lowercased())
            #expect(message["timestamp"] as? Int == event["timestamp"] as? Int, "the event's µs, exactly")
            for field in [
                "action", "country_name", "country_code", "subdivision_name", "subdivision_code", "city_name",
            ] {
                #expect(message[field] as? String == event[field] as? String, "\(field)")
            }
            #expect(message["country_code"] as? String == code)
            #expect(message["cohort"] as? Int == event["cohort"] as? Int)
            #expect(message["is_fake"] as? Int == 0)
            #expect(message["time_zone"] as? String == place.zone)
            #expect(
                message["latitude"] as? Double == place.latitude && message["longitude"] as? Double == place.longitude
            )
            #expect(message["local_hour"] as? Int == local.hour && message["local_weekday"] as? Int == local.weekday)
        }
    }

    @Test func summerAndWinterCityExemplarsAndUnknownPlaces() async throws {
        let schemaID = try await stack.schemaID()
        let session = UUID()
        let mark = try topic.mark()
        // Noon UTC on 1 July and 15 January 2025, with odd µs.
        let summer: Int64 = 1_751_371_200_654_321
        let winter: Int64 = 1_736_942_400_654_321
        let cases: [(code: String, city: String, timestamp: Int64, zone: String, hour: Int?)] = [
            ("GB", "", summer, "Europe/London", 13), ("GB", "", winter, "Europe/London", 12),
            ("US", "", summer, "America/New_York", 8), ("US", "", winter, "America/New_York", 7),
            ("US", "Los Angeles", summer, "America/Los_Angeles", 5), ("AU", "", winter, "Australia/Sydney", 23),
            ("EU", "", summer, "", nil), ("A1", "", summer, "", nil), ("", "", summer, "", nil),
        ]
        let values = cases.enumerated().map { index, item in
            PressEvent(
                sessionID: session,
                timestamp: item.timestamp + Int64(index),
                action: .pressButton,
                countryName: "",
                countryCode: item.code,
                subdivisionName: "",
                subdivisionCode: "",
                cityName: item.city,
                cohort: 2
            ).encoded(schemaID: schemaID)
        }
        let positions = try stack.produce(values, key: Array(session.uuidString.lowercased().utf8))
        let messages = try topic.messages(since: mark, sessions: [session], expected: cases.count)
            .sorted { ($0.source?.offset ?? 0) < ($1.source?.offset ?? 0) }
        try #require(messages.count == cases.count)
        for ((item, position), message) in zip(zip(cases, positions), messages) {
            #expect(message.source == .init(partition: position.partition, offset: position.offset))
            #expect(message["time_zone"] as? String == item.zone, "\(item)")
            if let hour = item.hour {
                #expect(message["local_hour"] as? Int == hour, "\(item)")
                #expect(message["latitude"] is Double && message["longitude"] is Double)
            } else {
                for field in ["latitude", "longitude", "local_hour", "local_weekday"] {
                    #expect(message[field] is NSNull, "\(field) of \(item)")
                }
            }
        }
        let angeles = try #require(messages.first { $0["city_name"] as? String == "Los Angeles" })
        #expect(angeles["latitude"] as? Double == 34.0522 && angeles["longitude"] as? Double == -118.2428)
    }

    @Test func undecodableMessagesAreDeadLettersAndTheGoodOnesAroundThemEnriched() async throws {
        let schemaID = try await stack.schemaID()
        let session = UUID()
        let key = Array(session.uuidString.lowercased().utf8)
        let enrichedMark = try topic.mark()
        let lettersMark = try topic.markDeadLetters()
        func good(_ index: Int) -> [UInt8] {
            SinkDatabase.event(session: session, index: index, cohort: index % 2 == 0 ? nil : 4).encoded(
                schemaID: schemaID
            )
        }
        let values: [[UInt8]] = [
            good(0),
            Array("plain text, no framing".utf8),
            good(1),
            ConfluentWireFormat.frame(schemaID: 1_999_999_998, body: Array(good(2).dropFirst(5))),
            good(2),
            ConfluentWireFormat.frame(
                schemaID: schemaID,
                body: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
            ),
            good(3),
        ]
        let positions = try stack.produce(values, key: key)
        let bad = [(1, "not Confluent-framed"), (3, "unknown schema id 1999999998"), (5, "corrupt")]
        let letters = try topic.deadLetters(since: lettersMark, expected: bad.count)
            .filter { $0["source_partition"] as? Int == Int(positions[0].partition) }
            .filter { offset in positions.contains { Int($0.offset) == offset["source_offset"] as? Int } }
        try #require(letters.count == bad.count, "\(letters)")
        for (index, reason) in bad {
            let letter = try #require(letters.first { $0["source_offset"] as? Int == Int(positions[index].offset) })
            #expect((letter["reason"] as? String)?.contains(reason) == true, "\(letter)")
            #expect(letter["source_topic"] as? String == "button_presses")
            #expect(letter["value_base64"] as? String == Data(values[index]).base64EncodedString(), "the raw bytes")
            #expect(letter["key_base64"] as? String == Data(key).base64EncodedString())
            #expect((letter["at"] as? String)?.hasPrefix("20") == true)
        }
        let messages = try topic.messages(since: enrichedMark, sessions: [session], expected: 4)
        #expect(messages.count == 4, "the 4 good events around the bad ones are enriched")
        #expect(Set(messages.compactMap(\.source?.offset)) == Set([0, 2, 4, 6].map { positions[$0].offset }))
        #expect(messages.map { $0["is_fake"] as? Int }.sorted { ($0 ?? 9) < ($1 ?? 9) } == [0, 0, 1, 1])
        // The enricher counts them and says so in its log.
        let deadline = ContinuousClock.now + .seconds(10)
        while (topic.counter("dead_letters") ?? 0) < bad.count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect((topic.counter("dead_letters") ?? 0) >= bad.count, "\(topic.status)")
        let log = (try? String(contentsOfFile: topic.logPath, encoding: .utf8)) ?? ""
        #expect(log.contains("dead letter button_presses[\(positions[1].partition)]@\(positions[1].offset)"))
    }

    @Test func statusFileReportsLagPerPartitionAndCounters() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        var text = ""
        while true {
            text = topic.status
            if (0..<6).allSatisfy({ text.contains("lag button_presses[\($0)] ") }) { break }
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        for counter in ["enriched", "dead_letters", "in_flight", "delivery_failures"] {
            #expect(topic.counter(counter) != nil, "\(counter) in \(text)")
        }
        for partition in 0..<6 { #expect(text.contains("lag button_presses[\(partition)] "), "\(text)") }
    }
}
