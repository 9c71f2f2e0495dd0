public import Foundation

/// Presses from one country.
public struct CountryCount: Sendable, Equatable {
    public var code: String
    public var name: String
    public var presses: Int
}

/// Presses per session and session length, bucketed (see `SessionBuckets`).
public struct SessionDistribution: Sendable, Equatable {
    /// Sessions per presses-per-session bucket, in `SessionBuckets.presses` order.
    public var byPresses: [Int]
    /// Sessions per length bucket, in `SessionBuckets.lengths` order.
    public var byLength: [Int]
    public var sessions: Int
    public var presses: Int
    /// Sum of the sessions' lengths in seconds (first to last press).
    public var totalSeconds: Double
}

/// The buckets of `SessionDistribution`, shared by the query and the chart labels.
public enum SessionBuckets {
    /// Upper bounds (inclusive) of the presses-per-session buckets; the last is open.
    static let pressBounds = [0, 1, 2, 4, 8, 16, 32, 64]
    public static let presses = ["0", "1", "2", "3–4", "5–8", "9–16", "17–32", "33–64", "65+"]
    /// Upper bounds (exclusive, seconds) of the length buckets; the last is open.
    static let lengthBounds = [1, 10, 30, 60, 120, 300, 900, 3600]
    public static let lengths = [
        "< 1 s", "1–10 s", "10–30 s", "30 s–1 min", "1–2 min", "2–5 min", "5–15 min", "15–60 min", "1 h+",
    ]
}

/// Sessions and presses of one country.
public struct CountrySessions: Sendable, Equatable {
    public var code: String
    public var name: String
    public var sessions: Int
    public var presses: Int
    public var pressesPerSession: Double { sessions == 0 ? 0 : Double(presses) / Double(sessions) }
}

/// When a country pressed first.
public struct FirstPress: Sendable, Equatable {
    public var code: String
    public var name: String
    /// µs since the epoch.
    public var timestamp: Int64
}

/// How the use spread: first presses, and cumulative presses per country at four moments.
public struct Spread: Sendable, Equatable {
    public var firstPresses: [FirstPress]
    /// The four moments (µs), a quarter of the app's life apart, the last being the newest press.
    public var moments: [Int64]
    /// Cumulative presses per country at each moment.
    public var cumulative: [[String: Double]]
}

/// Presses over the app's life, and how long sessions last.
public struct Boredom: Sendable, Equatable {
    /// Width of one bucket of `series`, in seconds.
    public var bucketSeconds: Int
    /// Presses per bucket, gaps filled with zero.
    public var series: [(start: Int64, presses: Int)]
    /// (minutes k, share of sessions with presses that still pressed k minutes after their first press).
    public var survival: [(minutes: Int, share: Double)]
    public var pressingSessions: Int

    public static func == (lhs: Boredom, rhs: Boredom) -> Bool {
        lhs.bucketSeconds == rhs.bucketSeconds && lhs.pressingSessions == rhs.pressingSessions
            && lhs.series.elementsEqual(rhs.series) { $0 == $1 }
            && lhs.survival.elementsEqual(rhs.survival) { $0 == $1 }
    }
}

/// How precisely the sessions were placed.
public struct LookupPrecision: Sendable, Equatable {
    public var city = 0
    public var subdivision = 0
    public var country = 0
    public var unknown = 0
    public var sessions: Int { city + subdivision + country + unknown }
}

/// Presses per session in one cohort (nil: fake data).
public struct CohortSummary: Sendable, Equatable {
    public var cohort: Int?
    public var sessions: Int
    public var mean: Double
    /// Sample standard deviation; nil with fewer than two sessions.
    public var standardDeviation: Double?

    /// The 95% confidence interval of the mean (normal approximation: mean ± 1.96 s/√n);
    /// nil with fewer than two sessions.
    public var interval: ClosedRange<Double>? {
        guard let sd = standardDeviation, sessions > 1, sd.isFinite else { return nil }
        let half = 1.96 * sd / Double(sessions).squareRoot()
        // No session presses a negative number of times: the normal approximation's lower
        // bound is cut at zero.
        return max(0, mean - half)...(mean + half)
    }
}

/// This viewer's session as PostgreSQL has it.
public struct SessionActivity: Sendable, Equatable {
    public var presses: Int
    public var events: Int
    public var firstPress: Date?
    public var lastPress: Date?
}

/// Presses from the viewer's country.
public struct CountryActivity: Sendable, Equatable {
    public var code: String
    public var name: String
    public var allTime: Int
    public var lastHour: Int
}

/// One store's side of the pipeline health panel.
public struct StoreHealth: Sendable, Equatable {
    public var store: Store
    /// Events held (Kafka: the sum of the partitions' newest offsets).
    public var events: Int64?
    /// Time of the newest event the store holds.
    public var newest: Date?
    /// Why the store could not answer, when it could not.
    public var problem: String?
}
