/// The city-level fields of a GeoIP2-City-style record; `nil` where the record has no value.
public struct MaxMindCityRecord: Sendable, Hashable {
    /// `country.iso_code` (ISO 3166-1 alpha-2).
    public var countryCode: String?
    /// `country.names.en`.
    public var countryName: String?
    /// `subdivisions[0].iso_code`: the subdivision part of ISO 3166-2, without the country.
    public var subdivisionCode: String?
    /// `subdivisions[0].names.en`.
    public var subdivisionName: String?
    /// `city.names.en`.
    public var cityName: String?
    /// `location.latitude` and `location.longitude`, in degrees.
    public var latitude: Double?
    public var longitude: Double?

    public init(
        countryCode: String? = nil,
        countryName: String? = nil,
        subdivisionCode: String? = nil,
        subdivisionName: String? = nil,
        cityName: String? = nil,
        latitude: Double? = nil,
        longitude: Double? = nil
    ) {
        self.countryCode = countryCode
        self.countryName = countryName
        self.subdivisionCode = subdivisionCode
        self.subdivisionName = subdivisionName
        self.cityName = cityName
        self.latitude = latitude
        self.longitude = longitude
    }
}
