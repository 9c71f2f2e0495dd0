public import ButtonEvents
import Foundation
public import Kafka
public import Places

/// One message of `button_presses_enriched`: the event, where and when (local time) it
/// happened, whether it is fake or a bot's, and where it was read. The contract ClickHouse's Kafka
/// engine reads (JSONEachRow); its target table collapses duplicates on the source position.
public struct EnrichedEvent: Sendable, Equatable, Encodable {
    public var event: PressEvent
    public var place: Place?
    public var local: LocalClock.Reading?
    public var source: KafkaPartition
    public var sourceOffset: Int64

    /// - Parameters:
    ///   - event: The decoded event.
    ///   - place: Its place, nil when the country is unknown.
    ///   - local: The local time there, nil when the zone is unknown.
    ///   - source: The partition it was read from.
    ///   - sourceOffset: Its offset there.
    public init(
        event: PressEvent,
        place: Place?,
        local: LocalClock.Reading?,
        source: KafkaPartition,
        sourceOffset: Int64
    ) {
        self.event = event
        self.place = place
        self.local = local
        self.source = source
        self.sourceOffset = sourceOffset
    }

    /// The message key: the session id as text, as on the source topic (where the original
    /// app's events have none), so one session stays in one partition.
    public var key: [UInt8] { Array(event.sessionID.uuidString.lowercased().utf8) }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case timestamp, action, cohort
        case countryName = "country_name"
        case countryCode = "country_code"
        case subdivisionName = "subdivision_name"
        case subdivisionCode = "subdivision_code"
        case cityName = "city_name"
        case isFake = "is_fake"
        case isBot = "is_bot"
        case latitude, longitude
        case timeZone = "time_zone"
        case localHour = "local_hour"
        case localWeekday = "local_weekday"
        case sourceTopic = "source_topic"
        case sourcePartition = "source_partition"
        case sourceOffset = "source_offset"
    }

    // By hand: unknown values are written as JSON null (the synthesized encoder would leave
    // the keys out), and the timestamp as an exact integer.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.sessionID.uuidString.lowercased(), forKey: .sessionID)
        try container.encode(event.timestamp, forKey: .timestamp)
        try container.encode(event.action.rawValue, forKey: .action)
        try container.encode(event.countryName, forKey: .countryName)
        try container.encode(event.countryCode, forKey: .countryCode)
        try container.encode(event.subdivisionName, forKey: .subdivisionName)
        try container.encode(event.subdivisionCode, forKey: .subdivisionCode)
        try container.encode(event.cityName, forKey: .cityName)
        try encodeOrNull(event.cohort, .cohort, &container)
        try container.encode(event.cohort == nil ? 1 : 0, forKey: .isFake)
        try container.encode(event.isBot ? 1 : 0, forKey: .isBot)
        try encodeOrNull(place?.latitude, .latitude, &container)
        try encodeOrNull(place?.longitude, .longitude, &container)
        try container.encode(place?.zone ?? "", forKey: .timeZone)
        try encodeOrNull(local?.hour, .localHour, &container)
        try encodeOrNull(local?.weekday, .localWeekday, &container)
        try container.encode(source.topic, forKey: .sourceTopic)
        try container.encode(source.partition, forKey: .sourcePartition)
        try container.encode(sourceOffset, forKey: .sourceOffset)
    }

    private func encodeOrNull(
        _ value: (some Encodable)?,
        _ key: CodingKeys,
        _ container: inout KeyedEncodingContainer<CodingKeys>
    ) throws {
        if let value { try container.encode(value, forKey: key) } else { try container.encodeNil(forKey: key) }
    }
}

/// Turns events into enriched events: places from zone.tab, local time from Foundation.
/// Not thread-safe (its clock caches calendars): one per consumer loop.
public struct EventEnricher {
    public let places: CountryPlaces
    private var clock = LocalClock()
    private let encoder: JSONEncoder

    /// - Parameter places: The places by country.
    public init(places: CountryPlaces) {
        self.places = places
        encoder = JSONEncoder()
        // "Europe/London", not "Europe\/London": both are valid JSON, this is what people grep
        // for. Sorted keys: the same event is the same bytes every time (Foundation's order
        // otherwise changes between runs), which people and tests can compare.
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    }

    /// The enriched event.
    public mutating func enrich(_ event: PressEvent, source: KafkaPartition, offset: Int64) -> EnrichedEvent {
        let place = places.place(countryCode: event.countryCode, city: event.cityName)
        let local = place.flatMap { clock.reading(microseconds: event.timestamp, zone: $0.zone) }
        return EnrichedEvent(event: event, place: place, local: local, source: source, sourceOffset: offset)
    }

    /// A message value: one JSON object, no newline (an enriched event or a dead letter).
    /// - Throws: `EncodingError` (not reachable for these types' fields).
    public func json(_ value: some Encodable) throws -> [UInt8] {
        Array(try encoder.encode(value))
    }
}
