extension AvroSchema {
    /// The 64-bit Rabin fingerprint (CRC-64-AVRO) of the ``canonicalForm``, as the spec and
    /// Java's `SchemaNormalization.parsingFingerprint64` define it.
    public var parsingFingerprint64: Int64 {
        var fingerprint = Self.rabinEmpty
        for byte in canonicalForm.utf8 {
            fingerprint = (fingerprint >> 8) ^ Self.rabinTable[Int((fingerprint ^ UInt64(byte)) & 0xFF)]
        }
        return Int64(bitPattern: fingerprint)
    }

    private static let rabinEmpty: UInt64 = 0xC15D_213A_A4D7_A795

    private static let rabinTable: [UInt64] = (0..<256).map { index in
        var fingerprint = UInt64(index)
        for _ in 0..<8 {
            fingerprint = (fingerprint >> 1) ^ (rabinEmpty & (0 &- (fingerprint & 1)))
        }
        return fingerprint
    }

    func makeCanonicalForm() -> String {
        canonicalJSON(root).compactText
    }

    func makeNormalizedJSON() -> String {
        normalizedJSON(root).compactText
    }

    private func canonicalJSON(_ node: AvroNode) -> JSONValue {
        switch node {
        case .primitive(let primitive, _):
            return .string(primitive.rawValue)
        case .reference(let name):
            return .string(name)
        case .union(let branches):
            return .array(branches.map(canonicalJSON))
        case .array(let items, _):
            return .object([member("type", "array"), JSONMember(key: "items", value: canonicalJSON(items))])
        case .map(let values, _):
            return .object([member("type", "map"), JSONMember(key: "values", value: canonicalJSON(values))])
        case .record(let record):
            let fields = record.fields.map { field in
                JSONValue.object([
                    member("name", field.name), JSONMember(key: "type", value: canonicalJSON(field.type)),
                ])
            }
            return .object([
                member("name", record.fullName), member("type", "record"),
                JSONMember(key: "fields", value: .array(fields)),
            ])
        case .enumeration(let enumeration):
            return .object([
                member("name", enumeration.fullName), member("type", "enum"),
                JSONMember(key: "symbols", value: .array(enumeration.symbols.map(JSONValue.string))),
            ])
        case .fixed(let fixed):
            return .object([
                member("name", fixed.fullName), member("type", "fixed"),
                JSONMember(key: "size", value: .number(String(fixed.size))),
            ])
        }
    }

    private func normalizedJSON(_ node: AvroNode) -> JSONValue {
        switch node {
        case .primitive(let primitive, let annotations):
            if annotations == .none { return .string(primitive.rawValue) }
            return .object([member("type", primitive.rawValue)] + annotationMembers(annotations))
        case .reference(let name):
            return .string(name)
        case .union(let branches):
            return .array(branches.map(normalizedJSON))
        case .array(let items, let annotations):
            let members = [member("type", "array"), JSONMember(key: "items", value: normalizedJSON(items))]
            return .object(members + annotationMembers(annotations))
        case .map(let values, let annotations):
            let members = [member("type", "map"), JSONMember(key: "values", value: normalizedJSON(values))]
            return .object(members + annotationMembers(annotations))
        case .record(let record):
            let fields = record.fields.map(normalizedField)
            return .object(
                [member("name", record.fullName), member("type", "record")] + aliasMembers(record.aliases)
                    + [JSONMember(key: "fields", value: .array(fields))] + annotationMembers(record.annotations)
            )
        case .enumeration(let enumeration):
            var members = [member("name", enumeration.fullName), member("type", "enum")]
            members += aliasMembers(enumeration.aliases)
            members.append(JSONMember(key: "symbols", value: .array(enumeration.symbols.map(JSONValue.string))))
            if let symbol = enumeration.defaultSymbol {
                members.append(member("default", symbol))
            }
            return .object(members + annotationMembers(enumeration.annotations))
        case .fixed(let fixed):
            return .object(
                [member("name", fixed.fullName), member("type", "fixed")] + aliasMembers(fixed.aliases)
                    + [JSONMember(key: "size", value: .number(String(fixed.size)))]
                    + annotationMembers(fixed.annotations)
            )
        }
    }

    private func normalizedField(_ field: AvroFieldSchema) -> JSONValue {
        var members = [member("name", field.name), JSONMember(key: "type", value: normalizedJSON(field.type))]
        if let json = field.defaultValue {
            // Spelled from the typed value so `1` and `1.0` for a double, or key order inside a
            // record default, do not make two schemas differ.
            let normalized = (try? defaultValue(json, for: field.type))?.jsonValue ?? json
            members.append(JSONMember(key: "default", value: normalized))
        }
        if let order = field.order, order != "ascending" {
            members.append(member("order", order))
        }
        members += aliasMembers(field.aliases)
        return .object(members + field.properties)
    }

    private func member(_ key: String, _ text: String) -> JSONMember {
        JSONMember(key: key, value: .string(text))
    }

    private func aliasMembers(_ aliases: [String]) -> [JSONMember] {
        aliases.isEmpty ? [] : [JSONMember(key: "aliases", value: .array(aliases.sorted().map(JSONValue.string)))]
    }

    private func annotationMembers(_ annotations: AvroAnnotations) -> [JSONMember] {
        var members: [JSONMember] = []
        if let logicalType = annotations.logicalType {
            members.append(member("logicalType", logicalType))
        }
        return members + annotations.properties
    }
}
