public import Foundation

/// Rendered panels, each reused for a short time and loaded by one thread at a time.
///
/// A room of viewers asks for the same panels every few seconds: the first request after a
/// panel's result expires starts one load on a background thread, and every request (that
/// one included) waits for it only until its own deadline. A request that is out of time gets
/// the last good result, marked with its age, or nothing; the load carries on and serves the
/// next request. So a store that hangs costs at most one stuck load per panel, never a stuck
/// request, and a room costs one query per panel per `lifetime`, not one per viewer. A result
/// up to five lifetimes old is served without waiting while the next one loads, as long as
/// the last load succeeded.
///
/// A panel whose query is slow (millions of events) is reused for `loadFactor` (30) times as
/// long as it took to load, if that is longer than `lifetime`, and at most
/// `longestLifetime` (20 s): each panel then keeps its store busy about a thirtieth of the
/// time, and the dozen panels together about a third of one core. Small data (a workshop's)
/// loads in milliseconds and refreshes every `lifetime`; 10 M events every 5–20 s.
public final class PanelCache: @unchecked Sendable {
    /// What a request gets.
    public struct Answer: Sendable {
        /// The newest good result, possibly older than the lifetime.
        public var html: String?
        /// When `html` was loaded.
        public var loadedAt: Date?
        /// Why the newest load failed or is late; nil when `html` is fresh.
        public var problem: StoreError?
    }

    private struct Entry {
        var html: String?
        var loadedAt: Date?
        var loadedInstant: ContinuousClock.Instant?
        var problem: StoreError?
        var loading = false
        var failedInstant: ContinuousClock.Instant?
        /// How long the last successful load took.
        var loadDuration: Duration = .zero
        var lastUsed: ContinuousClock.Instant
    }

    let lifetime: Duration
    let loadFactor: Int
    let capacity: Int
    private let condition = NSCondition()
    private var entries: [String: Entry] = [:]
    private let clock = ContinuousClock()

    /// - Parameters:
    ///   - lifetime: how long a result is reused; zero loads for every request (a load in
    ///     flight is still shared by the requests that arrive while it runs).
    ///   - capacity: entries kept at most (personal panels add one per viewer).
    ///   - loadFactor: a result is fresh for at least this many times its load's duration.
    public init(lifetime: Duration, loadFactor: Int = 30, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.loadFactor = loadFactor
        self.capacity = capacity
    }

    /// Starts a load of `key` unless a fresh result or a load is there; does not wait.
    public func prefetch(_ key: String, store: Store, load: @escaping @Sendable () throws -> String) {
        condition.lock()
        defer { condition.unlock() }
        startIfNeeded(key, store: store, load: load, now: clock.now)
    }

    /// The panel's result, loading it if it is missing or expired, waiting at most until `deadline`.
    public func get(
        _ key: String,
        store: Store,
        deadline: ContinuousClock.Instant,
        load: @escaping @Sendable () throws -> String
    ) -> Answer {
        condition.lock()
        defer { condition.unlock() }
        let asked = clock.now
        startIfNeeded(key, store: store, load: load, now: asked)
        // A result a little past its lifetime is served at once while the next one loads,
        // so a viewer waits for a store only when there is nothing recent to show.
        if let entry = entries[key], let html = entry.html, entry.problem == nil,
            let loaded = entry.loadedInstant, loaded.duration(to: asked) <= lifetime(of: entry) * 5
        {
            return Answer(html: html, loadedAt: entry.loadedAt, problem: nil)
        }
        while entries[key]?.loading == true {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: remaining.seconds))
        }
        guard let entry = entries[key] else { return Answer(html: nil, loadedAt: nil, problem: nil) }
        if entry.loading {
            return Answer(
                html: entry.html,
                loadedAt: entry.loadedAt,
                problem: StoreError(.timedOut, store: store, "no answer before the request's deadline")
            )
        }
        return Answer(html: entry.html, loadedAt: entry.loadedAt, problem: entry.problem)
    }

    /// Must hold the lock.
    private func startIfNeeded(
        _ key: String,
        store: Store,
        load: @escaping @Sendable () throws -> String,
        now: ContinuousClock.Instant
    ) {
        var entry = entries[key] ?? Entry(lastUsed: now)
        entry.lastUsed = now
        defer { entries[key] = entry }
        if entry.loading { return }
        if let loaded = entry.loadedInstant, entry.problem == nil, loaded.duration(to: now) < lifetime(of: entry) {
            return
        }
        // A store that just failed is asked again after a second, not by every request.
        if let failed = entry.failedInstant, entry.problem != nil, failed.duration(to: now) < .seconds(1) { return }
        entry.loading = true
        if entries.count >= capacity { evict() }
        // A thread of its own, not a Dispatch queue: loads block on the network, and Linux's
        // Dispatch runs blocked work on at most one thread per core, which starved the very
        // URLSession callbacks the loads were waiting for.
        Thread.detachNewThread { [self] in
            let started = clock.now
            let outcome: Result<String, StoreError>
            do {
                outcome = .success(try load())
            } catch let error as StoreError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(StoreError(.failed, store: store, "\(error)"))
            }
            // The panel's own cost: its loading time without the queue for the store's turn.
            finish(key, outcome, took: started.duration(to: clock.now) - QueueWait.take())
        }
    }

    /// The longest a slow load makes an entry stay fresh: a page never lags by more (unless
    /// `lifetime` itself is longer).
    /// (A load slowed by a busy machine, not by its data, must not freeze its panel for long.)
    static let longestLifetime: Duration = .seconds(20)

    /// How long an entry's result is fresh: the lifetime, or `loadFactor` times its load's
    /// duration, at most `longestLifetime`.
    private func lifetime(of entry: Entry) -> Duration {
        lifetime == .zero ? .zero : max(lifetime, min(entry.loadDuration * loadFactor, Self.longestLifetime))
    }

    private func finish(_ key: String, _ outcome: Result<String, StoreError>, took: Duration) {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        guard var entry = entries[key] else { return }
        entry.loading = false
        switch outcome {
        case .success(let html):
            entry.html = html
            entry.loadedAt = Date()
            entry.loadedInstant = clock.now
            entry.problem = nil
            entry.loadDuration = took
        case .failure(let error):
            entry.problem = error
            entry.failedInstant = clock.now
        }
        entries[key] = entry
    }

    /// Entries held now.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return entries.count
    }

    /// Drops the least recently used half of the entries that are not loading. Must hold the lock.
    private func evict() {
        let idle = entries.filter { !$0.value.loading }.sorted { $0.value.lastUsed < $1.value.lastUsed }
        for (key, _) in idle.prefix(max(1, idle.count / 2)) { entries[key] = nil }
    }
}
