import Testing

/// Waits until neither PostgreSQL's nor ClickHouse's `button_presses` has changed for three
/// seconds (up to 90 s), so that the deltas a test measures afterwards are its own: other
/// suites' presses may still be on their way through the sink and the enricher.
/// Records an issue when the stores never go quiet.
public func waitForQuietStores(database: SinkDatabase, clickHouse: ClickHouseClient) async throws {
    var last: (Int, Int) = (-1, -1)
    var stableSince = ContinuousClock.now
    let deadline = ContinuousClock.now.advanced(by: .seconds(90))
    while ContinuousClock.now < deadline {
        let now = (
            try database.count("SELECT count(*) FROM button_presses"),
            try await clickHouse.number("SELECT count() FROM button_presses")
        )
        if now != last {
            last = now
            stableSince = .now
        } else if stableSince.duration(to: .now) > .seconds(3) {
            return
        }
        try await Task.sleep(for: .milliseconds(500))
    }
    Issue.record("the stores never went quiet: \(last)")
}
