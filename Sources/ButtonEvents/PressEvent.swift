public import Avro
public import Foundation

/// What happened: the page was entered or the button pressed.
public enum PressAction: String, Sendable, CaseIterable {
    case enterPage = "EnterPage"
    case pressButton = "PressButton"
}

/// One event on the `button_presses` topic.
///
/// Field names, order and wire types are the original workshop app's, so its consumers, its
/// JDBC sink configuration and its ClickHouse tables work unchanged.
public struct PressEvent: Sendable, Equatable {
    public var sessionID: UUID
    /// Microseconds since the Unix epoch, UTC.
    public var timestamp: Int64
    public var action: PressAction
    public var countryName: String
    public var countryCode: String
    public var subdivisionName: String
    public var subdivisionCode: String
    public var cityName: String
    /// nil marks generated fake data.
    public var cohort: Int32?
    /// The session pressed faster than a person can (more than the workers' threshold
    /// within one second, `BUTTON_BOT_PRESSES_PER_SECOND`): kept, but marked, so the stats
    /// can leave it out. False in events written before the field existed.
    public var isBot: Bool

    /// - Parameters: the fields above; `isBot` defaults to false.
    public init(
        sessionID: UUID,
        timestamp: Int64,
        action: PressAction,
        countryName: String,
        countryCode: String,
        subdivisionName: String,
        subdivisionCode: String,
        cityName: String,
        cohort: Int32?,
        isBot: Bool = false
    ) {
        self.sessionID = sessionID
        self.timestamp = timestamp
        self.action = action
        self.countryName = countryName
        self.countryCode = countryCode
        self.subdivisionName = subdivisionName
        self.subdivisionCode = subdivisionCode
        self.cityName = cityName
        self.cohort = cohort
        self.isBot = isBot
    }

    /// The topic events are produced to.
    public static let topic = "button_presses"
    /// The registry subject of the topic's values.
    public static let subject = "button_presses-value"

    /// The event's Avro schema, registered as the newest version of ``subject``.
    ///
    /// The record is named after the topic because Kafka Connect's JDBC sink maps record
    /// names to tables. `timestamp` is a plain `long` (µs since the epoch, UTC) and
    /// `session_id` a plain `string`, as in the original app's schema: their `logicalType`s are
    /// attributes of the fields, which Avro readers ignore, not of the types. On the types,
    /// Python's `avro` and `fastavro` decode them into `datetime` and `UUID` objects, which
    /// the original app's consumer (a pydantic model with `timestamp: int`,
    /// `session_id: str`) rejects. The binary encoding is the same either way, so events
    /// written under the earlier version, which had them on the types, still decode.
    /// `is_bot` came last, with a default: readers with the earlier schema skip it, and this
    /// schema reads events written without it as false (BACKWARD and FORWARD compatible).
    public static let schemaJSON = """
        {"type":"record","name":"button_presses","doc":"Web app interactions","fields":[\
        {"name":"session_id","type":"string","logicalType":"uuid"},\
        {"name":"timestamp","type":"long","logicalType":"timestamp-micros"},\
        {"name":"action","type":"string"},\
        {"name":"country_name","type":"string"},\
        {"name":"country_code","type":"string"},\
        {"name":"subdivision_name","type":"string"},\
        {"name":"subdivision_code","type":"string"},\
        {"name":"city_name","type":"string"},\
        {"name":"cohort","type":["null","int"],"default":null},\
        {"name":"is_bot","type":"boolean","default":false}]}
        """

    /// The parsed schema. Parsing a constant we wrote cannot fail at run time; a test
    /// parses it too.
    public static let schema: AvroSchema = {
        do {
            return try AvroSchema(parsing: schemaJSON)
        } catch {
            preconditionFailure("the built-in event schema does not parse: \(error)")
        }
    }()

    /// The event as an Avro record value.
    public var avroValue: AvroValue {
        .record([
            .init("session_id", .string(sessionID.uuidString.lowercased())),
            .init("timestamp", .long(timestamp)),
            .init("action", .string(action.rawValue)),
            .init("country_name", .string(countryName)),
            .init("country_code", .string(countryCode)),
            .init("subdivision_name", .string(subdivisionName)),
            .init("subdivision_code", .string(subdivisionCode)),
            .init("city_name", .string(cityName)),
            .init("cohort", cohort.map { .union(branch: 1, value: .int($0)) } ?? .union(branch: 0, value: .null)),
            .init("is_bot", .boolean(isBot)),
        ])
    }

    /// The Kafka message value: Confluent framing around the Avro body.
    /// - Parameter schemaID: the id the registry gave `schemaJSON`.
    public func encoded(schemaID: Int32) -> [UInt8] {
        ConfluentWireFormat.frame(schemaID: schemaID, body: avroBody)
    }

    /// Reads an event from a decoded Avro record (any schema version with these fields).
    /// - Returns: nil when a required field is missing or has the wrong type.
    public init?(_ value: AvroValue) {
        guard let id = value["session_id"]?.stringValue.flatMap(UUID.init(uuidString:)),
            let timestamp = value["timestamp"]?.integerValue,
            let action = value["action"]?.stringValue.flatMap(PressAction.init(rawValue:))
        else { return nil }
        self.init(
            sessionID: id,
            timestamp: timestamp,
            action: action,
            countryName: value["country_name"]?.stringValue ?? "",
            countryCode: value["country_code"]?.stringValue ?? "",
            subdivisionName: value["subdivision_name"]?.stringValue ?? "",
            subdivisionCode: value["subdivision_code"]?.stringValue ?? "",
            cityName: value["city_name"]?.stringValue ?? "",
            cohort: value["cohort"]?.integerValue.map { Int32(truncatingIfNeeded: $0) },
            isBot: value["is_bot"]?.boolValue ?? false
        )
    }
}
