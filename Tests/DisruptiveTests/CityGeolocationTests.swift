import Foundation
import TestSupport
import Testing

/// City-level geolocation through nginx: the workers restarted with a city-level `.mmdb`
/// (the fixture written by Tests/GeolocationTests/Fixtures/make-fixture.pl), then put back.
@Suite(.serialized) struct CityGeolocationTests {
    @Test(arguments: [
        [
            ("81.2.69.160", "GB", "England", "London"),
            ("175.16.199.10", "CN", "Jilin", "Changchun"),
            ("2a02:ec0::1", "SE", "Östergötland", "Linköping"),
        ]
    ])
    func citiesLandInTheirEvents(_ cases: [(String, String, String, String)]) async throws {
        let stack = try PressStack()
        let fixture = StackEnv.packageRoot.appendingPathComponent("Tests/GeolocationTests/Fixtures/city-fixture.mmdb")
        try StackControl.run(["restart", "workers"], env: stack.env, extra: ["GEOIP_MMDB": fixture.path])
        defer { _ = try? StackControl.run(["restart", "workers"], env: stack.env) }

        let mark = try stack.mark()
        var sessions: [UUID: (String, String, String)] = [:]
        for (address, country, subdivision, city) in cases {
            let client = PressClient(appURL: stack.app, forwardedFor: address)
            #expect(try await client.post("/api/enter").status == 200)
            #expect(try await client.post("/api/press").status == 200)
            let answer = client.answers.last?.text ?? ""
            #expect(answer.contains(city), "the page names the city: \(answer)")
            sessions[try stack.session(client).id] = (country, subdivision, city)
        }
        let events = try stack.events(since: mark, sessions: Array(sessions.keys), expected: 2 * cases.count)
        #expect(events.count == 2 * cases.count)
        for event in events {
            let id = try #require((event["session_id"] as? String).flatMap(UUID.init(uuidString:)))
            let expected = try #require(sessions[id])
            #expect(event["country_code"] as? String == expected.0)
            #expect(event["subdivision_name"] as? String == expected.1)
            #expect(event["city_name"] as? String == expected.2)
            #expect((event["subdivision_code"] as? String)?.isEmpty == false)
        }
    }
}
