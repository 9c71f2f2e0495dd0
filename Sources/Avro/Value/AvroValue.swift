/// An Avro datum, as produced by ``AvroSchema/decode(_:)`` and accepted by
/// ``AvroSchema/encode(_:)``.
///
/// Values carry no schema; the schema they are encoded with decides how they are checked.
/// The decoder always wraps union members in `.union(branch:value:)`; the encoder also
/// accepts an unwrapped value for a union and picks the first branch it matches.
public indirect enum AvroValue: Sendable, Equatable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    case string(String)
    /// A record's fields, in schema order when decoded; when encoding, fields are matched by
    /// name and a missing field takes its schema default.
    case record([Field])
    /// An enum value, by symbol.
    case enumSymbol(String)
    case array([AvroValue])
    case map([String: AvroValue])
    /// A union member: the zero-based branch index in the union schema, and the value.
    case union(branch: Int, value: AvroValue)
    case fixed([UInt8])

    /// One named field of a record value.
    public struct Field: Sendable, Equatable {
        /// The field name.
        public var name: String
        /// The field value.
        public var value: AvroValue

        /// Creates a field.
        /// - Parameters:
        ///   - name: The field name.
        ///   - value: The field value.
        public init(_ name: String, _ value: AvroValue) {
            self.name = name
            self.value = value
        }
    }

    /// A record value from name-value pairs, keeping their order.
    /// - Parameter fields: The fields, e.g. `["action": .enumSymbol("PressButton")]`.
    public static func record(fields: KeyValuePairs<String, AvroValue>) -> AvroValue {
        .record(fields.map { Field($0.key, $0.value) })
    }

    /// A short name of the value's kind, for messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .bytes: "bytes"
        case .string: "string"
        case .record: "record"
        case .enumSymbol: "enum symbol"
        case .array: "array"
        case .map: "map"
        case .union(_, let value): "union member \(value.kindName)"
        case .fixed: "fixed"
        }
    }
}
