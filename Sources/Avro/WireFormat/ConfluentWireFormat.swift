/// The Confluent Schema Registry framing of a Kafka message value: magic byte `0x00`, the
/// schema id as 4 bytes big-endian, then the Avro binary body.
public enum ConfluentWireFormat {
    /// The first byte of every frame.
    public static let magicByte: UInt8 = 0
    /// Magic byte plus schema id.
    public static let headerSize = 5

    /// Prefixes an Avro body with the magic byte and schema id.
    /// - Parameters:
    ///   - schemaID: The registry's id of the writer schema.
    ///   - body: The Avro binary encoding of the value.
    /// - Returns: The framed message value.
    public static func frame(schemaID: Int32, body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize + body.count)
        bytes.append(magicByte)
        let id = UInt32(bitPattern: schemaID)
        bytes += [UInt8(truncatingIfNeeded: id >> 24), UInt8(truncatingIfNeeded: id >> 16)]
        bytes += [UInt8(truncatingIfNeeded: id >> 8), UInt8(truncatingIfNeeded: id)]
        bytes += body
        return bytes
    }

    /// Splits a framed message value into schema id and body.
    /// - Parameter bytes: The message value.
    /// - Returns: The schema id and the Avro body (possibly empty).
    /// - Throws: `AvroError` with code `.wireFormat` when the input is shorter than the header
    ///   or does not start with the magic byte.
    public static func unframe(_ bytes: [UInt8]) throws -> (schemaID: Int32, body: [UInt8]) {
        guard bytes.count >= headerSize else {
            throw AvroError(.wireFormat, "message of \(bytes.count) bytes is shorter than the 5-byte header")
        }
        guard bytes[0] == magicByte else {
            throw AvroError(.wireFormat, "unknown magic byte \(bytes[0]) (expected 0)")
        }
        let id = bytes[1...4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return (Int32(bitPattern: id), Array(bytes[headerSize...]))
    }
}
