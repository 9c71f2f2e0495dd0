import ButtonEvents
import Foundation
import Testing

@testable import ButtonConsole

/// The console's one line per event.
@Suite struct EventLineTests {
    static let session = UUID(uuid: (0x3F, 0x1C, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13))
    static let sessionText = "3f1c0001-0203-0405-0607-08090a0b0c0d"

    static func event(
        _ action: PressAction = .pressButton,
        at timestamp: Int64 = 1_714_566_896_123_456,
        country: (String, String) = ("Germany", "DE"),
        subdivision: (String, String) = ("Berlin", "BE"),
        city: String = "Berlin",
        cohort: Int32? = 0
    ) -> PressEvent {
        PressEvent(
            sessionID: session,
            timestamp: timestamp,
            action: action,
            countryName: country.0,
            countryCode: country.1,
            subdivisionName: subdivision.0,
            subdivisionCode: subdivision.1,
            cityName: city,
            cohort: cohort
        )
    }

    @Test func aFullEventReadsLeftToRight() {
        #expect(
            EventLine.format(Self.event(), partition: 2, offset: 17)
                == "2024-05-01 12:34:56.123456Z PressButton  \(Self.sessionText)  cohort 0  "
                + "Germany (DE), Berlin (BE), Berlin  [p2@17]"
        )
    }

    @Test func actionsArePaddedSoColumnsLineUp() {
        let enter = EventLine.format(Self.event(.enterPage), partition: 0, offset: 0)
        let press = EventLine.format(Self.event(.pressButton), partition: 0, offset: 0)
        #expect(enter.contains("Z EnterPage    \(Self.sessionText)"))
        #expect(
            enter.firstRange(of: Self.sessionText)?.lowerBound.utf16Offset(in: enter)
                == press.firstRange(of: Self.sessionText)?.lowerBound.utf16Offset(in: press)
        )
    }

    @Test func missingPartsOfThePlaceAreLeftOut() {
        let noCodes = Self.event(country: ("Europe", ""), subdivision: ("Bavaria", ""), city: "")
        #expect(EventLine.format(noCodes, partition: 1, offset: 2).hasSuffix("cohort 0  Europe, Bavaria  [p1@2]"))
        let countryOnly = Self.event(subdivision: ("", "XX"), city: "")
        #expect(EventLine.format(countryOnly, partition: 1, offset: 2).hasSuffix("cohort 0  Germany (DE)  [p1@2]"))
        let nowhere = Self.event(country: ("", ""), subdivision: ("", ""), city: "")
        #expect(EventLine.format(nowhere, partition: 1, offset: 2).hasSuffix("cohort 0    [p1@2]"))
    }

    @Test func aNullCohortIsFakeData() {
        let line = EventLine.format(Self.event(cohort: nil), partition: 0, offset: 0)
        #expect(line.contains("  fake data  "))
        #expect(!line.contains("cohort"), "\(line)")
        #expect(EventLine.format(Self.event(cohort: 7), partition: 0, offset: 0).contains("  cohort 7  "))
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01 00:00:00.000000Z"),
        (1, "1970-01-01 00:00:00.000001Z"),
        (-1, "1969-12-31 23:59:59.999999Z"),
        (-1_000_000, "1969-12-31 23:59:59.000000Z"),
        (-1_000_001, "1969-12-31 23:59:58.999999Z"),
        (951_782_399_999_999, "2000-02-28 23:59:59.999999Z"),
        (951_782_400_000_000, "2000-02-29 00:00:00.000000Z"),
    ])
    func timestampsAreExactToTheMicrosecond(micros: Int64, text: String) {
        #expect(EventLine.timestamp(micros) == text)
    }
}
