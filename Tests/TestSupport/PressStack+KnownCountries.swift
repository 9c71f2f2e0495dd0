public import Foundation

extension PressStack {
    /// Addresses libloc's database places in known countries (as the press path tests use).
    public static let knownCountryAddresses = [
        ("130.149.0.1", "DE"), ("128.232.0.1", "GB"), ("133.11.0.1", "JP"), ("128.32.0.1", "US"),
    ]

    /// One fresh session per known-country address and round, each an enter and two presses
    /// through nginx.
    /// - Returns: each session's country code.
    /// - Throws: when a request is not answered 200, or a session cookie does not open.
    public func pressFromKnownCountries(rounds: Int = 1) async throws -> [UUID: String] {
        var countries: [UUID: String] = [:]
        for _ in 0..<rounds {
            for (address, code) in Self.knownCountryAddresses {
                let client = PressClient(appURL: app, forwardedFor: address)
                try await client.post("/api/enter")
                try await client.post("/api/press")
                try await client.post("/api/press")
                let statuses = client.answers.map(\.status)
                guard statuses == [200, 200, 200] else {
                    throw StackEnvError(message: "presses from \(code) answered \(statuses), not 200 each")
                }
                countries[try session(client).id] = code
            }
        }
        return countries
    }
}
