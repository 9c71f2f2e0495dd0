/// One node of a parsed schema tree.
///
/// A named type (record, enum, fixed) appears in full at its first occurrence, in document
/// order, and as `.reference` everywhere after, which is exactly the shape the canonical form
/// needs; `AvroSchema.named` maps each full name to its definition so references (including
/// recursive ones) can be followed.
indirect enum AvroNode: Hashable, Sendable {
    case primitive(AvroPrimitive, AvroAnnotations)
    case record(AvroRecordSchema)
    case enumeration(AvroEnumSchema)
    case array(items: AvroNode, AvroAnnotations)
    case map(values: AvroNode, AvroAnnotations)
    case union([AvroNode])
    case fixed(AvroFixedSchema)
    /// A use of a named type by full name.
    case reference(String)

    /// How the node is named in messages: primitive name, full name or kind.
    var displayName: String {
        switch self {
        case .primitive(let primitive, _): primitive.rawValue
        case .record(let record): record.fullName
        case .enumeration(let enumeration): enumeration.fullName
        case .fixed(let fixed): fixed.fullName
        case .reference(let name): name
        case .array: "array"
        case .map: "map"
        case .union(let branches): "union [" + branches.map(\.displayName).joined(separator: ", ") + "]"
        }
    }
}

/// The eight primitive types.
enum AvroPrimitive: String, Hashable, Sendable, CaseIterable {
    case null
    case boolean
    case int
    case long
    case float
    case double
    case bytes
    case string
}

/// Attributes that decorate a type without changing its encoding.
struct AvroAnnotations: Hashable, Sendable {
    /// `logicalType`, kept verbatim; logical types never change the binary encoding.
    var logicalType: String?
    /// Every other non-reserved attribute (e.g. `precision`, custom properties), sorted by key.
    var properties: [JSONMember]

    static let none = AvroAnnotations(logicalType: nil, properties: [])
}

/// A record definition.
struct AvroRecordSchema: Hashable, Sendable {
    var fullName: String
    /// Full names.
    var aliases: [String]
    var fields: [AvroFieldSchema]
    var annotations: AvroAnnotations

    func field(named name: String) -> AvroFieldSchema? {
        fields.first { $0.name == name }
    }
}

/// One field of a record.
struct AvroFieldSchema: Hashable, Sendable {
    var name: String
    var type: AvroNode
    /// The default as written; checked against `type` when the schema is parsed.
    var defaultValue: JSONValue?
    /// `ascending` (the default), `descending` or `ignore`.
    var order: String?
    var aliases: [String]
    var properties: [JSONMember]
}

/// An enum definition.
struct AvroEnumSchema: Hashable, Sendable {
    var fullName: String
    var aliases: [String]
    var symbols: [String]
    var defaultSymbol: String?
    var annotations: AvroAnnotations
}

/// A fixed definition.
struct AvroFixedSchema: Hashable, Sendable {
    var fullName: String
    var aliases: [String]
    var size: Int
    var annotations: AvroAnnotations
}

extension AvroNode {
    /// The unqualified part of a full name.
    static func simpleName(_ fullName: String) -> Substring {
        fullName.split(separator: ".", omittingEmptySubsequences: false).last ?? Substring(fullName)
    }
}
