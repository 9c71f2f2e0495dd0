#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One row of a result. Getters take a column name; the typed ones throw
/// `PostgresError.decoding` on NULL or on a value of another type, naming the column but never
/// quoting the value (it may be user data).
public struct PostgresRow: Sendable {
    let table: PostgresRows.Table
    let row: Int

    /// The result's column names, in order.
    public var columns: [String] { table.columns }

    /// The raw text of `column`, `nil` when it is NULL or there is no such column.
    public subscript(_ column: String) -> String? {
        guard let index = table.columnIndex[column] else {
            return nil
        }
        return self[index]
    }

    /// The raw text of the column at `index` (0-based), `nil` when it is NULL or out of range.
    public subscript(_ index: Int) -> String? {
        guard table.columns.indices.contains(index) else {
            return nil
        }
        return table.values[row * table.columns.count + index]
    }

    /// Whether `column` is NULL.
    /// - Throws: `PostgresError.decoding` when there is no such column.
    public func isNull(_ column: String) throws -> Bool {
        try raw(column) == nil
    }

    /// The text of `column`.
    /// - Throws: `PostgresError.decoding` when the column is missing or NULL.
    public func string(_ column: String) throws -> String {
        try required(column)
    }

    /// The text of `column`, `nil` when NULL.
    /// - Throws: `PostgresError.decoding` when the column is missing.
    public func optionalString(_ column: String) throws -> String? {
        try raw(column)
    }

    /// `column` as an integer (`int2`, `int4`, `int8`, or any text that is a decimal integer).
    /// - Throws: `PostgresError.decoding` when the column is missing, NULL or not an integer.
    public func int(_ column: String) throws -> Int {
        try convert(column, to: "Int") { Int($0) }
    }

    /// `column` as an integer, `nil` when NULL.
    /// - Throws: `PostgresError.decoding` when the column is missing or not an integer.
    public func optionalInt(_ column: String) throws -> Int? {
        try isNull(column) ? nil : int(column)
    }

    /// `column` as a double (`float4`, `float8`, `numeric`, integers; NaN and infinities too).
    /// - Throws: `PostgresError.decoding` when the column is missing, NULL or not a number.
    public func double(_ column: String) throws -> Double {
        try convert(column, to: "Double") { text in
            switch text {
            case "NaN": .nan
            case "Infinity": .infinity
            case "-Infinity": -.infinity
            default: Double(text)
            }
        }
    }

    /// `column` as a double, `nil` when NULL.
    /// - Throws: `PostgresError.decoding` when the column is missing or not a number.
    public func optionalDouble(_ column: String) throws -> Double? {
        try isNull(column) ? nil : double(column)
    }

    /// `column` as a boolean (PostgreSQL's `t`/`f`; `true`/`false` also accepted).
    /// - Throws: `PostgresError.decoding` when the column is missing, NULL or not a boolean.
    public func bool(_ column: String) throws -> Bool {
        try convert(column, to: "Bool") { text in
            switch text {
            case "t", "true": true
            case "f", "false": false
            default: nil
            }
        }
    }

    /// `column` as a boolean, `nil` when NULL.
    /// - Throws: `PostgresError.decoding` when the column is missing or not a boolean.
    public func optionalBool(_ column: String) throws -> Bool? {
        try isNull(column) ? nil : bool(column)
    }

    /// `column` as bytes (`bytea` in the default hex output format).
    /// - Throws: `PostgresError.decoding` when the column is missing, NULL or not hex `bytea`.
    public func bytes(_ column: String) throws -> [UInt8] {
        try convert(column, to: "[UInt8]", Self.decodeHexBytea)
    }

    /// `column` as bytes, `nil` when NULL.
    /// - Throws: `PostgresError.decoding` when the column is missing or not hex `bytea`.
    public func optionalBytes(_ column: String) throws -> [UInt8]? {
        try isNull(column) ? nil : bytes(column)
    }

    /// `column` as a date (`timestamptz`, or `timestamp` read as UTC), microsecond precision.
    /// Needs PostgreSQL's default `DateStyle` (ISO); `infinity` is not a date and throws.
    /// - Throws: `PostgresError.decoding` when the column is missing, NULL or not a timestamp.
    public func date(_ column: String) throws -> Date {
        try convert(column, to: "Date") { text in
            TimestampText.parse(text).map { Date(timeIntervalSince1970: $0) }
        }
    }

    /// `column` as a date, `nil` when NULL.
    /// - Throws: `PostgresError.decoding` when the column is missing or not a timestamp.
    public func optionalDate(_ column: String) throws -> Date? {
        try isNull(column) ? nil : date(column)
    }

    // MARK: - Helpers

    private func raw(_ column: String) throws -> String? {
        guard let index = table.columnIndex[column] else {
            throw PostgresError(
                code: .decoding,
                message: "no column \"\(column)\" in the result (columns: \(table.columns.joined(separator: ", ")))"
            )
        }
        return table.values[row * table.columns.count + index]
    }

    private func required(_ column: String) throws -> String {
        guard let text = try raw(column) else {
            throw PostgresError(code: .decoding, message: "column \"\(column)\" is NULL")
        }
        return text
    }

    private func convert<T>(_ column: String, to typeName: String, _ parse: (String) -> T?) throws -> T {
        let text = try required(column)
        guard let value = parse(text) else {
            let oid = table.columnIndex[column].map { table.typeOIDs[$0] } ?? 0
            throw PostgresError(
                code: .decoding,
                message: "column \"\(column)\" (type oid \(oid)) cannot be read as \(typeName)"
            )
        }
        return value
    }

    private static func decodeHexBytea(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0
        else {
            return nil
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = hexValue(utf8[index]), let low = hexValue(utf8[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
