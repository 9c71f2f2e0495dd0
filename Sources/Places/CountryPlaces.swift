import Foundation

/// Where an event happened, as far as its country and city tell: a representative
/// coordinate and the IANA time zone.
public struct Place: Sendable, Equatable {
    public let latitude: Double
    public let longitude: Double
    public let zone: String
    /// True when the event's city named the zone (a zone's exemplar city): city-level.
    public let isCity: Bool

    public init(latitude: Double, longitude: Double, zone: String, isCity: Bool) {
        self.latitude = latitude
        self.longitude = longitude
        self.zone = zone
        self.isCity = isCity
    }
}

/// Places by country code and city name, from ``ZoneTable`` only (offline, no network).
///
/// A country's place is its main zone's row: the zone of its capital, which is not always
/// the table's first row for the country (Australia's first row is Lord Howe Island, Canada's
/// St Johns, Russia's Kaliningrad, Ukraine's Simferopol). ``mainZones`` names it for every
/// country with more than one row in tzdata 2025b; a country with one row has that one, and
/// a country that gains a second row in a later tzdata keeps its first until it is added
/// there. When the event's city is the exemplar city of one of the country's zones ("Los
/// Angeles" → `America/Los_Angeles`), that zone and its coordinates are used instead.
///
/// Codes that are not countries (`""`, `EU`, `AP`, `A1`–`A3`, `XD`, `??`) are not in the table:
/// no place.
public struct CountryPlaces: Sendable {
    /// The main zone of each country with several rows: the zone of the capital (for
    /// Palestine, whose capital is disputed, the West Bank's; Antarctica and the US Minor
    /// Outlying Islands have no capital: their first row). Checked against zone.tab by a test.
    public static let mainZones: [String: String] = [
        "AQ": "Antarctica/McMurdo", "AR": "America/Argentina/Buenos_Aires", "AU": "Australia/Sydney",
        "BR": "America/Sao_Paulo", "CA": "America/Toronto", "CD": "Africa/Kinshasa", "CL": "America/Santiago",
        "CN": "Asia/Shanghai", "CY": "Asia/Nicosia", "DE": "Europe/Berlin", "EC": "America/Guayaquil",
        "ES": "Europe/Madrid", "FM": "Pacific/Pohnpei", "GL": "America/Nuuk", "ID": "Asia/Jakarta",
        "KI": "Pacific/Tarawa", "KZ": "Asia/Almaty", "MH": "Pacific/Majuro", "MN": "Asia/Ulaanbaatar",
        "MX": "America/Mexico_City", "MY": "Asia/Kuala_Lumpur", "NZ": "Pacific/Auckland", "PF": "Pacific/Tahiti",
        "PG": "Pacific/Port_Moresby", "PS": "Asia/Hebron", "PT": "Europe/Lisbon", "RU": "Europe/Moscow",
        "UA": "Europe/Kyiv", "UM": "Pacific/Midway", "US": "America/New_York", "UZ": "Asia/Tashkent",
    ]

    private struct Country: Sendable {
        let main: ZoneTable.Row
        /// Folded exemplar city → row.
        let cities: [String: ZoneTable.Row]
    }

    private let countries: [String: Country]

    /// - Parameter table: The parsed zone.tab.
    public init(table: ZoneTable) {
        var byCountry: [String: [ZoneTable.Row]] = [:]
        for row in table.rows { byCountry[row.countryCode, default: []].append(row) }
        var countries: [String: Country] = [:]
        for (code, rows) in byCountry {
            guard let first = rows.first else { continue }
            let main = Self.mainZones[code].flatMap { zone in rows.first { $0.zone == zone } } ?? first
            var cities: [String: ZoneTable.Row] = [:]
            for row in rows { cities[Self.fold(row.exemplarCity)] = row }
            countries[code] = Country(main: main, cities: cities)
        }
        self.countries = countries
    }

    /// The countries with several rows that ``mainZones`` does not name (their first row is
    /// used): a newer tzdata split a country; worth a line in the log.
    public static func unlistedMultiZoneCountries(in table: ZoneTable) -> [String] {
        var counts: [String: Int] = [:]
        for row in table.rows { counts[row.countryCode, default: 0] += 1 }
        return counts.filter { $0.value > 1 && mainZones[$0.key] == nil }.map(\.key).sorted()
    }

    /// The place of an event.
    /// - Parameters:
    ///   - countryCode: ISO 3166-1 alpha-2, any case.
    ///   - city: The event's city name, may be empty.
    /// - Returns: nil when the code is not a country of the table.
    public func place(countryCode: String, city: String) -> Place? {
        guard let country = countries[countryCode.uppercased()] else { return nil }
        if !city.isEmpty, let row = country.cities[Self.fold(city)] {
            return Place(latitude: row.latitude, longitude: row.longitude, zone: row.zone, isCity: true)
        }
        let row = country.main
        return Place(latitude: row.latitude, longitude: row.longitude, zone: row.zone, isCity: false)
    }

    /// Case, accents, underscores, hyphens and spacing do not matter ("são paulo", "Sao_Paulo").
    static func fold(_ name: String) -> String {
        name.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .replacingOccurrences(of: "_", with: " ")
            .replacingOccurrences(of: "-", with: " ")
            .split(separator: " ").joined(separator: " ")
    }
}
