extension AvroValue {
    /// Renders the value as readable JSON, e.g. for a console consumer.
    ///
    /// Unions show their member without a wrapper, enums their symbol, map keys are sorted,
    /// `bytes`/`fixed` become strings of code points U+0000–U+00FF (as in Avro's JSON
    /// encoding), and non-finite floats become the strings `"NaN"`, `"Infinity"`,
    /// `"-Infinity"`.
    /// - Parameter prettyPrinted: Indent by two spaces per level instead of one compact line.
    public func jsonString(prettyPrinted: Bool = false) -> String {
        prettyPrinted ? jsonValue.prettyText : jsonValue.compactText
    }

    /// The JSON form used by ``jsonString(prettyPrinted:)`` and for normalized defaults.
    var jsonValue: JSONValue {
        switch self {
        case .null: .null
        case .boolean(let flag): .bool(flag)
        case .int(let number): .number(String(number))
        case .long(let number): .number(String(number))
        case .float(let number): Self.json(number.isFinite ? "\(number)" : nil, nonFinite: Double(number))
        case .double(let number): Self.json(number.isFinite ? "\(number)" : nil, nonFinite: number)
        case .bytes(let bytes), .fixed(let bytes): .string(Self.codePointString(bytes))
        case .string(let text): .string(text)
        case .record(let fields): .object(fields.map { JSONMember(key: $0.name, value: $0.value.jsonValue) })
        case .enumSymbol(let symbol): .string(symbol)
        case .array(let items): .array(items.map(\.jsonValue))
        case .map(let entries):
            .object(entries.sorted { $0.key < $1.key }.map { JSONMember(key: $0.key, value: $0.value.jsonValue) })
        case .union(_, let value): value.jsonValue
        }
    }

    private static func json(_ finiteText: String?, nonFinite number: Double) -> JSONValue {
        if let finiteText { return .number(finiteText) }
        if number.isNaN { return .string("NaN") }
        return .string(number > 0 ? "Infinity" : "-Infinity")
    }

    static func codePointString(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }
}
