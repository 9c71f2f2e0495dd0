import Foundation

/// tzdata's `zone.tab`: one row per time zone with the country it is in and the
/// coordinates of its principal place (the zone's exemplar city).
///
/// `zone.tab`, not `zone1970.tab`: the latter shares rows between countries whose clocks
/// agree since 1970 (Norway, Sweden and Denmark get Berlin's row and coordinates), while
/// every `zone.tab` row names exactly one country.
public struct ZoneTable: Sendable {
    /// One row.
    public struct Row: Sendable, Equatable {
        /// ISO 3166-1 alpha-2 code.
        public let countryCode: String
        /// Degrees north, rounded to 4 decimals (about 11 m).
        public let latitude: Double
        /// Degrees east, rounded to 4 decimals.
        public let longitude: Double
        /// The IANA zone name, e.g. `America/Los_Angeles`.
        public let zone: String
        /// The comment column (which part of the country), often empty.
        public let comment: String

        public init(countryCode: String, latitude: Double, longitude: Double, zone: String, comment: String) {
            self.countryCode = countryCode
            self.latitude = latitude
            self.longitude = longitude
            self.zone = zone
            self.comment = comment
        }

        /// The zone's exemplar city as people write it: the last part of the name with
        /// spaces for underscores (`America/Argentina/Buenos_Aires` → `Buenos Aires`).
        public var exemplarCity: String {
            String(zone.split(separator: "/").last ?? "").replacingOccurrences(of: "_", with: " ")
        }
    }

    /// Why a table does not parse.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        /// 1-based line number.
        public let line: Int
        public let message: String
        public var description: String { "zone.tab line \(line): \(message)" }
    }

    /// The rows in file order.
    public let rows: [Row]

    /// Where Debian's tzdata package installs it.
    public static let systemPath = "/usr/share/zoneinfo/zone.tab"

    /// Parses the table's text: tab-separated `code coordinates zone [comment]` rows, `#`
    /// comment lines.
    /// - Parameter text: The file's content.
    /// - Throws: ``ParseError`` naming the first bad line.
    public init(parsing text: String) throws(ParseError) {
        var rows: [Row] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#") || line.allSatisfy(\.isWhitespace) { continue }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 3 else {
                throw ParseError(line: index + 1, message: "expected at least 3 tab-separated columns")
            }
            let code = String(columns[0])
            guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                throw ParseError(line: index + 1, message: "'\(code)' is not a two-letter country code")
            }
            guard let (latitude, longitude) = Self.coordinates(columns[1]) else {
                throw ParseError(line: index + 1, message: "'\(columns[1])' is not ±DDMM±DDDMM or ±DDMMSS±DDDMMSS")
            }
            let zone = String(columns[2])
            guard !zone.isEmpty else { throw ParseError(line: index + 1, message: "no zone name") }
            rows.append(
                Row(
                    countryCode: code,
                    latitude: latitude,
                    longitude: longitude,
                    zone: zone,
                    comment: columns.count > 3 ? String(columns[3]) : ""
                )
            )
        }
        self.rows = rows
    }

    /// Reads and parses a file.
    /// - Parameter path: e.g. ``systemPath``.
    /// - Throws: A file error or ``ParseError``.
    public init(contentsOf path: String) throws {
        try self.init(parsing: String(contentsOfFile: path, encoding: .utf8))
    }

    /// ISO 6709 as zone.tab writes it: `+DDMM+DDDMM` or `+DDMMSS+DDDMMSS`.
    static func coordinates(_ text: Substring) -> (Double, Double)? {
        let bytes = Array(text.utf8)
        guard let split = bytes.indices.dropFirst().first(where: { bytes[$0] == 0x2B || bytes[$0] == 0x2D }) else {
            return nil
        }
        guard let latitude = angle(bytes[..<split], degreeDigits: 2),
            let longitude = angle(bytes[split...], degreeDigits: 3)
        else { return nil }
        return (latitude, longitude)
    }

    private static func angle(_ bytes: ArraySlice<UInt8>, degreeDigits: Int) -> Double? {
        guard let sign = bytes.first, sign == 0x2B || sign == 0x2D else { return nil }
        let digits = bytes.dropFirst()
        guard digits.count == degreeDigits + 2 || digits.count == degreeDigits + 4,
            digits.allSatisfy({ (0x30...0x39).contains($0) })
        else { return nil }
        var values: [Int] = []
        var index = digits.startIndex
        for width in [degreeDigits, 2, 2] where index < digits.endIndex {
            values.append(digits[index..<(index + width)].reduce(0) { $0 * 10 + Int($1 - 0x30) })
            index += width
        }
        let seconds = values.count > 2 ? values[2] : 0
        guard values[1] < 60, seconds < 60 else { return nil }
        let degrees = Double(values[0]) + Double(values[1]) / 60 + Double(seconds) / 3600
        return ((sign == 0x2D ? -degrees : degrees) * 10_000).rounded() / 10_000
    }
}
