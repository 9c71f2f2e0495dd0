import Foundation
import SchemaRegistry
import Testing

@Suite struct RegistryRetryPolicyTests {
    let policy = RegistryRetryPolicy(initialDelay: .milliseconds(200), maximumDelay: .seconds(2), multiplier: 2)

    static func answer(_ status: Int, retryAfter: Duration? = nil) -> RegistryError {
        RegistryError(status: status, errorCode: status, message: "HTTP \(status)", retryAfter: retryAfter)
    }

    @Test(arguments: [500, 502, 503, 504, 408, 429])
    func answersThatCanPassAreTransient(status: Int) {
        #expect(RegistryRetryPolicy.isTransient(Self.answer(status)))
    }

    @Test(arguments: [400, 401, 403, 404, 405, 409, 413, 422, 301])
    func answersThatCannotChangeAreFinal(status: Int) {
        #expect(!RegistryRetryPolicy.isTransient(Self.answer(status)))
        let decision = policy.decision(after: Self.answer(status), failures: 1, remaining: .seconds(30), random: 0.5)
        #expect(decision == .fail)
    }

    @Test func noAnswerIsTransientButAnUnreadableAnswerIsNot() {
        #expect(RegistryRetryPolicy.isTransient(RegistryClientError(code: .unreachable, message: "refused")))
        #expect(!RegistryRetryPolicy.isTransient(RegistryClientError(code: .unexpectedAnswer, message: "html")))
        #expect(!RegistryRetryPolicy.isTransient(RegistryClientError(code: .invalidURL, message: "ftp")))
        #expect(!RegistryRetryPolicy.isTransient(CancellationError()))
    }

    @Test func backoffGrowsExponentiallyUpToTheCapWithHalfOfItJittered() {
        #expect(policy.backoff(failures: 1, random: 0) == .milliseconds(100))
        #expect(policy.backoff(failures: 1, random: 1) == .milliseconds(200))
        #expect(policy.backoff(failures: 2, random: 1) == .milliseconds(400))
        #expect(policy.backoff(failures: 3, random: 0.5) == .milliseconds(600))
        #expect(policy.backoff(failures: 10, random: 1) == .seconds(2))
        #expect(policy.backoff(failures: 10_000, random: 0) == .seconds(1), "no overflow")
        #expect(policy.backoff(failures: 1, random: 7) == .milliseconds(200), "random is clamped")
    }

    @Test func waitsEndByTheDeadlineAndNothingIsTriedAfterIt() {
        let busy = Self.answer(503)
        #expect(
            policy.decision(after: busy, failures: 1, remaining: .seconds(10), random: 1)
                == .retry(after: .milliseconds(200))
        )
        #expect(
            policy.decision(after: busy, failures: 5, remaining: .milliseconds(50), random: 1)
                == .retry(after: .milliseconds(50))
        )
        #expect(policy.decision(after: busy, failures: 1, remaining: .zero, random: 1) == .fail)
        #expect(policy.decision(after: busy, failures: 1, remaining: .seconds(-1), random: 1) == .fail)
    }

    @Test func retryAfterIsALowerBoundUnlessItOutlastsTheDeadline() {
        let asked = Self.answer(503, retryAfter: .seconds(3))
        #expect(
            policy.decision(after: asked, failures: 1, remaining: .seconds(10), random: 0) == .retry(after: .seconds(3))
        )
        #expect(policy.decision(after: asked, failures: 1, remaining: .seconds(2), random: 0) == .fail)
        let soon = Self.answer(429, retryAfter: .zero)
        #expect(
            policy.decision(after: soon, failures: 2, remaining: .seconds(10), random: 1)
                == .retry(after: .milliseconds(400))
        )
    }

    @Test func retryAfterHeaderParsesSecondsAndHTTPDates() throws {
        let now = try #require(ISO8601DateFormatter().date(from: "2015-10-21T07:27:50Z"))
        #expect(RegistryRetryPolicy.retryAfter("5", now: now) == .seconds(5))
        #expect(RegistryRetryPolicy.retryAfter(" 12 ", now: now) == .seconds(12))
        #expect(RegistryRetryPolicy.retryAfter("99999999999999999999", now: now) == .seconds(86_400))
        #expect(RegistryRetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .seconds(10))
        #expect(RegistryRetryPolicy.retryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now: now) == .zero)
        #expect(RegistryRetryPolicy.retryAfter("-1", now: now) == nil)
        #expect(RegistryRetryPolicy.retryAfter("soon", now: now) == nil)
        #expect(RegistryRetryPolicy.retryAfter("", now: now) == nil)
    }

    @Test func retryingStopsAtTheFirstSuccessOrFinalError() async throws {
        let quick = RegistryRetryPolicy(initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2))
        var attempts = 0
        var waits: [Duration] = []
        let attempt = {
            attempts += 1
            if attempts < 3 { throw Self.answer(502) }
            return "registered"
        }
        // A generous deadline: sleeps on the cooperative pool can be late when other suites block it.
        let value = try await quick.retrying(for: .seconds(600), onRetry: { _, wait in waits.append(wait) }, attempt)
        #expect(value == "registered")
        #expect(attempts == 3)
        #expect(waits.count == 2)

        attempts = 0
        await #expect(throws: RegistryError.self) {
            try await quick.retrying(for: .seconds(600)) {
                attempts += 1
                throw Self.answer(409)
            }
        }
        #expect(attempts == 1)
    }

    @Test func retryingGivesUpWithTheLastErrorWhenTimeIsUp() async {
        let quick = RegistryRetryPolicy(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(10))
        var attempts = 0
        let error = await #expect(throws: RegistryClientError.self) {
            try await quick.retrying(for: .milliseconds(300)) {
                attempts += 1
                throw RegistryClientError(code: .unreachable, message: "refused \(attempts)")
            }
        }
        #expect(attempts >= 2, "it retried before giving up")
        #expect(error?.message == "refused \(attempts)")
    }
}
