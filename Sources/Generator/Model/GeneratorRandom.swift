/// The generator's random numbers: SplitMix64, fully determined by its seed, so the same
/// seed and options give the same events byte for byte (not for anything secret).
public struct GeneratorRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// - Parameter seed: any value; equal seeds give equal sequences.
    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1) from 53 random bits.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A whole number in `range`, uniformly (the bias of a 64-bit modulo is negligible here).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) &+ 1
        guard width > 0 else { return range.lowerBound &+ Int(truncatingIfNeeded: next()) }
        return range.lowerBound + Int(next() % width)
    }

    /// A version-4 UUID: 122 random bits with the version and variant bits set.
    public mutating func uuid() -> UUIDBytes {
        var high = next()
        var low = next()
        high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return UUIDBytes(high: high, low: low)
    }
}

/// A UUID as two 64-bit halves; formatting it lowercase is done once per session.
public struct UUIDBytes: Sendable, Hashable {
    public let high: UInt64
    public let low: UInt64

    /// The canonical lowercase text, e.g. `0b6f1c2e-…`: the event's `session_id` and key.
    public var text: String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for index in 0..<32 {
            if index == 8 || index == 12 || index == 16 || index == 20 { out.append(UInt8(ascii: "-")) }
            let half = index < 16 ? high : low
            let shift = UInt64(60 - 4 * (index % 16))
            out.append(hex[Int((half >> shift) & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
