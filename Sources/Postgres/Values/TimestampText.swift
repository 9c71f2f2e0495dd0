/// Formats and parses PostgreSQL's ISO timestamp text (`2024-05-01 12:34:56.123456+00`) with
/// microsecond precision, without a date formatter (pure arithmetic on the proleptic Gregorian
/// calendar, which is what PostgreSQL uses).
enum TimestampText {
    private static let microsPerSecond: Int64 = 1_000_000
    private static let microsPerDay: Int64 = 86_400 * 1_000_000
    /// PostgreSQL's timestamptz range is 4713 BC to 294276 AD; stay well inside Int64 micros.
    private static let limitSeconds: Double = 9_000_000_000_000

    /// The UTC text for a point in time, rounded to the microsecond; `nil` if not representable.
    static func format(secondsSince1970 seconds: Double) -> String? {
        guard seconds.isFinite, abs(seconds) < limitSeconds else {
            return nil
        }
        let micros = Int64((seconds * Double(microsPerSecond)).rounded())
        let (days, microsOfDay) = floorDivide(micros, microsPerDay)
        let (year, month, day) = civil(fromDays: days)
        let secondsOfDay = microsOfDay / microsPerSecond
        let fraction = microsOfDay % microsPerSecond
        let era = year <= 0 ? " BC" : ""
        let displayYear = year <= 0 ? 1 - year : year
        return "\(pad(displayYear, 4))-\(pad(month, 2))-\(pad(day, 2)) "
            + "\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2))"
            + ".\(pad(fraction, 6))+00\(era)"
    }

    /// Seconds since 1970 (microsecond precision) for PostgreSQL's ISO output of `timestamptz`
    /// or `timestamp` (read as UTC when it has no offset); `nil` for anything else.
    static func parse(_ text: String) -> Double? {
        var scanner = Scanner(Array(text.utf8))
        var bc = false
        if scanner.bytes.count > 3, scanner.bytes.suffix(3).elementsEqual(" BC".utf8) {
            bc = true
            scanner.bytes.removeLast(3)
        }
        guard let rawYear = scanner.number(minDigits: 4),
            scanner.take("-"), let month = scanner.number(exactDigits: 2),
            scanner.take("-"), let day = scanner.number(exactDigits: 2),
            scanner.take(" ") || scanner.take("T"),
            let hour = scanner.number(exactDigits: 2),
            scanner.take(":"), let minute = scanner.number(exactDigits: 2),
            scanner.take(":"), let second = scanner.number(exactDigits: 2)
        else {
            return nil
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            return nil
        }
        var micros: Int64 = 0
        if scanner.take(".") {
            var digits = 0
            while let digit = scanner.digit() {
                if digits < 6 {
                    micros = micros * 10 + digit
                }
                digits += 1
            }
            guard digits > 0 else {
                return nil
            }
            for _ in digits..<max(digits, 6) {
                micros *= 10
            }
        }
        var offsetSeconds: Int64 = 0
        if let sign = scanner.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            scanner.index += 1
            guard let hours = scanner.number(exactDigits: 2) else {
                return nil
            }
            var offset = hours * 3600
            if scanner.take(":") {
                guard let minutes = scanner.number(exactDigits: 2) else {
                    return nil
                }
                offset += minutes * 60
                if scanner.take(":") {
                    guard let seconds = scanner.number(exactDigits: 2) else {
                        return nil
                    }
                    offset += seconds
                }
            }
            offsetSeconds = sign == UInt8(ascii: "+") ? offset : -offset
        }
        guard scanner.atEnd else {
            return nil
        }
        let year = bc ? 1 - rawYear : rawYear
        let days = days(fromCivil: year, month, day)
        let localSeconds = days * 86_400 + hour * 3600 + minute * 60 + second
        let total = (localSeconds - offsetSeconds) * microsPerSecond + micros
        return Double(total) / Double(microsPerSecond)
    }

    private struct Scanner {
        var bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        var atEnd: Bool { index == bytes.count }

        func peek() -> UInt8? {
            index < bytes.count ? bytes[index] : nil
        }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard peek() == UInt8(ascii: character) else {
                return false
            }
            index += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                return nil
            }
            index += 1
            return Int64(byte - UInt8(ascii: "0"))
        }

        mutating func number(exactDigits: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<exactDigits {
                guard let digit = digit() else {
                    return nil
                }
                value = value * 10 + digit
            }
            return value
        }

        /// At least `minDigits` digits, at most 9 (PostgreSQL years have up to 6).
        mutating func number(minDigits: Int) -> Int64? {
            var value: Int64 = 0
            var count = 0
            while count < 9, let digit = digit() {
                value = value * 10 + digit
                count += 1
            }
            return count >= minDigits ? value : nil
        }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// Howard Hinnant's `days_from_civil`: (year, month, day) to days since 1970-01-01.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
