/// The panels of the stats page; each is also served alone at `/stats/panel/<name>`, which
/// the page polls to update itself.
public enum PanelKind: String, CaseIterable, Sendable {
    case stream
    case session
    case yourCountry = "your-country"
    case countries
    case map
    case sessions
    case byCountry = "by-country"
    case localHour = "local-hour"
    case spread
    case boredom
    case lookup
    case cohorts
    case health

    /// The panel's heading.
    public var title: String {
        switch self {
        case .stream: "Live: the latest events"
        case .session: "Your session"
        case .yourCountry: "Your country"
        case .countries: "Presses by country"
        case .map: "The world, pressing"
        case .sessions: "How often, and for how long"
        case .byCountry: "Does location change it?"
        case .localHour: "Presses by local time of day"
        case .spread: "How the habit spread"
        case .boredom: "When does it get boring?"
        case .lookup: "How well we placed people"
        case .cohorts: "Cohorts side by side"
        case .health: "Pipeline health"
        }
    }

    /// One line saying what the panel shows.
    public var caption: String {
        switch self {
        case .stream: "Events as they arrive in Kafka, newest first (session ids shortened)."
        case .session: "Your presses, as PostgreSQL has stored them."
        case .yourCountry: "Presses from the country your session was placed in: all time and the last hour."
        case .countries: "Every press ever recorded, per country (the 15 busiest)."
        case .map: "Presses per country; darker means more (log scale). Hover a country for its count."
        case .sessions:
            "Distribution of presses per session, and of how long a session keeps pressing (first to last press)."
        case .byCountry: "Per country: sessions, and the average number of presses in one session."
        case .localHour: "Presses by the hour on the presser's own clock, from their country's time zone."
        case .spread: "When each country pressed first, and the map at four moments of the app's life (cumulative)."
        case .boredom: "Presses over the app's life, and the share of sessions still pressing after k minutes."
        case .lookup: "Share of sessions by how precisely their network address was placed."
        case .cohorts: "Average presses per session in each cohort, with a 95% confidence interval."
        case .health: "Each store's event count and how far it lags behind the newest event in Kafka."
        }
    }

    /// How often the page asks for a fresh copy, in seconds.
    var pollSeconds: Int {
        switch self {
        case .stream: 2
        case .session, .health, .yourCountry: 3
        // The maps are the heaviest sections (about 100 KB each) and change slowly.
        case .map: 10
        case .spread: 30
        case .boredom: 15
        default: 5
        }
    }

    /// Whether the panel depends on the viewer (their session or country).
    var isPersonal: Bool { self == .session || self == .yourCountry }
}
