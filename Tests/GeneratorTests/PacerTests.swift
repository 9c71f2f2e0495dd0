import Foundation
import Generator
import Testing

@Suite struct PacerTests {
    @Test func eventsGoOutAtTheRateAsked() {
        var pacer = Pacer(rate: 2000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<400 { pacer.waitForNext() }
        }
        // 400 events at 2000/s: 0.2 s (the first is due at once).
        #expect(elapsed >= .milliseconds(180), "\(elapsed)")
        #expect(elapsed < .milliseconds(600), "\(elapsed)")
    }

    @Test func aStopEndsTheWaitOfASlowRateAtOnce() {
        var pacer = Pacer(rate: 0.5)
        pacer.waitForNext()  // the first is due at once; the next in 2 s
        let clock = ContinuousClock()
        let started = clock.now
        pacer.waitForNext { clock.now - started > .milliseconds(150) }
        #expect(clock.now - started < .milliseconds(500), "a stop is seen within 0.1 s, not after 2 s")
    }

    @Test func progressShowsABarOnATerminalAndPlainLinesElsewhere() {
        var counts = GeneratorCounts()
        counts.sent = 1500
        counts.acknowledged = 1400
        counts.fraction = 0.5
        let bar = ProgressReporter.bar(counts, liveRate: 1234)
        #expect(bar.hasPrefix("[" + String(repeating: "#", count: 15) + String(repeating: ".", count: 15) + "]"))
        #expect(
            bar.contains(" 50%") && bar.contains("1500 sent") && bar.contains("1400 acked") && bar.contains("1234 ev/s")
        )
        let line = ProgressReporter.line(counts, liveRate: 1234)
        #expect(line == "button-generate: 1500 sent, 1400 acknowledged, 0 failed, 1234 events/s, 50%")
        counts.elapsed = 2
        counts.sessions = 300
        let summary = ProgressReporter.summary(counts, seed: 9, interrupted: true)
        #expect(
            summary
                == "interrupted: sent 1500, acknowledged 1400, failed 0, sessions 300, elapsed 2.00 s, 700 events/s, seed 9"
        )
    }
}
