import Foundation
import Generator
import Geolocation
import LocalBroker
import Places
import TestSupport
import Testing

/// The built `button-generate` against the running stack. Every run uses a fresh random seed
/// and a fixed virtual start, so the test knows in advance exactly which sessions (ids,
/// times, places) the run makes, and looks for those only: other tests produce to the same
/// topic at the same time.
@Suite struct GeneratorCommandTests {
    let stack: PressStack
    let binary: String

    /// The virtual clock's start: now, in whole seconds, so the test's sessions look like live
    /// ones on the stats page (a fixed date would show up in the spread and boredom panels).
    let start: String
    let startMicros: Int64

    init() throws {
        let seconds = Int64(Date().timeIntervalSince1970)
        startMicros = seconds * 1_000_000
        start = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(seconds)))
        stack = try PressStack()
        binary = stack.env.binary("button-generate")
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw StackEnvError(message: "\(binary) is missing: swift build first")
        }
    }

    /// The stack's addresses, as `scripts/generate` passes them.
    var environment: [String: String] {
        ["KAFKA_BOOTSTRAP": stack.bootstrap, "SCHEMA_REGISTRY_URL": stack.registry]
    }

    /// What a live run with this seed and `--start` makes, session by session.
    func predicted(seed: UInt64, sessions: Int, maxPresses: Int) throws -> [GeneratedSession] {
        let geolocator = try GeolocationConfiguration(environment: ProcessInfo.processInfo.environment).makeGeolocator()
        var source = LiveSessions(geolocator: geolocator, maxPresses: maxPresses, seed: seed, start: startMicros)
        return (0..<sessions).compactMap { _ in source.nextSession(now: 0) }
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Command.Result {
        try Command.run(binary, arguments, environment: environment.merging(extra) { $1 })
    }

    @Test func itsEventsDecodeIndependentlyAndLandInPostgreSQLAndClickHouse() async throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        let mark = try stack.mark()
        let result = try run(["--num-sessions", "12", "--max-presses", "4", "--seed", "\(seed)", "--start", start])
        try #require(result.status == 0, "\(result.errors)")
        let sessions = try predicted(seed: seed, sessions: 12, maxPresses: 4)
        let total = sessions.reduce(0) { $0 + $1.count }
        #expect(
            result.output.contains("sent \(total), acknowledged \(total), failed 0, sessions 12"),
            "\(result.output)"
        )
        let ids = sessions.compactMap { UUID(uuidString: $0.id) }
        let messages = try stack.messages(since: mark, sessions: ids, expected: total)
        #expect(messages.count == total)

        // python3-avro, with the writer schema it fetches from the registry by the id in
        // each message; keys are the session ids.
        let decoded = try IndependentAvro.decode(messages.map(\.value), registryURL: stack.registry)
        var bySession: [String: [[String: Any]]] = [:]
        for (message, record) in zip(messages, decoded) {
            #expect(message.key == record["session_id"] as? String)
            bySession[record["session_id"] as? String ?? "", default: []].append(record)
        }
        for session in sessions {
            let records = bySession[session.id] ?? []
            #expect(records.count == session.count, "\(session.id)")
            for (index, record) in records.enumerated() where index < session.count {
                #expect(record["timestamp"] as? Int == Int(session.timestamps[index]))
                #expect(record["action"] as? String == session.action(at: index).rawValue)
                #expect(record["country_name"] as? String == session.location.countryName)
                #expect(record["country_code"] as? String == session.location.countryCode)
                #expect(record["subdivision_name"] as? String == session.location.subdivisionName)
                #expect(record["city_name"] as? String == session.location.cityName)
                #expect(record["cohort"] is NSNull, "fake data: cohort null")
            }
        }

        let database = try SinkDatabase()
        let rows = try await database.waitForRows(sessions: ids, expected: total, timeout: .seconds(90))
        #expect(rows.count == total, "\(rows.count) of \(total) rows in PostgreSQL")
        #expect(rows.allSatisfy { $0.cohort == nil })
        let expectedTimes = sessions.flatMap(\.timestamps).sorted()
        #expect(rows.map(\.timestamp).sorted() == expectedTimes)

        let clickhouse = try ClickHouseClient(env: stack.env)
        let condition = ClickHouseClient.sessions(ids)
        let arrived = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE \(condition)",
            timeout: .seconds(90)
        ) { $0 >= total }
        #expect(arrived == total, "\(arrived) of \(total) rows in ClickHouse")
        let presses = try await clickhouse.presses(where: condition)
        #expect(presses.allSatisfy { $0.isFake == 1 && $0.cohort == nil })
        #expect(presses.map(\.timestamp).sorted() == expectedTimes)
    }

    @Test func aBackfillLandsInTheSpanAskedForAndInLocalDaytime() async throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        let mark = try stack.mark()
        let result = try run([
            "--backfill", "--days", "1", "--num-sessions", "200", "--seed", "\(seed)", "--until", start,
        ])
        try #require(result.status == 0, "\(result.errors)")
        var story = try BackfillStory(
            settings: .init(days: 1, until: startMicros, sessions: 200, maxPresses: 10, seed: seed),
            geolocator: try GeolocationConfiguration(environment: ProcessInfo.processInfo.environment).makeGeolocator(),
            places: CountryPlaces(table: try ZoneTable(contentsOf: ZoneTable.systemPath))
        )
        var sessions: [GeneratedSession] = []
        while let session = story.nextSession(now: 0) { sessions.append(session) }
        let total = sessions.reduce(0) { $0 + $1.count }
        #expect(result.output.contains("sent \(total), acknowledged \(total), failed 0"), "\(result.output)")
        let ids = sessions.compactMap { UUID(uuidString: $0.id) }
        let messages = try stack.messages(since: mark, sessions: ids, expected: total)
        let decoded = try IndependentAvro.decode(messages.map(\.value), registryURL: stack.registry)
        #expect(decoded.count == total)
        let spanStart = Int(startMicros - 86_400_000_000)
        let times = decoded.compactMap { $0["timestamp"] as? Int }
        #expect(times.count == total && times.allSatisfy { $0 >= spanStart && $0 < Int(startMicros) })

        // The enricher's local hours, as ClickHouse stores them: mostly daytime.
        let clickhouse = try ClickHouseClient(env: stack.env)
        let condition = ClickHouseClient.sessions(ids)
        let arrived = try await clickhouse.wait(
            for: "SELECT count() FROM button_presses FINAL WHERE \(condition)",
            timeout: .seconds(90)
        ) { $0 >= total }
        #expect(arrived == total)
        let hours = try await clickhouse.presses(where: condition).compactMap(\.localHour)
        let daytime = hours.filter { (8..<23).contains($0) }.count
        #expect(hours.count == total && Double(daytime) > 0.75 * Double(total), "\(daytime) of \(total) in 08–23 h")
    }

    @Test func theSameSeedProducesByteIdenticalMessages() throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        let arguments = ["--num-sessions", "5", "--max-presses", "3", "--seed", "\(seed)", "--start", start]
        let sessions = try predicted(seed: seed, sessions: 5, maxPresses: 3)
        let ids = sessions.compactMap { UUID(uuidString: $0.id) }
        let total = sessions.reduce(0) { $0 + $1.count }
        var runs: [[String]] = []
        for _ in 0..<2 {
            let mark = try stack.mark()
            let result = try run(arguments)
            try #require(result.status == 0, "\(result.errors)")
            let messages = try stack.messages(since: mark, sessions: ids, expected: total)
            #expect(messages.count == total)
            runs.append(messages.map { "\($0.key ?? "")|\($0.value)" }.sorted())
        }
        #expect(runs[0] == runs[1])
    }

    @Test func anUnreachableBrokerOrRegistryFailsWithinSecondsInOneLine() throws {
        let closed = try Self.closedPort()
        let cases: [(arguments: [String], names: String)] = [
            (["-k", "127.0.0.1:\(closed)"], "Kafka brokers 127.0.0.1:\(closed)"),
            (["-s", "http://127.0.0.1:\(closed)"], "schema registry"),
        ]
        for (arguments, names) in cases {
            let clock = ContinuousClock()
            var result: Command.Result?
            let elapsed = try clock.measure { result = try run(arguments + ["--num-sessions", "1"]) }
            let outcome = try #require(result)
            #expect(outcome.status == 69, "\(arguments): \(outcome.errors)")
            #expect(elapsed < .seconds(10), "\(arguments) took \(elapsed)")
            let lines = outcome.errors.split(separator: "\n")
            #expect(lines.count == 1 && lines.first?.hasPrefix("button-generate: ") == true, "\(outcome.errors)")
            #expect(outcome.errors.contains(names), "\(outcome.errors)")
            #expect(!outcome.errors.contains("Fatal error") && outcome.output.isEmpty)
        }
    }

    @Test func helpAndVersionNameTheFallbacksButNeverTheRegistryPassword() throws {
        let secret = "s3cret-\(UInt32.random(in: 0...UInt32.max))"
        let help = try run(["--help"], environment: ["SCHEMA_REGISTRY_URL": "https://avnadmin:\(secret)@registry:443"])
        #expect(help.status == 0)
        #expect(help.output.contains("KAFKA_BOOTSTRAP") && help.output.contains("SCHEMA_REGISTRY_URL"))
        #expect(help.output.contains(stack.bootstrap), "the brokers it would use are shown")
        #expect(!help.output.contains(secret) && !help.errors.contains(secret))
        let version = try run(["--version"])
        #expect(version.status == 0 && version.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.10.0")
    }

    @Test func aMissingGeolocationDatabaseOrZoneTableIsNamedWithExitStatus66() throws {
        let cases: [(arguments: [String], environment: [String: String], names: String)] = [
            (["--num-sessions", "1"], ["GEOIP_LIBLOC_DB": "/nonexistent/location.db"], "/nonexistent/location.db"),
            (
                ["--backfill", "--num-sessions", "1"], ["ENRICH_ZONE_TAB": "/nonexistent/zone.tab"],
                "/nonexistent/zone.tab"
            ),
        ]
        for (arguments, environment, names) in cases {
            let result = try run(arguments, environment: environment)
            #expect(result.status == 66, "\(result.errors)")
            #expect(
                result.errors.contains(names) && result.errors.split(separator: "\n").count == 1,
                "\(result.errors)"
            )
            #expect(result.output.isEmpty)
        }
    }

    @Test func aCertificateFolderTurnsOnTLSWithItsThreeFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("certs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in ["ca.pem", "service.cert", "service.key"] {
            try Data("not a certificate\n".utf8).write(to: folder.appendingPathComponent(file))
        }
        // librdkafka reads the CA file when the client is made: proof that the folder's files
        // became the TLS settings. A clear line, no hang, nothing sent.
        let result = try run(["-d", folder.path, "--num-sessions", "1"])
        #expect(result.status == 69, "\(result.errors)")
        #expect(result.errors.contains("ssl.ca.location"), "\(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1 && result.output.isEmpty)
    }

    @Test(arguments: [
        (["--count", "0"], "--count"),
        (["--rate", "fast"], "--rate"),
        (["--max-presses", "0"], "--max-presses"),
        (["--until", "2026-01-01T00:00:00Z"], "--until"),
        (["--backfill", "--days", "0"], "--days"),
        (["--duration", "soon"], "--duration"),
        (["--no-such-option"], "--no-such-option"),
        (["--schema-uri", "ftp://registry"], "--schema-uri"),
        (["--certs-dir", "/nonexistent"], "--certs-dir"),
    ])
    func aBadOptionIsNamedWithExitStatus64(arguments: [String], option: String) throws {
        let result = try run(arguments)
        #expect(result.status == 64, "\(arguments)")
        #expect(result.errors.contains(option), "\(result.errors)")
        #expect(!result.errors.contains("Fatal error"))
    }

    @Test func anInterruptedRunFlushesAndItsSummaryMatchesTheTopic() async throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        // A topic of its own: the shared stack's sink, enricher and ClickHouse read only
        // button_presses, so this run's thousands of events never queue in front of other
        // tests' presses (ClickHouse 18.16 takes about 500 rows a second in the parallel pass).
        let topic = "generator_interrupt_\(UInt32.random(in: 0...UInt32.max))"
        let reply = try BrokerControlClient(path: try stack.env.require("BROKER_CONTROL")).send("create \(topic) 6")
        try #require(reply.hasPrefix("ok"), "creating \(topic): \(reply)")
        let mark = try TopicMark(bootstrap: stack.bootstrap, topic: topic, partitions: 6)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            // --count only bounds a run whose interrupt never comes (200 s at this rate): the
            // interrupt must find it running, however slowly a busy machine reads the topic.
            "--forever", "--rate", "500", "--count", "100000", "--max-presses", "5", "--seed", "\(seed)",
            "--start", start, "--topic", topic,
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Interrupt once it is well under way (the topic has grown), or after 8 s at most.
        let underWay = ContinuousClock.now + .seconds(8)
        // Polled once a second: each look opens a Kafka client (sockets, threads), and the
        // parallel pass's descriptor-sensitive tests share this process.
        while try mark.count() < 1200 && ContinuousClock.now < underWay {
            try await Task.sleep(for: .seconds(1))
        }
        kill(process.processIdentifier, SIGINT)
        // A generator that ignores Ctrl-C or hangs in its flush fails here, not the whole run.
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 15) { [process] in
            if process.isRunning { kill(pid, SIGKILL) }
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        // "interrupted: sent S, acknowledged A, failed 0, sessions K, …"
        let numbers = Self.summaryNumbers(text)
        let sent = try #require(numbers["sent"])
        let acknowledged = try #require(numbers["acknowledged"])
        let sessionCount = try #require(numbers["sessions"])
        #expect(text.hasPrefix("interrupted: "), "\(text)")
        #expect(acknowledged == sent && sent > 100, "\(text)")
        let sessions = try predicted(seed: seed, sessions: sessionCount, maxPresses: 5)
        let ids = sessions.compactMap { UUID(uuidString: $0.id) }
        var found = try stack.messages(since: mark, sessions: ids, expected: acknowledged)
        // Nothing arrives after the summary's count.
        try await Task.sleep(for: .seconds(1))
        found = try stack.messages(since: mark, sessions: ids, expected: acknowledged)
        #expect(found.count == acknowledged, "the topic holds \(found.count), the summary says \(acknowledged)")
    }

    /// The numbers after the words of the summary line.
    static func summaryNumbers(_ text: String) -> [String: Int] {
        var numbers: [String: Int] = [:]
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == ":" }) {
            let words = part.split(separator: " ")
            if words.count == 2, let value = Int(words[1]) { numbers[String(words[0])] = value }
        }
        return numbers
    }

    /// A local TCP port nothing listens on: bound, then closed.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw StackEnvError(message: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
