import Testing

@testable import Postgres

/// PostgreSQL's ISO timestamp text, both ways, without a server: the text the wrapper sends
/// for a `Date` parameter and the text it reads back from `timestamptz` columns.
@Suite struct TimestampTextTests {
    /// 2024-05-01 12:34:56 UTC.
    static let mayDay: Int64 = 1_714_566_896

    /// Whole microseconds, so comparisons don't depend on how a decimal lands in a Double.
    static func micros(_ seconds: Double?) -> Int64? { seconds.map { Int64(($0 * 1_000_000).rounded()) } }

    @Test(arguments: [
        (Double(0), "1970-01-01 00:00:00.000000+00"),
        (Double(mayDay) + 0.123456, "2024-05-01 12:34:56.123456+00"),
        (-0.000001, "1969-12-31 23:59:59.999999+00"),
        (951_782_400.0, "2000-02-29 00:00:00.000000+00"),
        (-62_135_596_800.0, "0001-01-01 00:00:00.000000+00"),
        // The day before 1 AD is 1 BC (there is no year 0), as PostgreSQL writes it.
        (-62_135_596_800.0 - 86_400, "0001-12-31 00:00:00.000000+00 BC"),
        // Whole seconds out there: a Double's step near 2.5e11 s is about 30 µs.
        (253_402_300_799.0, "9999-12-31 23:59:59.000000+00"),
        (253_402_300_800.0, "10000-01-01 00:00:00.000000+00"),
    ])
    func formatsUTCWithMicroseconds(seconds: Double, text: String) {
        #expect(TimestampText.format(secondsSince1970: seconds) == text)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, 9e12, -9e12])
    func refusesWhatPostgreSQLCannotHold(seconds: Double) {
        #expect(TimestampText.format(secondsSince1970: seconds) == nil)
    }

    static let parsed: [(String, Int64)] = [
        ("2024-05-01 12:34:56.123456+00", mayDay * 1_000_000 + 123_456),
        ("2024-05-01 12:34:56+00", mayDay * 1_000_000),
        ("2024-05-01T12:34:56+00", mayDay * 1_000_000),
        // Without an offset (a `timestamp` column) the text is read as UTC.
        ("2024-05-01 12:34:56", mayDay * 1_000_000),
        ("2024-05-01 14:34:56+02", mayDay * 1_000_000),
        ("2024-05-01 18:04:56.5+05:30", mayDay * 1_000_000 + 500_000),
        ("2024-05-01 09:34:56-03", mayDay * 1_000_000),
        ("2024-05-01 12:34:56+00:00:30", mayDay * 1_000_000 - 30_000_000),
        // Digits past the microsecond are dropped, not rounded into the next second.
        ("2024-05-01 12:34:56.9999999+00", mayDay * 1_000_000 + 999_999),
        ("0001-12-31 00:00:00+00 BC", (-62_135_596_800 - 86_400) * 1_000_000),
    ]

    @Test(arguments: parsed)
    func parsesPostgreSQLOutput(text: String, micros: Int64) {
        #expect(Self.micros(TimestampText.parse(text)) == micros, "\(text)")
    }

    @Test(arguments: [
        "", "garbage", "2024-05-01", "24-05-01 12:34:56", "2024-13-01 00:00:00", "2024-05-32 00:00:00",
        "2024-05-01 24:00:00", "2024-05-01 12:60:00", "2024-05-01 12:34:56.", "2024-05-01 12:34:56+0",
        "2024-05-01 12:34:56+00 ", "2024-05-01 12:34:56 UTC", "2024/05/01 12:34:56",
    ])
    func rejectsAnythingElse(text: String) {
        #expect(TimestampText.parse(text) == nil, "\(text)")
    }

    @Test func formatThenParseKeepsEveryMicrosecond() {
        let samples: [Int64] = [
            0, 1, -1, 999_999, -999_999, Self.mayDay * 1_000_000 + 123_456, -62_167_219_200_000_000,
            4_102_444_800_000_000 - 1, -2_208_988_800_000_001,
        ]
        for micros in samples {
            let seconds = Double(micros) / 1_000_000
            let text = TimestampText.format(secondsSince1970: seconds)
            #expect(Self.micros(text.flatMap(TimestampText.parse)) == micros, "\(micros) → \(text ?? "nil")")
        }
    }
}
