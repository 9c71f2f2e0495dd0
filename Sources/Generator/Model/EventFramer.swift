public import ButtonEvents

/// Writes a session's events as the workers do (Confluent framing around the Avro body of
/// `PressEvent.schemaJSON`), reusing one buffer.
///
/// Everything but the timestamp and the action is the same for all events of a session, so
/// it is encoded once per session; an event then costs a varint and two copies. A unit test
/// checks the bytes against `PressEvent.encoded(schemaID:)`, the workers' encoder.
public struct EventFramer {
    private let schemaID: Int32
    /// The framing header and the `session_id` string.
    private var head: [UInt8] = []
    /// The five location strings, the null `cohort` branch and `is_bot` false.
    private var tail: [UInt8] = []
    /// The last message written.
    public private(set) var buffer: [UInt8] = []
    /// The key of the current session (its id as UTF-8).
    public private(set) var key: [UInt8] = []

    private static let enterPage = encodedString(PressAction.enterPage.rawValue)
    private static let pressButton = encodedString(PressAction.pressButton.rawValue)

    /// - Parameter schemaID: the id the registry gave `PressEvent.schemaJSON`.
    public init(schemaID: Int32) {
        self.schemaID = schemaID
        buffer.reserveCapacity(256)
    }

    /// Prepares the parts shared by the session's events.
    public mutating func begin(_ session: GeneratedSession) {
        key = Array(session.id.utf8)
        head.removeAll(keepingCapacity: true)
        head.append(0)
        withUnsafeBytes(of: schemaID.bigEndian) { head.append(contentsOf: $0) }
        PressEvent.appendString(session.id, to: &head)
        tail.removeAll(keepingCapacity: true)
        let place = session.location
        for text in [
            place.countryName, place.countryCode, place.subdivisionName, place.subdivisionCode, place.cityName,
        ] {
            PressEvent.appendString(text, to: &tail)
        }
        tail.append(0)  // cohort: union branch 0, null (fake data)
        tail.append(0)  // is_bot: false (the generator paces sessions like people)
    }

    /// Writes event `index` of the session last passed to ``begin(_:)`` into ``buffer``.
    public mutating func write(timestamp: Int64, action: PressAction) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: head)
        PressEvent.appendLong(timestamp, to: &buffer)
        buffer.append(contentsOf: action == .enterPage ? Self.enterPage : Self.pressButton)
        buffer.append(contentsOf: tail)
    }

    private static func encodedString(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        PressEvent.appendString(text, to: &out)
        return out
    }
}
