extension AvroSchema {
    /// Decodes one value in Avro binary encoding written with this schema.
    ///
    /// The input is untrusted: truncation, over-long varints, negative or oversized lengths,
    /// out-of-range union or enum indexes, invalid UTF-8, booleans other than 0/1, nesting
    /// deeper than 256 levels and trailing bytes are all errors, and no allocation is sized
    /// from a length before it is checked against the remaining input.
    /// - Parameter bytes: The Avro body (without Confluent framing).
    /// - Returns: The value; union members are wrapped in `.union(branch:value:)`.
    /// - Throws: `AvroError` with code `.decoding`.
    public func decode(_ bytes: [UInt8]) throws -> AvroValue {
        try decode(bytes[...])
    }

    /// Decodes one value from a slice, e.g. the body returned by ``ConfluentWireFormat``.
    /// - Parameter bytes: The Avro body.
    /// - Returns: The value.
    /// - Throws: `AvroError` with code `.decoding`.
    public func decode(_ bytes: ArraySlice<UInt8>) throws -> AvroValue {
        var decoder = AvroBinaryDecoder(schema: self, bytes: bytes)
        let value = try decoder.decode(root, depth: 0)
        try decoder.expectEnd()
        return value
    }
}

/// Reads Avro binary encoding from untrusted input.
struct AvroBinaryDecoder {
    /// Nesting limit; keeps recursion (e.g. a long linked list) off the end of the stack.
    static let maximumDepth = 256
    /// Items that may encode as zero bytes (`null`, empty records) are limited to this many per
    /// value, so a tiny input cannot claim billions of them.
    static let maximumZeroSizeItems = 1 << 20

    private let schema: AvroSchema
    private let bytes: ArraySlice<UInt8>
    private var position: Int
    private var zeroSizeItems = 0
    private var minimumSizes: [String: Int] = [:]

