extension AvroSchema {
    /// Encodes a value in Avro binary encoding, checking it against this schema.
    ///
    /// Record fields are matched by name; a field missing from the value takes its schema
    /// default. A union accepts `.union(branch:value:)` or a bare value, which goes to the first
    /// branch it fits.
    /// - Parameter value: The value to encode.
    /// - Returns: The encoded bytes (no framing).
    /// - Throws: `AvroError` with code `.encoding`, naming the path of the mismatch.
    public func encode(_ value: AvroValue) throws -> [UInt8] {
        var encoder = AvroBinaryEncoder(schema: self)
        try encoder.encode(value, as: root, path: [], depth: 0)
        return encoder.bytes
    }
}

/// Writes Avro binary encoding.
struct AvroBinaryEncoder {
    /// Values nest at most this deep; matches the decoder so anything encoded can be decoded.
    static let maximumDepth = AvroBinaryDecoder.maximumDepth

    let schema: AvroSchema
    private(set) var bytes: [UInt8] = []

    init(schema: AvroSchema) {
        self.schema = schema
    }

    private func failure(_ path: [String], _ problem: String) -> AvroError {
        AvroError(.encoding, "at /\(path.joined(separator: "/")): \(problem)")
    }

    private func mismatch(_ path: [String], _ node: AvroNode, _ value: AvroValue) -> AvroError {
        failure(path, "schema type '\(node.displayName)' cannot encode a value of kind \(value.kindName)")
    }

    mutating func encode(_ value: AvroValue, as node: AvroNode, path: [String], depth: Int) throws {
        guard depth < Self.maximumDepth else {
            throw failure(path, "value nests deeper than \(Self.maximumDepth) levels")
        }
        let type = schema.resolve(node)
        switch (type, value) {
        case (.union(let branches), _):
            try encodeUnion(value, branches: branches, path: path, depth: depth)
        case (.primitive(.null, _), .null):
            break
        case (.primitive(.boolean, _), .boolean(let flag)):
            bytes.append(flag ? 1 : 0)
        case (.primitive(.int, _), .int(let number)):
            writeLong(Int64(number))
        case (.primitive(.long, _), .long(let number)):
            writeLong(number)
        case (.primitive(.float, _), .float(let number)):
            writeLittleEndian(UInt64(number.bitPattern), byteCount: 4)
        case (.primitive(.double, _), .double(let number)):
            writeLittleEndian(number.bitPattern, byteCount: 8)
        case (.primitive(.bytes, _), .bytes(let data)):
            writeLong(Int64(data.count))
            bytes += data
        case (.primitive(.string, _), .string(let text)):
            writeLong(Int64(text.utf8.count))
            bytes += text.utf8
        case (.record(let record), .record(let fields)):
            try encodeRecord(record, fields: fields, path: path, depth: depth)
        case (.enumeration(let enumeration), .enumSymbol(let symbol)):
            guard let index = enumeration.symbols.firstIndex(of: symbol) else {
                throw failure(path, "symbol is not one of the symbols of enum '\(enumeration.fullName)'")
            }
            writeLong(Int64(index))
        case (.array(let items, _), .array(let elements)):
            if !elements.isEmpty {
                writeLong(Int64(elements.count))
                for (index, element) in elements.enumerated() {
                    try encode(element, as: items, path: path + [String(index)], depth: depth + 1)
                }
            }
            writeLong(0)
        case (.map(let values, _), .map(let entries)):
            if !entries.isEmpty {
                writeLong(Int64(entries.count))
                // Sorted so equal maps always encode to equal bytes.
                for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
                    writeLong(Int64(key.utf8.count))
                    bytes += key.utf8
                    try encode(entry, as: values, path: path + [key], depth: depth + 1)
                }
            }
            writeLong(0)
        case (.fixed(let fixed), .fixed(let data)):
            guard data.count == fixed.size else {
                throw failure(path, "fixed '\(fixed.fullName)' needs \(fixed.size) bytes, value has \(data.count)")
            }
            bytes += data
        default:
            throw mismatch(path, type, value)
        }
    }

    private mutating func encodeUnion(_ value: AvroValue, branches: [AvroNode], path: [String], depth: Int) throws {
        if case .union(let branch, let member) = value {
            guard branches.indices.contains(branch) else {
                throw failure(path, "union branch \(branch) does not exist in \(AvroNode.union(branches).displayName)")
            }
            writeLong(Int64(branch))
            try encode(member, as: branches[branch], path: path, depth: depth + 1)
            return
        }
        for (index, branch) in branches.enumerated() {
            var trial = AvroBinaryEncoder(schema: schema)
            if (try? trial.encode(value, as: branch, path: path, depth: depth + 1)) != nil {
                writeLong(Int64(index))
                bytes += trial.bytes
                return
            }
        }
        throw failure(
            path,
            "a value of kind \(value.kindName) fits no branch of \(AvroNode.union(branches).displayName)"
        )
    }

    private mutating func encodeRecord(
        _ record: AvroRecordSchema,
        fields: [AvroValue.Field],
        path: [String],
        depth: Int
    ) throws {
        var seen: Set<String> = []
        for field in fields {
            guard record.field(named: field.name) != nil else {
                throw failure(path, "record '\(record.fullName)' has no field '\(field.name)'")
            }
            guard seen.insert(field.name).inserted else {
                throw failure(path, "field '\(field.name)' appears more than once in the value")
            }
        }
        for field in record.fields {
            let fieldPath = path + [field.name]
            let value: AvroValue
            if let given = fields.first(where: { $0.name == field.name }) {
                value = given.value
            } else if let json = field.defaultValue, let fallback = try? schema.defaultValue(json, for: field.type) {
                value = fallback
            } else {
                throw failure(
                    fieldPath,
                    "field '\(field.name)' of record '\(record.fullName)' is missing and has no default"
                )
            }
            try encode(value, as: field.type, path: fieldPath, depth: depth + 1)
        }
    }

    /// Zig-zag, then base-128 little-endian groups with a continuation bit.
    private mutating func writeLong(_ number: Int64) {
        var rest = UInt64(bitPattern: (number << 1) ^ (number >> 63))
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    private mutating func writeLittleEndian(_ bits: UInt64, byteCount: Int) {
        for index in 0..<byteCount {
            bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(index))))
        }
    }
}
