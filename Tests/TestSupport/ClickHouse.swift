public import Foundation

/// The stack's ClickHouse (`CLICKHOUSE_URL`), spoken to over its HTTP interface as an
/// operator would with curl.
public struct ClickHouseClient: Sendable {
    public let url: String

    /// - Throws: `StackEnvError` when the stack published no `CLICKHOUSE_URL`.
    public init(env: StackEnv) throws {
        url = try env.require("CLICKHOUSE_URL")
    }

    /// Runs one statement and returns the body.
    /// - Throws: `StackEnvError` with ClickHouse's message when it refuses.
    public func query(_ sql: String) async throws -> String {
        // 64-bit integers as JSON numbers, not strings (18.16 quotes them by default).
        let answer = try await HTTP.send(
            "POST",
            url + "/?output_format_json_quote_64bit_integers=0",
            body: Data(sql.utf8)
        )
        guard answer.status == 200 else {
            throw StackEnvError(message: "ClickHouse refused \(sql): \(answer.status) \(answer.text)")
        }
        return answer.text
    }

    /// One number (e.g. `SELECT count() …`).
    /// - Throws: when the query fails or does not answer a number.
    public func number(_ sql: String) async throws -> Int {
        let text = try await query(sql).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Int(text) else { throw StackEnvError(message: "\(sql) answered \(text)") }
        return value
    }

    /// Rows of `SELECT …` decoded from JSONEachRow.
    /// - Throws: when the query fails or a row does not decode.
    public func rows<Row: Decodable>(_ sql: String, as type: Row.Type = Row.self) async throws -> [Row] {
        let text = try await query(sql + " FORMAT JSONEachRow")
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { try decoder.decode(Row.self, from: Data($0.utf8)) }
    }

    /// Polls `sql` (one number) until `satisfied` holds, for at most `timeout`; returns the
    /// last value either way, so the caller's expectation reports it.
    public func wait(
        for sql: String,
        timeout: Duration = .seconds(45),
        until satisfied: (Int) -> Bool
    ) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let value = try await number(sql)
            if satisfied(value) || ContinuousClock.now >= deadline { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// One message of the enriched topic `button_presses_enriched`, in the contract's field
/// names, and the row ClickHouse keeps for it (`button_presses`, without the derived columns).
public struct EnrichedPress: Codable, Equatable, Sendable {
    public var sessionID: String
    public var timestamp: Int64
    public var action: String
    public var countryName: String
    public var countryCode: String
    public var subdivisionName: String
    public var subdivisionCode: String
    public var cityName: String
    public var cohort: Int?
    public var isFake: Int
    /// 1 for the events of sessions marked as bots.
    public var isBot: Int
    public var latitude: Double?
    public var longitude: Double?
    public var timeZone: String
    public var localHour: Int?
    public var localWeekday: Int?
    public var sourceTopic: String
    public var sourcePartition: Int
    public var sourceOffset: Int64

    public init(
        session: UUID = UUID(),
        timestamp: Int64,
        action: String = "PressButton",
        country: (name: String, code: String) = ("United Kingdom", "GB"),
        subdivision: (name: String, code: String) = ("England", "ENG"),
        city: String = "London",
        cohort: Int? = 3,
        isBot: Bool = false,
        latitude: Double? = 51.5083,
        longitude: Double? = -0.1253,
        timeZone: String = "Europe/London",
        localHour: Int? = 14,
        localWeekday: Int? = 5,
        sourceTopic: String,
        sourcePartition: Int = 2,
        sourceOffset: Int64
    ) {
        sessionID = session.uuidString.lowercased()
        self.timestamp = timestamp
        self.action = action
        countryName = country.name
        countryCode = country.code
        subdivisionName = subdivision.name
        subdivisionCode = subdivision.code
        cityName = city
        self.cohort = cohort
        isFake = cohort == nil ? 1 : 0
        self.isBot = isBot ? 1 : 0
        self.latitude = latitude
        self.longitude = longitude
        self.timeZone = timeZone
        self.localHour = localHour
        self.localWeekday = localWeekday
        self.sourceTopic = sourceTopic
        self.sourcePartition = sourcePartition
        self.sourceOffset = sourceOffset
    }

    /// The contract's (and the table's) column names.
    public enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case timestamp
        case action
        case countryName = "country_name"
        case countryCode = "country_code"
        case subdivisionName = "subdivision_name"
        case subdivisionCode = "subdivision_code"
        case cityName = "city_name"
        case cohort
        case isFake = "is_fake"
        case isBot = "is_bot"
        case latitude
        case longitude
        case timeZone = "time_zone"
        case localHour = "local_hour"
        case localWeekday = "local_weekday"
        case sourceTopic = "source_topic"
        case sourcePartition = "source_partition"
        case sourceOffset = "source_offset"
    }

    /// Every field, nulls included (the synthesized encoder would leave nil fields out).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sessionID, forKey: .sessionID)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(action, forKey: .action)
        try container.encode(countryName, forKey: .countryName)
        try container.encode(countryCode, forKey: .countryCode)
        try container.encode(subdivisionName, forKey: .subdivisionName)
        try container.encode(subdivisionCode, forKey: .subdivisionCode)
        try container.encode(cityName, forKey: .cityName)
        try container.encode(cohort, forKey: .cohort)
        try container.encode(isFake, forKey: .isFake)
        try container.encode(isBot, forKey: .isBot)
        try container.encode(latitude, forKey: .latitude)
        try container.encode(longitude, forKey: .longitude)
        try container.encode(timeZone, forKey: .timeZone)
        try container.encode(localHour, forKey: .localHour)
        try container.encode(localWeekday, forKey: .localWeekday)
        try container.encode(sourceTopic, forKey: .sourceTopic)
        try container.encode(sourcePartition, forKey: .sourcePartition)
        try container.encode(sourceOffset, forKey: .sourceOffset)
    }