    init(schema: AvroSchema, bytes: ArraySlice<UInt8>) {
        self.schema = schema
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    private var offset: Int { position - bytes.startIndex }
    private var remaining: Int { bytes.endIndex - position }

    private func failure(_ problem: String) -> AvroError {
        AvroError(.decoding, "at byte offset \(offset): \(problem)")
    }

    func expectEnd() throws {
        guard remaining == 0 else { throw failure("\(remaining) trailing bytes after the value") }
    }

    mutating func decode(_ node: AvroNode, depth: Int) throws -> AvroValue {
        guard depth < Self.maximumDepth else {
            throw failure("value nests deeper than \(Self.maximumDepth) levels")
        }
        switch schema.resolve(node) {
        case .primitive(let primitive, _):
            return try decodePrimitive(primitive)
        case .record(let record):
            var fields: [AvroValue.Field] = []
            for field in record.fields {
                fields.append(AvroValue.Field(field.name, try decode(field.type, depth: depth + 1)))
            }
            return .record(fields)
        case .enumeration(let enumeration):
            let index = try readLong()
            guard index >= 0, index < enumeration.symbols.count else {
                throw failure("enum index \(index) out of range for enum '\(enumeration.fullName)'")
            }
            return .enumSymbol(enumeration.symbols[Int(index)])
        case .array(let items, _):
            var elements: [AvroValue] = []
            try readBlocks(of: items) { decoder in
                elements.append(try decoder.decode(items, depth: depth + 1))
            }
            return .array(elements)
        case .map(let values, _):
            var entries: [String: AvroValue] = [:]
            try readBlocks(of: values, keyed: true) { decoder in
                let key = try decoder.readString()
                entries[key] = try decoder.decode(values, depth: depth + 1)
            }
            return .map(entries)
        case .union(let branches):
            let index = try readLong()
            guard index >= 0, index < branches.count else {
                throw failure("union index \(index) out of range for \(AvroNode.union(branches).displayName)")
            }
            return .union(branch: Int(index), value: try decode(branches[Int(index)], depth: depth + 1))
        case .fixed(let fixed):
            return .fixed(try readBytes(count: fixed.size))
        case .reference(let name):
            throw failure("type '\(name)' is not defined")
        }
    }

    private mutating func decodePrimitive(_ primitive: AvroPrimitive) throws -> AvroValue {
        switch primitive {
        case .null:
            return .null
        case .boolean:
            let byte = try readBytes(count: 1)[0]
            guard byte <= 1 else { throw failure("invalid boolean byte \(byte)") }
            return .boolean(byte == 1)
        case .int:
            let number = try readLong(maximumBytes: 5)
            guard let small = Int32(exactly: number) else { throw failure("int value out of 32-bit range") }
            return .int(small)
        case .long:
            return .long(try readLong())
        case .float:
            return .float(Float(bitPattern: UInt32(try readLittleEndian(byteCount: 4))))
        case .double:
            return .double(Double(bitPattern: try readLittleEndian(byteCount: 8)))
        case .bytes:
            return .bytes(try readBytes(count: try readLength()))
        case .string:
            return .string(try readString())
        }
    }

    /// Reads array or map blocks: a count, (for a negative count, a byte size), the items; a
    /// zero count ends the sequence.
    private mutating func readBlocks(
        of itemType: AvroNode,
        keyed: Bool = false,
        item: (inout AvroBinaryDecoder) throws -> Void
    ) throws {
        // A map entry always has at least its key's length byte.
        let itemSize = keyed ? 1 + minimumSize(itemType) : minimumSize(itemType)
        while true {
            var count = try readLong()
            if count == 0 { return }
            if count < 0 {
                guard count != Int64.min else { throw failure("invalid block count") }
                count = -count
                let blockSize = try readLong()
                guard blockSize >= 0, blockSize <= remaining else {
                    throw failure("block size \(blockSize) is negative or exceeds the \(remaining) remaining bytes")
                }
            }
            if itemSize > 0 {
                guard count <= remaining / itemSize else {
                    throw failure("block claims \(count) items but only \(remaining) bytes remain")
                }
            } else {
                guard count <= Self.maximumZeroSizeItems - zeroSizeItems else {
                    throw failure("block claims \(count) items, more than the limit of \(Self.maximumZeroSizeItems)")
                }
                zeroSizeItems += Int(count)
            }
            for _ in 0..<count {
                try item(&self)
            }
        }
    }

    /// The fewest bytes any value of the type encodes to; recursion through a record counts 0.
    private mutating func minimumSize(_ node: AvroNode) -> Int {
        var visiting: Set<String> = []
        return minimumSize(node, visiting: &visiting)
    }

    private mutating func minimumSize(_ node: AvroNode, visiting: inout Set<String>) -> Int {
        switch schema.resolve(node) {
        case .primitive(.null, _): return 0
        case .primitive(.float, _): return 4
        case .primitive(.double, _): return 8
        case .primitive: return 1
        case .enumeration, .array, .map, .union: return 1
        case .fixed(let fixed): return fixed.size
        case .reference: return 0
        case .record(let record):
            if let known = minimumSizes[record.fullName] { return known }
            guard visiting.insert(record.fullName).inserted else { return 0 }
            var total = 0
            for field in record.fields {
                total = min(total + minimumSize(field.type, visiting: &visiting), Int(Int32.max))
            }
            visiting.remove(record.fullName)
            minimumSizes[record.fullName] = total
            return total
        }
    }

    private mutating func readString() throws -> String {
        let start = offset
        let data = try readBytes(count: try readLength())
        guard let text = String(validating: data, as: UTF8.self) else {
            throw AvroError(.decoding, "at byte offset \(start): string is not valid UTF-8")
        }
        return text
    }

    /// A non-negative length that fits in the remaining input.
    private mutating func readLength() throws -> Int {
        let length = try readLong()
        guard length >= 0 else { throw failure("negative length \(length)") }
        guard length <= remaining else {
            throw failure("length \(length) exceeds the \(remaining) remaining bytes")
        }
        return Int(length)
    }

    private mutating func readBytes(count: Int) throws -> [UInt8] {
        guard count <= remaining else {
            throw failure("truncated input: needed \(count) bytes, \(remaining) remain")
        }
        let data = Array(bytes[position..<position + count])
        position += count
        return data
    }

    private mutating func readLittleEndian(byteCount: Int) throws -> UInt64 {
        let data = try readBytes(count: byteCount)
        var bits: UInt64 = 0
        for (index, byte) in data.enumerated() {
            bits |= UInt64(byte) << (8 * UInt64(index))
        }
        return bits
    }

    /// A zig-zag varint of at most `maximumBytes` bytes (10 for long, 5 for int).
    private mutating func readLong(maximumBytes: Int = 10) throws -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<maximumBytes {
            guard position < bytes.endIndex else { throw failure("truncated input inside a varint") }
            let byte = bytes[position]
            position += 1
            if index == 9 && byte > 1 {
                throw failure("varint overflows 64 bits")
            }
            raw |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
            }
            shift += 7
        }
        throw failure("varint longer than \(maximumBytes) bytes")
    }
}
