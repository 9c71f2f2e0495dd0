public import Foundation

/// One bar or column of a chart.
public struct ChartDatum: Sendable, Equatable {
    /// The category, from data (escaped and truncated when drawn).
    public var label: String
    /// The bar's value; NaN, infinite and negative values draw an empty bar.
    public var value: Double

    /// - Parameters:
    ///   - label: The category.
    ///   - value: The bar's value.
    public init(label: String, value: Double) {
        self.label = label
        self.value = value
    }
}

/// One point of a time series.
public struct TimePoint: Sendable, Equatable {
    /// When.
    public var time: Date
    /// The value at that time; points whose value is not finite are left out.
    public var value: Double

    /// - Parameters:
    ///   - time: When.
    ///   - value: The value at that time.
    public init(time: Date, value: Double) {
        self.time = time
        self.value = value
    }
}

/// One point of an x/y curve.
public struct XYPoint: Sendable, Equatable {
    /// The horizontal coordinate, in the caller's unit.
    public var x: Double
    /// The vertical coordinate.
    public var y: Double

    /// - Parameters:
    ///   - x: The horizontal coordinate.
    ///   - y: The vertical coordinate.
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A labelled mark on a time axis.
public struct TimeMark: Sendable, Equatable {
    /// What happened (from data: escaped and truncated when drawn).
    public var label: String
    /// When it happened.
    public var time: Date

    /// - Parameters:
    ///   - label: What happened.
    ///   - time: When it happened.
    public init(label: String, time: Date) {
        self.label = label
        self.time = time
    }
}

/// A mean with a confidence interval, for comparing cohorts.
public struct IntervalDatum: Sendable, Equatable {
    /// The row's name (a cohort).
    public var label: String
    /// The mean.
    public var mean: Double
    /// The interval's lower end.
    public var low: Double
    /// The interval's upper end.
    public var high: Double
    /// How many observations the mean is over (printed as n).
    public var count: Int

    /// - Parameters:
    ///   - label: The row's name.
    ///   - mean: The mean.
    ///   - low: The interval's lower end.
    ///   - high: The interval's upper end.
    ///   - count: How many observations the mean is over.
    public init(label: String, mean: Double, low: Double, high: Double, count: Int) {
        self.label = label
        self.mean = mean
        self.low = low
        self.high = high
        self.count = count
    }
}
