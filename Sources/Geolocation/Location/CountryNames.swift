import Foundation

/// English country names by ISO 3166-1 alpha-2 code, from Debian's `iso-codes` package.
///
/// Also the test of what counts as a country: codes that geolocation data uses for other
/// things (`EU`, `AP`, `A1`–`A3`, `XD`, `??`) are not in ISO 3166-1 and have no name.
public struct CountryNames: Sendable {
    /// Where Debian's `iso-codes` package installs the ISO 3166-1 list.
    public static let defaultPath = "/usr/share/iso-codes/json/iso_3166-1.json"

    private let names: [String: String]

    /// Loads the list from a file in the iso-codes JSON format.
    /// - Parameters:
    ///   - path: The `iso_3166-1.json` file.
    /// - Throws: `GeolocationError` with `.databaseMissing` or `.databaseInvalid`, naming the
    ///   path.
    public init(path: String = CountryNames.defaultPath) throws(GeolocationError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw GeolocationError(.databaseMissing, "cannot read country names from \(path)", path: path)
        }
        let file: ISOCodesFile
        do {
            file = try JSONDecoder().decode(ISOCodesFile.self, from: data)
        } catch {
            throw GeolocationError(.databaseInvalid, "\(path) is not an iso-codes 3166-1 file", path: path)
        }
        var names: [String: String] = [:]
        for entry in file.countries {
            // common_name is the everyday name where the ISO name is formal
            // ("Taiwan" rather than "Taiwan, Province of China").
            names[entry.alpha2] = entry.commonName ?? entry.name
        }
        guard !names.isEmpty else {
            throw GeolocationError(.databaseInvalid, "\(path) lists no countries", path: path)
        }
        self.names = names
    }

    /// The list from `defaultPath`, read once per process.
    /// - Throws: `GeolocationError` when the file is missing or invalid (every call rethrows
    ///   the first failure).
    public static func standard() throws(GeolocationError) -> CountryNames {
        try standardResult.get()
    }

    private static let standardResult = Result { () throws(GeolocationError) in try CountryNames() }

    /// The English name of a country.
    /// - Parameters:
    ///   - code: An ISO 3166-1 alpha-2 code, in upper case.
    /// - Returns: The name, or `nil` when the code is not an ISO 3166-1 country.
    public func name(forCode code: String) -> String? { names[code] }

    /// The number of countries known.
    public var count: Int { names.count }

    /// All codes, sorted.
    public var codes: [String] { names.keys.sorted() }
}

private struct ISOCodesFile: Decodable {
    struct Entry: Decodable {
        let alpha2: String
        let name: String
        let commonName: String?

        enum CodingKeys: String, CodingKey {
            case alpha2 = "alpha_2"
            case name
            case commonName = "common_name"
        }
    }

    let countries: [Entry]

    enum CodingKeys: String, CodingKey {
        case countries = "3166-1"
    }
}
