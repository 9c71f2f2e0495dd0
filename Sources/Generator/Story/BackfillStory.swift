import Foundation
public import Geolocation
public import Places

/// Weeks of history shaped like a story: the button goes viral in one country, reaches the
/// others over days, follows each place's daily rhythm in its local time, then gets boring.
///
/// The span is cut into UTC hours. Each country's expected sessions in an hour are its
/// size^0.75 × its interest at that point of the story (``SpreadPlan``) × the
/// ``DailyRhythm`` weight of that hour in the country's main time zone (the enricher's
/// zone.tab table, daylight saving included); the total over the span is `sessions`.
/// Presses per session shrink with boredom: at most `maxPresses` on arrival, a quarter of
/// it once the fad is old. Sessions come out in time order; every timestamp lies in
/// `[until - days, until)`.
public struct BackfillStory: SessionSource {
    /// What the story is asked for.
    public struct Settings: Sendable {
        public var days: Int
        /// The end of the span, µs since the epoch (exclusive).
        public var until: Int64
        /// Sessions over the whole span (expected; the draw makes it vary by a few).
        public var sessions: Int
        public var maxPresses: Int
        public var seed: UInt64

        public init(days: Int, until: Int64, sessions: Int, maxPresses: Int, seed: UInt64) {
            self.days = days
            self.until = until
            self.sessions = sessions
            self.maxPresses = maxPresses
            self.seed = seed
        }
    }

    /// Addresses drawn at the start to learn which countries the database places traffic in,
    /// and how much: each country's weight is its share of these draws.
    public static let poolDraws = 4000
    /// Countries in the story: the biggest of the pool with a known time zone.
    public static let maximumCountries = 40
    static let hourMicroseconds: Int64 = 3_600_000_000

    public let settings: Settings
    /// Who gets it when; exposed for tests and the summary.
    public let plan: SpreadPlan
    /// Each story country's time zone name.
    public let zones: [String: String]
    private let start: Int64
    private let slots: Int
    /// Expected sessions per slot and country, slot-major.
    private let expected: [Double]
    private let pool: [String: [Location]]
    private var random: GeneratorRandom
    private var slot = 0
    private var pending: [GeneratedSession] = []
    private var pendingIndex = 0

    /// - Parameters:
    ///   - settings: span, volume, presses and seed.
    ///   - geolocator: the workers' database, to place the pool's addresses.
    ///   - places: the enricher's zone table, for each country's time zone.
    /// - Throws: `GeneratorError` when no drawn country has a known time zone.
    public init(settings: Settings, geolocator: any Geolocator, places: CountryPlaces) throws(GeneratorError) {
        self.settings = settings
        var random = GeneratorRandom(seed: settings.seed)
        let drawer = LocationDrawer(geolocator: geolocator)
        var pool: [String: [Location]] = [:]
        for _ in 0..<Self.poolDraws {
            let location = drawer.draw(random: &random)
            pool[location.countryCode, default: []].append(location)
        }
        var zones: [String: String] = [:]
        var timeZones: [String: TimeZone] = [:]
        for code in pool.keys {
            guard let zone = places.place(countryCode: code, city: "")?.zone, let timeZone = TimeZone(identifier: zone)
            else { continue }
            zones[code] = zone
            timeZones[code] = timeZone
        }
        let candidates = pool.compactMap { code, locations in
            timeZones[code] == nil ? nil : (code: code, weight: Double(locations.count) / Double(Self.poolDraws))
        }
        .sorted { ($0.weight, $1.code) > ($1.weight, $0.code) }
        .prefix(Self.maximumCountries)
        guard !candidates.isEmpty else {
            throw GeneratorError(.configuration, "no drawn country has a time zone in the zone table")
        }
        let spanHours = Double(settings.days * 24)
        plan = SpreadPlan(weights: Array(candidates), spanHours: spanHours, random: &random)
        self.zones = zones.filter { code, _ in candidates.contains { $0.code == code } }
        self.pool = pool
        slots = settings.days * 24
        start = settings.until - Int64(slots) * Self.hourMicroseconds
        var expected = [Double](repeating: 0, count: slots * plan.countries.count)
        var total = 0.0
        for slot in 0..<slots {
            let middle = start + Int64(slot) * Self.hourMicroseconds + Self.hourMicroseconds / 2
            let utcSeconds = Int(middle / 1_000_000)
            let date = Date(timeIntervalSince1970: Double(utcSeconds))
            for (index, country) in plan.countries.enumerated() {
                let interest = plan.interest(hoursSinceArrival: Double(slot) + 0.5 - country.arrivalHours)
                guard interest > 0, let zone = timeZones[country.code] else { continue }
                let local = utcSeconds + zone.secondsFromGMT(for: date)
                let value = pow(country.weight, 0.75) * interest * DailyRhythm.weight(localSeconds: local)
                expected[slot * plan.countries.count + index] = value
                total += value
            }
        }
        let scale = total > 0 ? Double(settings.sessions) / total : 0
        self.expected = expected.map { $0 * scale }
        self.random = random
    }

    public var progress: Double? { slots == 0 ? 1 : Double(slot) / Double(slots) }

    /// The first hour of the span, µs since the epoch.
    public var spanStart: Int64 { start }

    public mutating func nextSession(now: Int64) -> GeneratedSession? {
        while pendingIndex >= pending.count {
            guard slot < slots else { return nil }
            fillSlot()
            slot += 1
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }

    /// Draws the sessions of the current slot, sorted by start.
    private mutating func fillSlot() {
        pending.removeAll(keepingCapacity: true)
        pendingIndex = 0
        let slotStart = start + Int64(slot) * Self.hourMicroseconds
        for (index, country) in plan.countries.enumerated() {
            let mean = expected[slot * plan.countries.count + index]
            guard mean > 0, let locations = pool[country.code], !locations.isEmpty else { continue }
            // Stochastic rounding keeps the total on target without a Poisson draw's cost.
            let whole = mean.rounded(.down)
            let count = Int(whole) + (random.unit() < mean - whole ? 1 : 0)
            let fresh = plan.freshness(hoursSinceArrival: Double(slot) + 0.5 - country.arrivalHours)
            let most = max(1, Int((Double(settings.maxPresses) * (0.25 + 0.75 * fresh)).rounded()))
            for _ in 0..<count {
                let id = random.uuid().text
                let location = locations[random.int(in: 0...(locations.count - 1))]
                let begin = slotStart + Int64(random.int(in: 0...Int(Self.hourMicroseconds - 1)))
                var times = GeneratedSession.timestamps(
                    start: begin,
                    presses: random.int(in: 1...most),
                    random: &random
                )
                // A session that would run past the span's end is moved back into it.
                if let last = times.last, last >= settings.until {
                    let shift = last - settings.until + 1
                    for t in times.indices { times[t] -= shift }
                }
                pending.append(GeneratedSession(id: id, location: location, timestamps: times))
            }
        }
        pending.sort { ($0.timestamps[0], $0.id) < ($1.timestamps[0], $1.id) }
    }
}
