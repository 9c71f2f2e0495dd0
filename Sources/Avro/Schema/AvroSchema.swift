/// A parsed, validated Avro schema (Avro 1.11 specification).
///
/// Two schemas are equal when their ``normalizedJSON`` is equal, so formatting, key order,
/// `doc` strings and short-vs-full names do not matter, while defaults, aliases and logical
/// types do.
public struct AvroSchema: Sendable, Hashable, CustomStringConvertible {
    /// The schema tree; named types are inline at first use and `.reference` after.
    let root: AvroNode
    /// Every named type's definition by full name.
    let named: [String: AvroNode]
    private var canonicalText = ""
    private var normalizedText = ""

    /// Parses and validates a schema.
    ///
    /// Beyond well-formedness this checks names and namespaces, that named types are defined
    /// once and referenced only after (or inside) their definition, union rules, and that every
    /// field and enum default matches its type (a union default matches the first branch).
    /// - Parameter json: The schema as JSON text.
    /// - Throws: `AvroError` with code `.invalidJSON` or `.invalidSchema`; the message says
    ///   which record, field or type is wrong.
    public init(parsing json: String) throws {
        let document = try JSONParser.parse(json)
        var parser = AvroSchemaParser()
        root = try parser.parseSchema(document)
        named = parser.named
        for recordName in parser.recordNames {
            try validateDefaults(ofRecord: recordName)
        }
        canonicalText = makeCanonicalForm()
        normalizedText = makeNormalizedJSON()
    }

    /// The spec's Parsing Canonical Form: full names, only the attributes that affect how data
    /// is read (`name`, `type`, `fields`, `symbols`, `items`, `values`, `size`) in that order,
    /// no whitespace. Input to fingerprints.
    public var canonicalForm: String { canonicalText }

    /// Deterministic compact JSON of the whole schema: like the canonical form but keeping
    /// aliases, defaults (normalized to their type), field order attributes, logical types and
    /// other custom attributes; dropping `doc`. Decides whether two submitted schema texts are
    /// the same schema.
    public var normalizedJSON: String { normalizedText }

    /// The full name of the top-level type when it is a record, enum or fixed.
    public var fullName: String? {
        switch root {
        case .record(let record): record.fullName
        case .enumeration(let enumeration): enumeration.fullName
        case .fixed(let fixed): fixed.fullName
        case .reference(let name): name
        default: nil
        }
    }

    /// The ``normalizedJSON``.
    public var description: String { normalizedText }

    public static func == (lhs: AvroSchema, rhs: AvroSchema) -> Bool {
        lhs.normalizedText == rhs.normalizedText
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(normalizedText)
    }

    /// Follows a reference to its definition; other nodes are returned unchanged.
    func resolve(_ node: AvroNode) -> AvroNode {
        if case .reference(let name) = node, let definition = named[name] {
            return definition
        }
        return node
    }
}
