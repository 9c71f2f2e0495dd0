/// Where a client appears to be, as carried in each button event.
///
/// Every field is a string that is empty when unknown, matching the event schema.
public struct Location: Sendable, Hashable, Codable {
    /// The English country name, "Unknown" for `Location.unknown`.
    public var countryName: String
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    public var countryCode: String
    /// The English name of the first-level subdivision, e.g. `England`.
    public var subdivisionName: String
    /// The subdivision's code as the database gives it (the part after the hyphen of
    /// ISO 3166-2, e.g. `ENG`).
    public var subdivisionCode: String
    /// The English city name.
    public var cityName: String

    public init(
        countryName: String,
        countryCode: String,
        subdivisionName: String = "",
        subdivisionCode: String = "",
        cityName: String = ""
    ) {
        self.countryName = countryName
        self.countryCode = countryCode
        self.subdivisionName = subdivisionName
        self.subdivisionCode = subdivisionCode
        self.cityName = cityName
    }

    /// The location of a client that could not be placed in a country.
    public static let unknown = Location(countryName: "Unknown", countryCode: "")

    /// Whether the country is known.
    public var isKnown: Bool { !countryCode.isEmpty }
}
