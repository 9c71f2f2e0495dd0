internal import Foundation

/// Axis ticks at "nice" numbers (1, 2 or 5 × 10^k) covering a data range, as people draw axes by hand.
struct NiceTicks: Equatable {
    /// The axis's ends: the data range widened to whole steps.
    let lower: Double
    let upper: Double
    /// The distance between ticks.
    let step: Double

    /// The tick values from `lower` to `upper`, computed by index so no floating-point error accumulates.
    var values: [Double] {
        let count = Int(((upper - lower) / step).rounded())
        return (0...max(count, 0)).map { lower + Double($0) * step }
    }

    /// - Parameters:
    ///   - lower: The smallest value to show.
    ///   - upper: The largest value to show.
    ///   - count: About how many intervals the axis should have.
    init(lower: Double, upper: Double, count: Int = 5) {
        // Data may hold anything: an axis of NaN or 1e308 must still come out finite and small.
        let limit = 1e15
        var low = lower.isFinite ? min(max(lower, -limit), limit) : 0
        var high = upper.isFinite ? min(max(upper, -limit), limit) : 0
        if low > high { swap(&low, &high) }
        if low == high {
            if low == 0 { high = 1 } else if low > 0 { low = 0 } else { high = 0 }
        }
        let step = Self.niceStep((high - low) / Double(max(count, 1)))
        self.step = step
        self.lower = (low / step).rounded(.down) * step
        self.upper = (high / step).rounded(.up) * step
    }

    /// The smallest of 1, 2, 5 and 10 × 10^k not below `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough.isFinite, rough > 0 else { return 1 }
        let base = pow(10, (log10(rough)).rounded(.down))
        let fraction = rough / base
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * base
    }
}

/// Maps a data interval linearly onto a pixel interval. Values outside the domain (and NaN) are clamped to its
/// ends, so hostile data never draws outside the plot or prints "nan" into a coordinate.
struct LinearScale {
    let domain: (lower: Double, upper: Double)
    let range: (from: Double, to: Double)

    func callAsFunction(_ value: Double) -> Double {
        let width = domain.upper - domain.lower
        guard value.isFinite, width > 0, width.isFinite else { return range.from }
        let fraction = min(max((value - domain.lower) / width, 0), 1)
        return range.from + fraction * (range.to - range.from)
    }
}
