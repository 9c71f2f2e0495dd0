extension PressEvent {
    /// The Avro body for `PressEvent.schemaJSON`, written directly.
    ///
    /// The press path encodes one event per request; writing the ten fields straight into
    /// bytes skips building a generic value tree. Tests check it byte for byte against the
    /// generic encoder, and python3-avro decodes it in the integration tests.
    public var avroBody: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        Self.appendString(sessionID.uuidString.lowercased(), to: &out)
        Self.appendLong(timestamp, to: &out)
        Self.appendString(action.rawValue, to: &out)
        for text in [countryName, countryCode, subdivisionName, subdivisionCode, cityName] {
            Self.appendString(text, to: &out)
        }
        if let cohort {
            Self.appendLong(1, to: &out)  // union branch 1: int
            Self.appendLong(Int64(cohort), to: &out)
        } else {
            Self.appendLong(0, to: &out)  // union branch 0: null
        }
        out.append(isBot ? 1 : 0)  // Avro boolean: one byte
        return out
    }

    /// Avro `long`/`int`: zig-zag, then base-128 varint. Public for writers that frame
    /// events themselves from parts encoded once (the generator).
    public static func appendLong(_ value: Int64, to out: inout [UInt8]) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            out.append(UInt8(zigzag & 0x7F) | 0x80)
            zigzag >>= 7
        }
        out.append(UInt8(zigzag))
    }

    /// Avro `string`: byte length, then UTF-8.
    public static func appendString(_ value: String, to out: inout [UInt8]) {
        appendLong(Int64(value.utf8.count), to: &out)
        out.append(contentsOf: value.utf8)
    }
}
