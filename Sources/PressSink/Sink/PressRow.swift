public import ButtonEvents
public import Kafka

/// An event ready for `button_presses`, with its Kafka position.
public struct PressRow: Sendable, Equatable {
    public let event: PressEvent
    public let partition: KafkaPartition
    public let offset: Int64
    /// The message as received, for a dead letter if PostgreSQL rejects the row.
    public let key: [UInt8]?
    public let value: [UInt8]

    /// The longest text a column takes; longer values go to the dead letters, so one huge
    /// message cannot bloat the table or fail the batch.
    public static let maximumTextLength = 1000

    /// - Parameters:
    ///   - event: The decoded event.
    ///   - partition: Where it was read.
    ///   - offset: Its offset there.
    ///   - key: The message key.
    ///   - value: The message value.
    public init(event: PressEvent, partition: KafkaPartition, offset: Int64, key: [UInt8]? = nil, value: [UInt8] = []) {
        self.event = event
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
    }

    /// Why PostgreSQL would reject this event (or why we refuse it), checked before the insert
    /// so a poison event does not fail its whole batch.
    /// - Returns: nil when the row can be inserted.
    public static func problem(with event: PressEvent) -> String? {
        let code = event.countryCode
        if !code.isEmpty {
            guard code.utf8.count == 2, code.utf8.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) })
            else { return "country_code '\(code.prefix(8))' is not two letters" }
        }
        let texts = [
            ("country_name", event.countryName),
            ("subdivision_name", event.subdivisionName),
            ("subdivision_code", event.subdivisionCode),
            ("city_name", event.cityName),
        ]
        for (column, text) in texts {
            if text.utf8.count > maximumTextLength {
                return "\(column) has \(text.utf8.count) bytes, more than \(maximumTextLength)"
            }
            if text.utf8.contains(0) { return "\(column) contains a NUL byte" }
        }
        if let cohort = event.cohort, !(Int32(Int16.min)...Int32(Int16.max)).contains(cohort) {
            return "cohort \(cohort) does not fit a smallint"
        }
        return nil
    }
}

/// A message that cannot become a row, and why.
public struct DeadLetter: Sendable, Equatable {
    public let partition: KafkaPartition
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]
    public let reason: String

    /// - Parameters:
    ///   - partition: Where it was read.
    ///   - offset: Its offset there.
    ///   - key: The message key, as received.
    ///   - value: The message value, as received.
    ///   - reason: Why it is not a row.
    public init(partition: KafkaPartition, offset: Int64, key: [UInt8]?, value: [UInt8], reason: String) {
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.reason = reason
    }
}
