#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When the button reaches each country, and how the fad fades there.
///
/// The origin country has it first; the others follow over the first part of the span, in
/// an order that favours big countries (more people to hear of it) but with chance in it.
/// In each country activity ramps up over about a day and a half after arrival, then
/// decays (boredom): `growth(t) · exp(-t / boredomHours)`.
public struct SpreadPlan: Sendable {
    /// One country of the story.
    public struct Country: Sendable, Equatable {
        public let code: String
        /// Its share of the drawn addresses: how many people it has, roughly.
        public let weight: Double
        /// Hours after the span's start when its first sessions come.
        public let arrivalHours: Double
    }

    /// The countries, origin first, then by arrival.
    public let countries: [Country]
    /// Hours over which activity in a country grows after arrival (time constant).
    public let growthHours: Double
    /// Time constant of the decay after arrival, in hours.
    public let boredomHours: Double

    /// - Parameters:
    ///   - weights: candidate countries and their weights (at least one).
    ///   - spanHours: the story's length.
    ///   - random: picks the origin and the order of arrivals.
    public init(weights: [(code: String, weight: Double)], spanHours: Double, random: inout GeneratorRandom) {
        // Deterministic order first (dictionary order must not leak into the story).
        let sorted = weights.sorted { ($0.weight, $1.code) > ($1.weight, $0.code) }
        // The origin: one of the eight biggest, chance proportional to weight.
        let candidates = Array(sorted.prefix(8))
        let total = candidates.reduce(0) { $0 + $1.weight }
        var pick = random.unit() * total
        var originIndex = 0
        for (index, candidate) in candidates.enumerated() {
            pick -= candidate.weight
            if pick < 0 {
                originIndex = index
                break
            }
        }
        let origin = sorted[originIndex]
        // The rest arrive in an order drawn by weight × chance; the last one after about
        // 45% of the span, the origin in its first quarter day.
        var others = sorted.enumerated().filter { $0.offset != originIndex }.map { $0.element }
        let keys = others.map { $0.weight.squareRoot() * (0.2 + random.unit()) }
        others = zip(others, keys).sorted { ($0.1, $1.0.code) > ($1.1, $0.0.code) }.map { $0.0 }
        let spread = spanHours * 0.45
        var countries = [Country(code: origin.code, weight: origin.weight, arrivalHours: random.unit() * 6)]
        for (rank, country) in others.enumerated() {
            let position = Double(rank + 1) / Double(others.count)
            let arrival = spread * position.squareRoot() * 0.9 + random.unit() * spread * 0.1
            countries.append(Country(code: country.code, weight: country.weight, arrivalHours: arrival))
        }
        self.countries = countries
        growthHours = 18
        boredomHours = max(48, spanHours * 0.22)
    }

    /// How much a country is into it `hours` after its arrival (0 before), 0…1.
    public func interest(hoursSinceArrival hours: Double) -> Double {
        guard hours >= 0 else { return 0 }
        return (1 - exp(-hours / growthHours)) * exp(-hours / boredomHours)
    }

    /// The boredom factor alone (1 at arrival, falling): scales presses per session.
    public func freshness(hoursSinceArrival hours: Double) -> Double {
        hours <= 0 ? 1 : exp(-hours / boredomHours)
    }
}
