/// Why a default does not fit its type; turned into an `AvroError` by the caller, who knows
/// which field the default belongs to.
struct AvroDefaultMismatch: Error {
    var message: String
}

extension AvroSchema {
    /// Checks every field default of one record.
    func validateDefaults(ofRecord name: String) throws {
        guard case .record(let record) = named[name] else { return }
        for field in record.fields {
            guard let json = field.defaultValue else { continue }
            do {
                _ = try defaultValue(json, for: field.type)
            } catch {
                throw AvroError(.invalidSchema, "field '\(field.name)' of record '\(name)': \(error.message)")
            }
        }
    }

    /// The value a JSON default stands for. A union's default is a value of its first branch
    /// and is returned wrapped as branch 0.
    func defaultValue(_ json: JSONValue, for node: AvroNode) throws(AvroDefaultMismatch) -> AvroValue {
        var budget = 100_000
        return try defaultValue(json, for: node, depth: 0, budget: &budget)
    }

    private func defaultValue(
        _ json: JSONValue,
        for node: AvroNode,
        depth: Int,
        budget: inout Int
    ) throws(AvroDefaultMismatch) -> AvroValue {
        // A recursive record whose field defaults refer back to the record would otherwise loop
        // forever, or (with several such fields) take exponential time.
        budget -= 1
        guard depth < JSONParser.maximumDepth, budget > 0 else {
            throw AvroDefaultMismatch(message: "default expands to a value that is too large or too deep")
        }
        func mismatch(_ expected: String) -> AvroDefaultMismatch {
            AvroDefaultMismatch(
                message: "default must be \(expected) for type '\(node.displayName)', found \(json.kindDescription)"
            )
        }
        switch (resolve(node), json) {
        case (.union(let branches), _):
            guard let first = branches.first else {
                throw AvroDefaultMismatch(message: "a union with no branches cannot have a default")
            }
            guard let value = try? defaultValue(json, for: first, depth: depth + 1, budget: &budget) else {
                throw AvroDefaultMismatch(message: "default must match the first union branch '\(first.displayName)'")
            }
            return .union(branch: 0, value: value)
        case (.primitive(let primitive, _), _):
            guard let value = Self.primitiveDefault(primitive, json) else {
                throw mismatch(Self.expectation(for: primitive))
            }
            return value
        case (.record(let record), .object):
            var fields: [AvroValue.Field] = []
            for field in record.fields {
                if let member = json[field.name] {
                    fields.append(
                        AvroValue.Field(
                            field.name,
                            try defaultValue(member, for: field.type, depth: depth + 1, budget: &budget)
                        )
                    )
                } else if let fieldDefault = field.defaultValue {
                    fields.append(
                        AvroValue.Field(
                            field.name,
                            try defaultValue(fieldDefault, for: field.type, depth: depth + 1, budget: &budget)
                        )
                    )
                } else {
                    throw AvroDefaultMismatch(
                        message:
                            "default for record '\(record.fullName)' lacks field '\(field.name)', which has no default"
                    )
                }
            }
            return .record(fields)
        case (.enumeration(let enumeration), .string(let symbol)):
            guard enumeration.symbols.contains(symbol) else {
                throw AvroDefaultMismatch(
                    message: "default '\(symbol)' is not a symbol of enum '\(enumeration.fullName)'"
                )
            }
            return .enumSymbol(symbol)
        case (.array(let items, _), .array(let elements)):
            var values: [AvroValue] = []
            for element in elements {
                values.append(try defaultValue(element, for: items, depth: depth + 1, budget: &budget))
            }
            return .array(values)
        case (.map(let valueType, _), .object(let members)):
            var entries: [String: AvroValue] = [:]
            for member in members {
                entries[member.key] = try defaultValue(member.value, for: valueType, depth: depth + 1, budget: &budget)
            }
            return .map(entries)
        case (.fixed(let fixed), .string(let text)):
            guard let bytes = Self.codePointBytes(text), bytes.count == fixed.size else {
                throw mismatch("a string of \(fixed.size) code points in U+0000...U+00FF")
            }
            return .fixed(bytes)
        case (.record, _): throw mismatch("an object")
        case (.enumeration, _): throw mismatch("a string")
        case (.array, _): throw mismatch("an array")
        case (.map, _): throw mismatch("an object")
        case (.fixed, _): throw mismatch("a string")
        case (.reference(let name), _):
            throw AvroDefaultMismatch(message: "type '\(name)' is not defined")
        }
    }

    private static func primitiveDefault(_ primitive: AvroPrimitive, _ json: JSONValue) -> AvroValue? {
        switch (primitive, json) {
        case (.null, .null): return .null
        case (.boolean, .bool(let flag)): return .boolean(flag)
        case (.int, .number(let text)): return Int32(text).map(AvroValue.int)
        case (.long, .number(let text)): return Int64(text).map(AvroValue.long)
        case (.float, .number(let text)):
            guard let number = Float(text), number.isFinite else { return nil }
            return .float(number)
        case (.double, .number(let text)):
            guard let number = Double(text), number.isFinite else { return nil }
            return .double(number)
        case (.bytes, .string(let text)): return codePointBytes(text).map(AvroValue.bytes)
        case (.string, .string(let text)): return .string(text)
        default: return nil
        }
    }

    private static func expectation(for primitive: AvroPrimitive) -> String {
        switch primitive {
        case .null: "null"
        case .boolean: "true or false"
        case .int: "an integer in the 32-bit range"
        case .long: "an integer in the 64-bit range"
        case .float, .double: "a finite number"
        case .bytes: "a string of code points in U+0000...U+00FF"
        case .string: "a string"
        }
    }

    /// Avro's JSON spelling of bytes: one code point per byte.
    private static func codePointBytes(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }
}
