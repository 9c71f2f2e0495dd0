public import ButtonEvents
public import Foundation
import Postgres

/// The point lookups, on PostgreSQL's `button_presses`: one session, the latest events, and
/// the store's size for the health panel.
public struct PointQueries: Sendable {
    let pool: PostgresPool

    /// - Parameter pool: PostgreSQL connections.
    public init(pool: PostgresPool) { self.pool = pool }

    /// One session's presses and events.
    public func session(_ id: UUID) throws -> SessionActivity {
        try pool.with { connection in
            let rows = try connection.query(
                """
                SELECT count(*) FILTER (WHERE action = 'PressButton') AS presses, count(*) AS events,
                    min(event_time) FILTER (WHERE action = 'PressButton') AS first_press,
                    max(event_time) FILTER (WHERE action = 'PressButton') AS last_press
                FROM button_presses WHERE session_id = $1::uuid
                """,
                [PostgresValue(id.uuidString.lowercased())]
            )
            guard let row = rows.first else { return SessionActivity(presses: 0, events: 0) }
            return SessionActivity(
                presses: try row.int("presses"),
                events: try row.int("events"),
                firstPress: try row.optionalDate("first_press"),
                lastPress: try row.optionalDate("last_press")
            )
        }
    }

    /// The newest events, newest first (by the order PostgreSQL stored them).
    /// - Parameters: `includeBots`: events marked `is_bot` too.
    public func latest(count: Int, includeFake: Bool, includeBots: Bool = false) throws -> [PressEvent] {
        try pool.with { connection in
            let rows = try connection.query(
                """
                SELECT session_id::text AS session_id, "timestamp", action, country_name, country_code,
                    subdivision_name, subdivision_code, city_name, cohort, is_bot
                FROM button_presses WHERE ($2 OR cohort IS NOT NULL) AND ($3 OR NOT is_bot)
                ORDER BY id DESC LIMIT $1
                """,
                [PostgresValue(count), PostgresValue(includeFake), PostgresValue(includeBots)]
            )
            return try rows.compactMap { row in
                guard let id = UUID(uuidString: try row.string("session_id")),
                    let action = PressAction(rawValue: try row.string("action"))
                else { return nil }
                return PressEvent(
                    sessionID: id,
                    timestamp: Int64(try row.int("timestamp")),
                    action: action,
                    countryName: try row.string("country_name"),
                    countryCode: try row.string("country_code"),
                    subdivisionName: try row.string("subdivision_name"),
                    subdivisionCode: try row.string("subdivision_code"),
                    cityName: try row.string("city_name"),
                    cohort: try row.optionalInt("cohort").map { Int32(truncatingIfNeeded: $0) },
                    isBot: try row.bool("is_bot")
                )
            }
        }
    }

    /// Rows PostgreSQL holds and its newest event, for the health panel.
    public func ingestion() throws -> (events: Int64, newest: Date?) {
        try pool.with { connection in
            let count = try connection.query("SELECT count(*) AS n FROM button_presses")
            let newest = try connection.query("SELECT event_time FROM button_presses ORDER BY id DESC LIMIT 1")
            return (Int64(try count.first?.int("n") ?? 0), try newest.first?.optionalDate("event_time"))
        }
    }
}
