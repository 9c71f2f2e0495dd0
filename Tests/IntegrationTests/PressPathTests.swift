import Foundation
import Session
import TestSupport
import Testing

/// The press path as deployed: nginx → FastCGI workers → Kafka, checked from the outside.
@Suite struct PressPathTests {
    let stack: PressStack
    init() throws { stack = try PressStack() }

    static func micros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    @Test func aSessionsEventsAreInKafkaInTheWorkshopFormat() async throws {
        let mark = try stack.mark()
        let client = PressClient(appURL: stack.app)
        let before = Self.micros()
        let enter = try await client.post("/api/enter")
        #expect(enter.status == 200)
        let setCookie = try #require(enter.header("Set-Cookie"))
        #expect(
            setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Max-Age=3600")
        )
        #expect(!setCookie.contains("Secure"), "no TLS in the local stack")
        var lines: Set<String> = []
        for _ in 0..<3 {
            let press = try await client.post("/api/press")
            #expect(press.status == 200)
            lines.insert(press.text)
        }
        #expect(lines.count == 3, "the line of text changes after every press")
        let form = try await client.post("/api/press", htmx: false)
        #expect(form.status == 303)
        #expect(form.header("Location") == "/")
        let after = Self.micros()

        let session = try stack.session(client)
        let events = try stack.events(since: mark, sessions: [session.id], expected: 5)
        try #require(events.count == 5)
        #expect(events.map { $0["action"] as? String } == ["EnterPage"] + Array(repeating: "PressButton", count: 4))
        let timestamps = events.compactMap { $0["timestamp"] as? Int64 ?? ($0["timestamp"] as? Int).map(Int64.init) }
        #expect(timestamps.count == 5)
        #expect(timestamps == timestamps.sorted())
        #expect(timestamps.allSatisfy { $0 >= before && $0 <= after }, "µs since the epoch, UTC")
        for event in events {
            #expect(event["session_id"] as? String == session.id.uuidString.lowercased())
            #expect(event["cohort"] as? Int == 0)
            // Loopback in fake-location mode: a plausible public place, the same all session.
            #expect((event["country_code"] as? String)?.count == 2)
            #expect(event["country_name"] as? String == session.countryName)
            for field in ["subdivision_name", "subdivision_code", "city_name"] { #expect(event[field] is String) }
            #expect(
                Set(event.keys) == [
                    "session_id", "timestamp", "action", "country_name", "country_code", "subdivision_name",
                    "subdivision_code", "city_name", "cohort", "is_bot", "_schema_id",
                ]
            )
            #expect(event["is_bot"] as? Bool == false, "a person's pace")
        }
        // The id the registry gives our schema (not "latest": other suites register versions).
        #expect(Int(try await stack.schemaID()) == events.first?["_schema_id"] as? Int)
    }

    @Test(arguments: [
        ("130.149.0.1", "DE", "Germany"),
        ("128.232.0.1", "GB", "United Kingdom"),
        ("133.11.0.1", "JP", "Japan"),
        ("128.32.0.1", "US", "United States"),
        ("2001:638::1", "DE", "Germany"),
    ])
    func clientAddressIsLocatedThenForgotten(address: String, code: String, name: String) async throws {
        let mark = try stack.mark()
        let client = PressClient(appURL: stack.app, forwardedFor: address)
        try await client.post("/api/enter")
        try await client.post("/api/press")
        try await client.post("/api/press", htmx: false)
        #expect(client.answers.map(\.status) == [200, 200, 303])
        let session = try stack.session(client)
        #expect(session.countryCode == code)
        let events = try stack.events(since: mark, sessions: [session.id], expected: 3)
        #expect(events.count == 3)
        for event in events {
            #expect(event["country_code"] as? String == code)
            #expect(event["country_name"] as? String == name)
        }

        // The address is nowhere: not in Kafka (as text or as its 4- or 16-byte binary form),
        // not in answers, not in the cookie, not in any log the stack wrote. Each absence
        // check first proves it looks where this test's data is.
        let text = Array(address.utf8)
        let binary = try #require(AddressBytes.binary(address))
        #expect(binary.count == (address.contains(":") ? 16 : 4))
        let sessionText = Array(session.id.uuidString.lowercased().utf8)

        let raw = try stack.messages(since: mark, sessions: [session.id], expected: 3)
        #expect(raw.count == 3, "control: the three events of this test are read")
        for message in raw {
            #expect(message.key == session.id.uuidString.lowercased(), "control: keyed by this session")
            #expect(message.value.contains(sessionText), "control: the value holds this session's id")
            let bytes = message.value + Array((message.key ?? "").utf8)
            #expect(!bytes.contains(text), "the address is in a Kafka message, as text")
            #expect(!bytes.contains(binary), "the address is in a Kafka message, binary")
        }

        #expect(
            client.answers.contains { $0.text.contains(name) },
            "control: the answers are read (the page names the country)"
        )
        for answer in client.answers {
            #expect(!answer.text.contains(address))
            #expect(!answer.headers.values.contains { $0.contains(address) })
        }

        let cookieParts = try #require(client.cookie).split(separator: ".").compactMap { part -> Data? in
            var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            return Data(base64Encoded: base64)
        }
        let uuidBytes = withUnsafeBytes(of: session.id.uuid) { Data($0) }
        #expect(
            cookieParts.contains { $0.range(of: uuidBytes) != nil && $0.range(of: Data(name.utf8)) != nil },
            "control: the decoded cookie holds the session id and the country"
        )
        for part in cookieParts {
            #expect(part.range(of: Data(text)) == nil, "the address is in the cookie")
            #expect(part.range(of: Data(binary)) == nil, "the address is in the cookie, binary")
        }

        let marked = try await StackFiles.markLogs(appURL: stack.app, runDir: stack.runDir)
        #expect(
            marked.contains { $0.hasSuffix("/nginx/access.log") },
            "control: a marker request, made after this test's, is in nginx's access log: \(marked)"
        )
        let workersLog = "\(stack.runDir)/logs/workers.log"
        #expect(StackFiles.files(runDir: stack.runDir).contains(workersLog), "control: the workers' log is searched")
        #expect(FileManager.default.contents(atPath: workersLog)?.isEmpty == false, "control: the workers log")
        #expect(StackFiles.filesContaining(address, runDir: stack.runDir).isEmpty, "the address is in a log file")
    }

    @Test func forgedTamperedExpiredOrGarbageCookiesStartANewSession() async throws {
        let mark = try stack.mark()
        let original = PressClient(appURL: stack.app, forwardedFor: "130.149.0.1")
        try await original.post("/api/enter")
        let genuine = try stack.session(original)
        let value = try #require(original.cookie)

        // A client edits its cohort and country, keeping the old signature.
        var edited = genuine
        edited.cohort = 7
        edited.countryCode = "XX"
        let editedPayload = stack.codec.seal(edited).split(separator: ".")[1]
        let signature = value.split(separator: ".")[2]
        // Signed with a key that is not the stack's.
        let foreign = try SessionCookieCodec(secret: Array("not-the-stack-secret-not-the-stack-secret".utf8))
        // A genuine cookie whose last press is two hours old.
        var stale = genuine
        stale.lastSeenAt = stack.nowSeconds - 7200
        let cases: [(String, String)] = [
            ("edited", "v1.\(editedPayload).\(signature)"),
            ("foreign key", foreign.seal(edited)),
            ("expired", stack.codec.seal(stale)),
            ("garbage", "v1.%%%.???"),
            ("huge", String(repeating: "A", count: 6000)),
            ("bad signature", String(value.dropLast(3)) + "AAA"),
        ]
        var newSessions: [UUID] = []
        for (label, cookie) in cases {
            let client = PressClient(appURL: stack.app, forwardedFor: "133.11.0.1")
            client.cookie = cookie
            let answer = try await client.post("/api/press")
            #expect(answer.status == 200, "\(label)")
            let fresh = try stack.session(client)
            #expect(fresh.id != genuine.id, "\(label): a new session")
            #expect(fresh.cohort == 0 && fresh.countryCode == "JP", "\(label): located afresh")
            newSessions.append(fresh.id)
        }
        let events = try stack.events(since: mark, sessions: newSessions, expected: newSessions.count)
        #expect(events.count == newSessions.count)
        #expect(events.allSatisfy { $0["cohort"] as? Int == 0 && $0["country_code"] as? String == "JP" })
    }
}
