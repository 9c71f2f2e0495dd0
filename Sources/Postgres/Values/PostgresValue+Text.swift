// The text format PostgreSQL reads for parameters and COPY rows. Pure functions, no libpq.

extension PostgresValue {
    /// Type OIDs sent with parameters. Text and NULL stay unspecified (0) so the server infers
    /// the column's type (text, varchar, json, enums...); the others are pinned so that
    /// `SELECT $1` has a useful type.
    enum TypeOID {
        static let unspecified: UInt32 = 0
        static let bool: UInt32 = 16
        static let bytea: UInt32 = 17
        static let int8: UInt32 = 20
        static let float8: UInt32 = 701
        static let timestamptz: UInt32 = 1184
    }

    var typeOID: UInt32 {
        switch self {
        case .null, .text: TypeOID.unspecified
        case .int: TypeOID.int8
        case .double: TypeOID.float8
        case .bool: TypeOID.bool
        case .bytea: TypeOID.bytea
        case .timestamp: TypeOID.timestamptz
        }
    }

    /// The value in PostgreSQL's text input format, or `nil` for NULL.
    /// - Parameter position: The parameter's 1-based position, only for the error message.
    /// - Throws: `PostgresError.invalidArgument` for text with a NUL byte (libpq and PostgreSQL
    ///   text cannot carry one) or a date outside PostgreSQL's range. The value is never quoted.
    func textEncoded(position: Int) throws -> String? {
        switch self {
        case .null:
            return nil
        case .text(let string):
            if string.utf8.contains(0) {
                throw PostgresError(
                    code: .invalidArgument,
                    message: "value \(position) contains a NUL byte, which PostgreSQL text cannot store"
                )
            }
            return string
        case .int(let int):
            return String(int)
        case .double(let double):
            if double.isNaN {
                return "NaN"
            }
            if double.isInfinite {
                return double < 0 ? "-Infinity" : "Infinity"
            }
            return String(double)
        case .bool(let bool):
            return bool ? "t" : "f"
        case .bytea(let bytes):
            return Self.hexBytea(bytes)
        case .timestamp(let date):
            guard let text = TimestampText.format(secondsSince1970: date.timeIntervalSince1970) else {
                throw PostgresError(
                    code: .invalidArgument,
                    message: "value \(position) is a date PostgreSQL cannot represent"
                )
            }
            return text
        }
    }

    private static func hexBytea(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        out.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Building `COPY ... FROM STDIN` statements and rows in the text format.
enum CopyText {
    /// Quotes one identifier: wraps it in double quotes and doubles embedded quotes.
    /// - Throws: `PostgresError.invalidArgument` for an empty name or one with a NUL byte.
    static func quoteIdentifier(_ name: String) throws -> String {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw PostgresError(code: .invalidArgument, message: "empty identifier or identifier with a NUL byte")
        }
        return "\"" + name.replacingAll("\"", with: "\"\"") + "\""
    }

    /// Quotes a table name, `table` or `schema.table`; each part is quoted separately, so the
    /// names are taken literally (case preserved, no SQL possible).
    static func quoteQualifiedName(_ name: String) throws -> String {
        try name.split(separator: ".", omittingEmptySubsequences: false)
            .map { try quoteIdentifier(String($0)) }
            .joined(separator: ".")
    }

    /// The `COPY` statement for `table(columns)`.
    static func statement(table: String, columns: [String]) throws -> String {
        guard !columns.isEmpty else {
            throw PostgresError(code: .invalidArgument, message: "COPY needs at least one column")
        }
        let columnList = try columns.map(quoteIdentifier).joined(separator: ", ")
        return "COPY \(try quoteQualifiedName(table)) (\(columnList)) FROM STDIN"
    }

    /// Appends one row in COPY text format: values separated by tab, a newline at the end,
    /// NULL as `\N`, and backslash, tab, newline and carriage return escaped with a backslash.
    /// - Parameter rowNumber: 1-based, only for error messages.
    static func appendRow(_ row: [PostgresValue], rowNumber: Int, to buffer: inout [UInt8]) throws {
        for (index, value) in row.enumerated() {
            if index > 0 {
                buffer.append(UInt8(ascii: "\t"))
            }
            let encoded: String?
            do {
                encoded = try value.textEncoded(position: index + 1)
            } catch var error as PostgresError {
                error.message = "row \(rowNumber): \(error.message)"
                throw error
            }
            guard let text = encoded else {
                buffer.append(UInt8(ascii: "\\"))
                buffer.append(UInt8(ascii: "N"))
                continue
            }
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\\"):
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\t"):
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"):
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"):
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "r"))
                default:
                    buffer.append(byte)
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }
}

extension String {
    /// Replaces an ASCII byte everywhere. Works on UTF-8 bytes, not `Character`s: a quote followed
    /// by a combining mark is one `Character` that is not equal to `"`, yet PostgreSQL still
    /// sees the quote byte, so comparing characters would let a name escape its quoting.
    fileprivate func replacingAll(_ target: Unicode.Scalar, with replacement: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        for byte in utf8 {
            if byte == UInt8(ascii: target) {
                out.append(contentsOf: replacement.utf8)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
