import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What has happened so far, for the progress display and the final summary.
public struct GeneratorCounts: Sendable, Equatable {
    public var sessions = 0
    public var sent = 0
    public var acknowledged = 0
    public var failed = 0
    /// Seconds since the first event was sent.
    public var elapsed = 0.0
    /// How far through the run, 0…1, when a limit or the story's span says.
    public var fraction: Double?

    public init() {}

    /// Acknowledged events per second over the whole run.
    public var rate: Double { elapsed > 0 ? Double(max(acknowledged, 0)) / elapsed : 0 }
}

/// Shows progress on standard error: a bar with the live rate redrawn in place on a
/// terminal, a plain line every few seconds otherwise (logs, CI, pipes).
public struct ProgressReporter {
    public enum Style: Sendable {
        case bar
        case lines
        case none
    }

    private let style: Style
    private let interval: Double
    private var lastShown: Double = -1
    private var lastSent = 0
    private var lastTime = 0.0
    private var liveRate = 0.0

    /// - Parameters:
    ///   - style: `.bar` on a terminal (see ``styleForStandardError()``).
    ///   - interval: seconds between plain lines (the bar redraws 5 times a second).
    public init(style: Style, interval: Double = 5) {
        self.style = style
        self.interval = style == .bar ? 0.2 : interval
        // The bar shows at once; the first plain line after one interval.
        self.lastShown = style == .bar ? -1 : 0
    }

    /// `.bar` when standard error is a terminal, `.lines` otherwise.
    public static func styleForStandardError() -> Style {
        isatty(STDERR_FILENO) == 1 ? .bar : .lines
    }

    /// Shows the counts if the last display is older than the interval.
    public mutating func update(_ counts: GeneratorCounts) {
        guard style != .none, counts.elapsed - lastShown >= interval else { return }
        let span = counts.elapsed - lastTime
        if span > 0 { liveRate = Double(counts.sent - lastSent) / span }
        lastSent = counts.sent
        lastTime = counts.elapsed
        lastShown = counts.elapsed
        write(
            style == .bar
                ? "\r" + Self.bar(counts, liveRate: liveRate) + "\u{1B}[K"
                : Self.line(counts, liveRate: liveRate) + "\n"
        )
    }

    /// Ends the bar's line so the summary starts on a fresh one.
    public func finish() {
        if style == .bar && lastShown >= 0 { write("\n") }
    }

    /// `[#######.............]  35%  123456 sent  120000 acked  101234 ev/s`
    public static func bar(_ counts: GeneratorCounts, liveRate: Double) -> String {
        var text = ""
        if let fraction = counts.fraction {
            let clamped = min(1, max(0, fraction))
            let filled = Int((clamped * 30).rounded(.down))
            text = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] "
            text += String(format: "%3d%%  ", Int((clamped * 100).rounded(.down)))
        }
        text += "\(counts.sent) sent  \(counts.acknowledged) acked"
        if counts.failed > 0 { text += "  \(counts.failed) failed" }
        text += String(format: "  %.0f ev/s", liveRate)
        return text
    }

    /// `button-generate: 123456 sent, 120000 acknowledged, 0 failed, 101234 events/s, 35%`
    public static func line(_ counts: GeneratorCounts, liveRate: Double) -> String {
        var text =
            "button-generate: \(counts.sent) sent, \(counts.acknowledged) acknowledged, \(counts.failed) failed, "
            + String(format: "%.0f events/s", liveRate)
        if let fraction = counts.fraction { text += String(format: ", %.0f%%", min(1, max(0, fraction)) * 100) }
        return text
    }

    /// The final summary line.
    public static func summary(_ counts: GeneratorCounts, seed: UInt64, interrupted: Bool) -> String {
        (interrupted ? "interrupted: " : "")
            + "sent \(counts.sent), acknowledged \(counts.acknowledged), failed \(counts.failed), "
            + "sessions \(counts.sessions), "
            + String(format: "elapsed %.2f s, %.0f events/s", counts.elapsed, counts.rate)
            + ", seed \(seed)"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
