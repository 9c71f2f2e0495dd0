import TestSupport
import Testing

/// Runs `body` with a fresh chromedriver, then stops it and checks no browser process
/// survived, also when `body` failed.
func withChromeDriver(_ body: (ChromeDriver) async throws -> Void) async throws {
    let driver = try await ChromeDriver.start()
    let outcome: Result<Void, any Error>
    do {
        try await body(driver)
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    let survivors = driver.stop()
    #expect(survivors.isEmpty, "browser processes outlived the test: \(survivors)")
    try outcome.get()
}
