import Foundation

/// The cookie's binary layout, version 1:
/// uuid (16) | has-cohort (1) | cohort (4, BE) | startedAt (8, BE) | lastSeenAt (8, BE) | presses (4, BE) |
/// five strings, each a 2-byte BE length and UTF-8 bytes; then, since the bot mark, a
/// trailer: flags (1: bit 0 the mark) | windowStartedAt (8, BE) | windowPresses (4, BE).
///
/// A cookie without the trailer (written before it existed) opens with no window and no
/// mark, so sessions survive the upgrade. Workers from before the trailer refuse the new
/// cookies (they expect the end after the strings) and start a new session: during a
/// rolling upgrade a visitor may get a second session id, never an error.
///
/// Binary rather than JSON: it is parsed on every request, and a fixed layout with
/// bounds checks is both faster and leaves less to go wrong with hostile input.
enum SessionPayload {
    static let maxStringBytes = 512

    static func encode(_ session: Session) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96)
        let uuid = session.id.uuid
        withUnsafeBytes(of: uuid) { bytes.append(contentsOf: $0) }
        bytes.append(session.cohort == nil ? 0 : 1)
        append(UInt32(bitPattern: session.cohort ?? 0), to: &bytes)
        append(UInt64(bitPattern: session.startedAt), to: &bytes)
        append(UInt64(bitPattern: session.lastSeenAt), to: &bytes)
        append(session.presses, to: &bytes)
        for text in strings(session) {
            let utf8 = Array(text.utf8.prefix(maxStringBytes))
            bytes.append(UInt8(utf8.count >> 8))
            bytes.append(UInt8(utf8.count & 0xff))
            bytes.append(contentsOf: utf8)
        }
        bytes.append(session.isBot ? 1 : 0)
        append(UInt64(bitPattern: session.windowStartedAt), to: &bytes)
        append(session.windowPresses, to: &bytes)
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> Session? {
        var reader = Reader(bytes: bytes)
        guard let uuidBytes = reader.take(16), let flag = reader.take(1).flatMap(\.first), flag <= 1,
            let cohort = reader.integer(4), let started = reader.integer(8), let lastSeen = reader.integer(8),
            let presses = reader.integer(4)
        else { return nil }
        var texts: [String] = []
        for _ in 0..<5 {
            guard let length = reader.integer(2), length <= maxStringBytes, let raw = reader.take(Int(length)),
                let text = String(validating: raw, as: UTF8.self)
            else { return nil }
            texts.append(text)
        }
        var isBot = false
        var windowStart: UInt64 = 0
        var windowPresses: UInt64 = 0
        if !reader.atEnd {
            guard let flags = reader.take(1).flatMap(\.first), flags <= 1, let start = reader.integer(8),
                let count = reader.integer(4)
            else { return nil }
            isBot = flags == 1
            windowStart = start
            windowPresses = count
        }
        guard reader.atEnd else { return nil }
        let uuid = uuidBytes.withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) }
        return Session(
            id: UUID(uuid: uuid),
            cohort: flag == 1 ? Int32(bitPattern: UInt32(truncatingIfNeeded: cohort)) : nil,
            countryName: texts[0],
            countryCode: texts[1],
            subdivisionName: texts[2],
            subdivisionCode: texts[3],
            cityName: texts[4],
            startedAt: Int64(bitPattern: started),
            lastSeenAt: Int64(bitPattern: lastSeen),
            presses: UInt32(truncatingIfNeeded: presses),
            windowStartedAt: Int64(bitPattern: windowStart),
            windowPresses: UInt32(truncatingIfNeeded: windowPresses),
            isBot: isBot
        )
    }

    private static func strings(_ session: Session) -> [String] {
        [session.countryName, session.countryCode, session.subdivisionName, session.subdivisionCode, session.cityName]
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, bytes.count - offset >= count else { return nil }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func integer(_ width: Int) -> UInt64? {
            guard let raw = take(width) else { return nil }
            return raw.reduce(0) { $0 << 8 | UInt64($1) }
        }
    }
}
