#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A value bound to a statement parameter (`$1`, `$2`, ...) or sent in a `COPY` row.
///
/// Values are sent in PostgreSQL's text format. Literals make call sites short:
/// `try connection.query("SELECT $1, $2, $3", ["text", 42, nil])`.
public enum PostgresValue: Sendable, Hashable {
    /// SQL `NULL`.
    case null
    /// A string; sent with an unspecified type so the server infers it (text, varchar, json, ...).
    case text(String)
    /// A 64-bit integer (`int8`; converts to `int2`/`int4`/`numeric` where PostgreSQL allows).
    case int(Int)
    /// A double (`float8`); NaN and the infinities are supported.
    case double(Double)
    /// A boolean.
    case bool(Bool)
    /// Raw bytes (`bytea`).
    case bytea([UInt8])
    /// A point in time (`timestamptz`), sent in UTC with microsecond precision.
    case timestamp(Date)

    /// Wraps any encodable value; `nil` becomes `.null`.
    /// - Parameter value: The value to bind.
    public init(_ value: (some PostgresEncodable)?) {
        self = value?.postgresValue ?? .null
    }
}

extension PostgresValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .text(value)
    }
}

extension PostgresValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) {
        self = .int(value)
    }
}

extension PostgresValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) {
        self = .double(value)
    }
}

extension PostgresValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension PostgresValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) {
        self = .null
    }
}

/// A Swift type that can be bound as a PostgreSQL parameter.
public protocol PostgresEncodable {
    /// The value to send.
    var postgresValue: PostgresValue { get }
}

extension PostgresValue: PostgresEncodable {
    public var postgresValue: PostgresValue { self }
}

extension String: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(self) }
}

extension Substring: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int: PostgresEncodable {
    public var postgresValue: PostgresValue { .int(self) }
}

extension Int32: PostgresEncodable {
    public var postgresValue: PostgresValue { .int(Int(self)) }
}

extension Int64: PostgresEncodable {
    public var postgresValue: PostgresValue { .int(Int(self)) }
}

extension Double: PostgresEncodable {
    public var postgresValue: PostgresValue { .double(self) }
}

extension Bool: PostgresEncodable {
    public var postgresValue: PostgresValue { .bool(self) }
}

extension Date: PostgresEncodable {
    public var postgresValue: PostgresValue { .timestamp(self) }
}

extension Array: PostgresEncodable where Element == UInt8 {
    public var postgresValue: PostgresValue { .bytea(self) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}
