import Foundation
import Synchronization
import Testing

@testable import Stats

@Suite struct PanelCacheTests {
    let clock = ContinuousClock()

    func deadline(_ milliseconds: Int) -> ContinuousClock.Instant {
        clock.now.advanced(by: .milliseconds(milliseconds))
    }

    @Test func aResultIsReusedForItsLifetime() {
        let cache = PanelCache(lifetime: .seconds(30))
        let loads = Atomic(0)
        let load: @Sendable () throws -> String = { "v\(loads.add(1, ordering: .relaxed).newValue)" }
        let first = cache.get("k", store: .clickHouse, deadline: deadline(2000), load: load)
        let second = cache.get("k", store: .clickHouse, deadline: deadline(2000), load: load)
        #expect(first.html == "v1" && second.html == "v1")
        #expect(loads.load(ordering: .relaxed) == 1)
        #expect(first.problem == nil && first.loadedAt != nil)
    }

    @Test func lifetimeZeroLoadsEveryTime() {
        let cache = PanelCache(lifetime: .zero)
        let loads = Atomic(0)
        let load: @Sendable () throws -> String = { "v\(loads.add(1, ordering: .relaxed).newValue)" }
        #expect(cache.get("k", store: .clickHouse, deadline: deadline(2000), load: load).html == "v1")
        #expect(cache.get("k", store: .clickHouse, deadline: deadline(2000), load: load).html == "v2")
    }

    @Test func concurrentRequestsShareOneLoad() async {
        let cache = PanelCache(lifetime: .seconds(30))
        let loads = Atomic(0)
        let load: @Sendable () throws -> String = {
            loads.add(1, ordering: .relaxed)
            Thread.sleep(forTimeInterval: 0.3)
            return "shared"
        }
        let answers = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<20 {
                group.addTask { cache.get("k", store: .clickHouse, deadline: deadline(3000), load: load).html }
            }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0 == "shared" })
        #expect(loads.load(ordering: .relaxed) == 1)
    }

    @Test func aHangingStoreCostsTheRequestOnlyItsDeadline() {
        let cache = PanelCache(lifetime: .zero)
        let release = DispatchSemaphore(value: 0)
        let started = clock.now
        let answer = cache.get("k", store: .postgres, deadline: deadline(300)) {
            release.wait()
            return "late"
        }
        let waited = started.duration(to: clock.now)
        #expect(waited >= .milliseconds(290) && waited < .seconds(2), "\(waited)")
        #expect(answer.html == nil)
        #expect(answer.problem?.kind == .timedOut && answer.problem?.store == .postgres)
        #expect(answer.problem?.publicReason == "PostgreSQL did not answer in time")
        release.signal()
    }

    @Test func aFailureKeepsTheLastGoodResultAndSaysSo() {
        let cache = PanelCache(lifetime: .zero)
        let good = cache.get("k", store: .clickHouse, deadline: deadline(2000)) { "good" }
        #expect(good.html == "good")
        let failed = cache.get("k", store: .clickHouse, deadline: deadline(2000)) {
            throw StoreError(.unavailable, store: .clickHouse, "connection refused")
        }
        #expect(failed.html == "good")
        #expect(failed.loadedAt == good.loadedAt)
        #expect(failed.problem?.publicReason == "ClickHouse is unavailable")
        // The page never shows the store's own words.
        #expect(failed.problem?.publicReason.contains("refused") == false)
    }

    @Test func aRecentResultIsServedAtOnceWhileTheNextLoads() {
        let cache = PanelCache(lifetime: .milliseconds(100))
        #expect(cache.get("k", store: .clickHouse, deadline: deadline(2000)) { "old" }.html == "old")
        Thread.sleep(forTimeInterval: 0.15)
        let release = DispatchSemaphore(value: 0)
        let started = clock.now
        let answer = cache.get("k", store: .clickHouse, deadline: deadline(2000)) {
            release.wait()
            return "new"
        }
        #expect(started.duration(to: clock.now) < .milliseconds(100))
        #expect(answer.html == "old" && answer.problem == nil)
        release.signal()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(cache.get("k", store: .clickHouse, deadline: deadline(2000)) { "newer" }.html == "new")
    }

    @Test func aSlowPanelIsReusedForLoadFactorTimesItsLoad() {
        let cache = PanelCache(lifetime: .milliseconds(50), loadFactor: 4)
        let loads = Atomic(0)
        let load: @Sendable () throws -> String = {
            Thread.sleep(forTimeInterval: 0.2)
            return "v\(loads.add(1, ordering: .relaxed).newValue)"
        }
        #expect(cache.get("k", store: .clickHouse, deadline: deadline(2000), load: load).html == "v1")
        // Well past the 50 ms lifetime, within four loads' time (800 ms): no new load.
        Thread.sleep(forTimeInterval: 0.3)
        #expect(cache.get("k", store: .clickHouse, deadline: deadline(2000), load: load).html == "v1")
        Thread.sleep(forTimeInterval: 0.1)
        #expect(loads.load(ordering: .relaxed) == 1)
    }

    @Test func timeQueuedForTheStoreIsNotThePanelsCost() {
        let cache = PanelCache(lifetime: .milliseconds(50), loadFactor: 10)
        let loads = Atomic(0)
        let load: @Sendable () throws -> String = {
            // 200 ms waiting for the store's turn, then an instant query.
            Thread.sleep(forTimeInterval: 0.2)
            QueueWait.add(.milliseconds(200))
            return "v\(loads.add(1, ordering: .relaxed).newValue)"
        }
        #expect(cache.get("k", store: .clickHouse, deadline: deadline(2000), load: load).html == "v1")
        // Had the wait counted, the result would be fresh for 2 s; it is for 50 ms.
        Thread.sleep(forTimeInterval: 0.3)
        _ = cache.get("k", store: .clickHouse, deadline: deadline(2000), load: load)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(loads.load(ordering: .relaxed) == 2)
    }

    @Test func entriesBeyondCapacityAreEvicted() {
        let cache = PanelCache(lifetime: .seconds(30), capacity: 10)
        for index in 0..<50 {
            _ = cache.get("k\(index)", store: .postgres, deadline: deadline(2000)) { "v\(index)" }
        }
        #expect(cache.count <= 11)
    }
}