    /// The JSON line of the contract.
    /// Keys sorted, as the enricher writes them: 18.16 reads a UUID as 36 characters whatever
    /// the quotes say, so a short bad `session_id` that ends its object runs into the next
    /// message and takes it down with it (README, *Rejected rows*). Foundation's key order
    /// otherwise changes from run to run, and with it what such a test sees.
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// `scripts/stack status`'s counts of what ClickHouse could not take as a press.
public enum ClickHouseRejections {
    /// Rows skipped as unparsable since ClickHouse started.
    /// - Throws: when the status command fails or prints no count.
    public static func count(env: StackEnv) throws -> Int {
        try statusCount("rejected_rows", env: env)
    }

    /// Rows stored without a session id or timestamp.
    /// - Throws: when the status command fails or prints no count.
    public static func incomplete(env: StackEnv) throws -> Int {
        try statusCount("incomplete_rows", env: env)
    }

    static func statusCount(_ name: String, env: StackEnv) throws -> Int {
        var extra: [String: String] = [:]
        if let runDir = env.values["RUN_DIR"] { extra["BUTTON_RUN_DIR"] = runDir }
        let script = StackEnv.packageRoot.appendingPathComponent("scripts/stack").path
        let result = try Command.run(script, ["status"], environment: extra)
        for line in result.output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count >= 3, words[0] == "clickhouse", words[1] == name, let n = Int(words[2]) {
                return n
            }
        }
        throw StackEnvError(message: "scripts/stack status printed no \(name): \(result.output)\(result.errors)")
    }
}

extension ClickHouseClient {
    /// The contract's columns of `button_presses`, in the names `EnrichedPress` decodes.
    public static let pressColumns = """
        toString(session_id) AS session_id, timestamp, action, country_name, country_code, subdivision_name,
        subdivision_code, city_name, cohort, is_fake, is_bot, latitude, longitude, time_zone, local_hour,
        local_weekday, source_topic, source_partition, source_offset
        """

    /// A condition on `button_presses`: the row's session is one of `sessions`.
    public static func sessions(_ sessions: [UUID]) -> String {
        "toString(session_id) IN (" + sessions.map { "'\($0.uuidString.lowercased())'" }.joined(separator: ", ") + ")"
    }

    /// The presses stored under `condition`, ordered by source position. With `final`
    /// (the default) they are read with `FINAL`, as the stats queries read them: each
    /// source position once, however often it was inserted.
    /// - Throws: when the query fails or a row does not decode.
    public func presses(where condition: String, final: Bool = true) async throws -> [EnrichedPress] {
        try await rows(
            "SELECT \(Self.pressColumns) FROM button_presses \(final ? "FINAL " : "")WHERE \(condition) "
                + "ORDER BY source_topic, source_partition, source_offset"
        )
    }
}
