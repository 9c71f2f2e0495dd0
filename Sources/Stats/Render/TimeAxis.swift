internal import Foundation

/// Ticks and labels of a time axis in UTC, their spacing chosen from the span shown: seconds, minutes, hours,
/// days or months.
struct TimeAxis {
    /// The tick times.
    let ticks: [Date]
    /// The tick spacing in seconds.
    let step: Double
    private let first: Date
    private let last: Date
    /// One formatter per axis, not one per label: a timeline formats a date for each of its marks.
    private let formatter: DateFormatter = {
        let formatter = DateFormatter()
        // en_US_POSIX and UTC, so neither the server's locale nor its zone changes the page.
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }()

    /// Spacings a reader expects, in seconds: 1 s … 30 s, 1 min … 30 min, 1 h … 12 h, 1 d, 2 d, 1 week, 2 weeks,
    /// about a month, a quarter, half a year, a year.
    private static let steps: [Double] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400,
        172_800, 604_800, 1_209_600, 2_592_000, 7_862_400, 15_724_800, 31_536_000,
    ]
    private static let day = 86_400.0

    /// - Parameters:
    ///   - first: The axis's start.
    ///   - last: The axis's end (after `first`).
    ///   - maxTicks: At most this many ticks, so their labels never overlap.
    init(from first: Date, to last: Date, maxTicks: Int = 6) {
        self.first = first
        self.last = last
        let start = first.timeIntervalSince1970
        let end = last.timeIntervalSince1970
        let span = max(end - start, 1)
        let step = Self.steps.first { span / $0 < Double(maxTicks) } ?? (span / Double(maxTicks)).rounded(.up)
        self.step = step
        // Multiples of the step since the epoch: whole minutes, hours and UTC midnights.
        var ticks: [Date] = []
        // Weeks start on Monday (the epoch was a Thursday): shift their multiples by four days.
        let offset = step == 604_800 || step == 1_209_600 ? 4 * Self.day : 0
        var tick = ((start - offset) / step).rounded(.up) * step + offset
        while tick <= end, ticks.count <= maxTicks {
            ticks.append(Date(timeIntervalSince1970: tick))
            tick += step
        }
        self.ticks = ticks
    }

    /// A tick's label: the time of day under a day's spacing, except at UTC midnight where the date says which
    /// day begins (so a two-day axis reads "22:00, Nov 28, 02:00"); the date for longer spacings, with the year
    /// once the axis spans about half a year.
    func label(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let midnight = seconds.truncatingRemainder(dividingBy: Self.day) == 0
        let format: String
        if step < 60 {
            format = "HH:mm:ss"
        } else if step < Self.day {
            format = midnight ? "MMM d" : "HH:mm"
        } else {
            format = last.timeIntervalSince(first) > 180 * Self.day ? "yyyy-MM-dd" : "MMM d"
        }
        return self.format(date, format)
    }

    /// A full timestamp for descriptions and tooltips: "2026-11-27 14:03 UTC".
    func full(_ date: Date) -> String {
        format(date, "yyyy-MM-dd HH:mm") + " UTC"
    }

    private func format(_ date: Date, _ pattern: String) -> String {
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}
