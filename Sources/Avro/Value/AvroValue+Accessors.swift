extension AvroValue {
    /// The value with any union wrappers removed.
    public var unwrapped: AvroValue {
        var value = self
        while case .union(_, let inner) = value {
            value = inner
        }
        return value
    }

    /// The value of a record field, or of a map entry, by name; `nil` for other kinds or when
    /// absent. Looks through a union wrapper, so `event["cohort"]` works on a decoded event.
    /// - Parameter name: The field name or map key.
    public subscript(_ name: String) -> AvroValue? {
        switch unwrapped {
        case .record(let fields): fields.first { $0.name == name }?.value
        case .map(let entries): entries[name]
        default: nil
        }
    }

    /// `true` for `null`, also inside a union.
    public var isNull: Bool { unwrapped == .null }

    /// The string of a `string` value, or the symbol of an enum value.
    public var stringValue: String? {
        switch unwrapped {
        case .string(let text): text
        case .enumSymbol(let symbol): symbol
        default: nil
        }
    }

    /// The number of an `int` or `long` value.
    public var integerValue: Int64? {
        switch unwrapped {
        case .int(let number): Int64(number)
        case .long(let number): number
        default: nil
        }
    }

    /// The number of a `float` or `double` value.
    public var doubleValue: Double? {
        switch unwrapped {
        case .float(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    /// The flag of a `boolean` value.
    public var boolValue: Bool? {
        if case .boolean(let flag) = unwrapped { return flag }
        return nil
    }

    /// The bytes of a `bytes` or `fixed` value.
    public var bytesValue: [UInt8]? {
        switch unwrapped {
        case .bytes(let bytes), .fixed(let bytes): bytes
        default: nil
        }
    }
}
