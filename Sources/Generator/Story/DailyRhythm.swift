/// How busy an hour of the local day is, relative to the busiest: people press in the day
/// and the evening, hardly at night. Shared by every country, read in its own local time.
public enum DailyRhythm {
    /// Weight of each local hour 0…23: a dip before dawn, a plateau over the day and a peak
    /// in the evening (19–21 h).
    public static let weights: [Double] = [
        0.25, 0.15, 0.08, 0.05, 0.05, 0.08, 0.20, 0.45,
        0.70, 0.85, 0.95, 1.00, 1.00, 0.95, 0.90, 0.90,
        0.95, 1.00, 1.10, 1.20, 1.20, 1.00, 0.75, 0.45,
    ]

    /// The weight at a local time of day.
    /// - Parameter localSeconds: seconds since local midnight (any value; taken modulo a day).
    public static func weight(localSeconds: Int) -> Double {
        let secondsOfDay = ((localSeconds % 86_400) + 86_400) % 86_400
        return weights[secondsOfDay / 3600]
    }
}
