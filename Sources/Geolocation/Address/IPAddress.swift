/// An IPv4 or IPv6 address parsed strictly from its text form.
///
/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4
/// client) are stored as the IPv4 address they carry, so both spellings compare equal.
///
/// A client address is personal data and must never reach a log, an error or storage. As a
/// safety net, `description` and `debugDescription` name only the family, so an address
/// interpolated or dumped by mistake does not leak. `canonicalText` is the explicit way to
/// get the text, for handing to a lookup.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    enum Storage: Hashable {
        case v4(UInt32)
        /// The 128 bits as two big-endian halves.
        case v6(high: UInt64, low: UInt64)
    }

    let storage: Storage

    init(storage: Storage) {
        if case .v6(0, let low) = storage, low >> 32 == 0xffff {
            self.storage = .v4(UInt32(truncatingIfNeeded: low))
        } else {
            self.storage = storage
        }
    }

    init(ipv4 value: UInt32) {
        self.storage = .v4(value)
    }

    /// Parses an address.
    ///
    /// Accepts an IPv4 dotted quad of four decimal numbers 0–255 without leading zeros, or an
    /// IPv6 address in RFC 4291 text form (with `::` and an optional trailing dotted quad).
    /// Rejects zone ids (`fe80::1%eth0`), prefixes, brackets, ports and surrounding spaces.
    /// - Parameters:
    ///   - text: The address text, e.g. nginx's `REMOTE_ADDR`.
    public init?(_ text: String) {
        self.init(bytes: Array(text.utf8)[...])
    }

    /// Parses an address given as the bytes of its text, e.g. a FastCGI param as it arrived
    /// (the press path reads `REMOTE_ADDR` without making a String of it). Same rules as
    /// ``init(_:)``.
    /// - Parameters:
    ///   - bytes: The address text as bytes.
    public init?(bytes: ArraySlice<UInt8>) {
        // The longest valid form is a full IPv6 address ending in a dotted quad (45 bytes).
        guard bytes.count <= 45, !bytes.isEmpty else { return nil }
        if !bytes.contains(UInt8(ascii: ":")) {
            guard let value = Self.parseIPv4(bytes[...]) else { return nil }
            self.init(ipv4: value)
        } else {
            guard let (high, low) = Self.parseIPv6(Array(bytes)) else { return nil }
            self.init(storage: .v6(high: high, low: low))
        }
    }

    /// The address as 128 bits, high and low halves; IPv4 in its IPv4-mapped IPv6 form
    /// (`::ffff:a.b.c.d`), as address databases store it. For a lookup, never for storage.
    public var bits: (high: UInt64, low: UInt64) {
        switch storage {
        case .v4(let value): (0, 0xffff_0000_0000 | UInt64(value))
        case .v6(let high, let low): (high, low)
        }
    }

    /// Whether this is an IPv4 address (including one written in IPv4-mapped IPv6 form).
    public var isIPv4: Bool {
        if case .v4 = storage { return true }
        return false
    }

    /// The canonical text: dotted quad for IPv4, RFC 5952 form for IPv6.
    ///
    /// This is the client's address: hand it to a lookup, never to a log, a message or storage.
    public var canonicalText: String {
        switch storage {
        case .v4(let value):
            return "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
        case .v6(let high, let low):
            return Self.formatIPv6(high: high, low: low)
        }
    }

    /// A redacted description that says only the family.
    public var description: String { isIPv4 ? "IPv4 address (redacted)" : "IPv6 address (redacted)" }

    /// Redacted too: `String(reflecting:)` and `dump` would otherwise print the stored bits.
    public var debugDescription: String { description }
}

extension IPAddress {
    /// Parses `a.b.c.d` strictly: four parts, 1–3 digits each, no leading zeros, each ≤ 255.
    static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var value: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | value
                parts += 1
                value = 0
                digits = 0
                leadingZero = false
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                guard !leadingZero, digits < 3 else { return nil }
                if digits == 0, byte == UInt8(ascii: "0") {
                    leadingZero = true
                }
                value = value * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard value <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return result << 8 | value
    }

    /// Parses RFC 4291 text: up to eight groups of 1–4 hex digits, at most one `::`, and an
    /// optional dotted quad in place of the last two groups.
    static func parseIPv6(_ bytes: [UInt8]) -> (UInt64, UInt64)? {
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var index = 0
        let count = bytes.count

        if bytes.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            sawDoubleColon = true
            index = 2
            if index == count {
                return (0, 0)
            }
        } else if bytes.first == UInt8(ascii: ":") {
            return nil
        }

        while index < count {
            // Read one group, or a dotted quad if a '.' appears before the next ':'.
            var end = index
            var isQuad = false
            while end < count, bytes[end] != UInt8(ascii: ":") {
                if bytes[end] == UInt8(ascii: ".") {
                    isQuad = true
                }
                end += 1
            }
            if isQuad {
                // A dotted quad must be the last thing in the address.
                guard end == count, let quad = parseIPv4(bytes[index..<end]) else { return nil }
                let groups = [UInt16(quad >> 16), UInt16(quad & 0xffff)]
                if sawDoubleColon {
                    tail += groups
                } else {
                    head += groups
                }
                index = end
                break
            }
            let length = end - index
            guard length >= 1, length <= 4 else { return nil }
            var group: UInt16 = 0
            for byte in bytes[index..<end] {
                guard let digit = hexValue(byte) else { return nil }
                group = group << 4 | UInt16(digit)
            }
            if sawDoubleColon {
                tail.append(group)
            } else {
                head.append(group)
            }
            guard head.count + tail.count <= 8 else { return nil }
            index = end
            if index == count {
                break
            }
            // At a ':'; a second ':' right after it is the (only) '::'.
            index += 1
            if index < count, bytes[index] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                index += 1
                if index == count {
                    break
                }
            } else if index == count {
                // A trailing single ':'.
                return nil
            }
        }

        let total = head.count + tail.count
        if sawDoubleColon {
            // '::' stands for at least one group of zeros.
            guard total <= 7 else { return nil }
        } else {
            guard total == 8 else { return nil }
        }
        let groups = head + [UInt16](repeating: 0, count: 8 - total) + tail
        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in groups[0..<4] {
            high = high << 16 | UInt64(group)
        }
        for group in groups[4..<8] {
            low = low << 16 | UInt64(group)
        }
        return (high, low)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`,
    /// the first such run on a tie.
    static func formatIPv6(high: UInt64, low: UInt64) -> String {
        var groups: [UInt16] = []
        for shift in stride(from: 48, through: 0, by: -16) {
            groups.append(UInt16(truncatingIfNeeded: high >> UInt64(shift)))
        }
        for shift in stride(from: 48, through: 0, by: -16) {
            groups.append(UInt16(truncatingIfNeeded: low >> UInt64(shift)))
        }
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for (position, group) in groups.enumerated() {
            if group == 0 {
                if runStart < 0 {
                    runStart = position
                }
                let length = position - runStart + 1
                if length > bestLength {
                    bestStart = runStart
                    bestLength = length
                }
            } else {
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        let before = hex[0..<bestStart].joined(separator: ":")
        let after = hex[(bestStart + bestLength)...].joined(separator: ":")
        return before + "::" + after
    }
}
