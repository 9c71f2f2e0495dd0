internal import Foundation

/// The outcome of one message's delivery.
public enum KafkaDeliveryResult: Sendable, CustomStringConvertible {
    /// The broker acknowledged the message (with `acks=all`). `offset` may be `-1001`
    /// (`RD_KAFKA_OFFSET_INVALID`) when the idempotent producer retried the message.
    case delivered(partition: Int32, offset: Int64)
    /// The message was not delivered; the error says why (e.g. ``KafkaError/Code/messageTimedOut``).
    case failed(KafkaError)
    /// The caller stopped waiting before the delivery report arrived. The message may still be
    /// delivered (or fail) later.
    case timedOut

    /// Whether the broker acknowledged the message.
    public var isDelivered: Bool {
        if case .delivered = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .delivered(let partition, let offset): "delivered(partition: \(partition), offset: \(offset))"
        case .failed(let error): "failed(\(error))"
        case .timedOut: "timedOut"
        }
    }
}

/// A ticket for one message handed to ``KafkaProducer/send(topic:key:value:)``.
///
/// Copies share the same ticket; any number of threads or tasks may wait on it.
public struct KafkaDelivery: Sendable {
    let ticket: DeliveryTicket

    /// Blocks the calling thread until the delivery report arrives or `timeout` passes.
    ///
    /// Meant for plain worker threads; from async code use ``result``.
    /// - Parameter timeout: How long to wait at most.
    /// - Returns: The delivery result, or ``KafkaDeliveryResult/timedOut``.
    public func wait(timeout: Duration) -> KafkaDeliveryResult {
        ticket.wait(timeout: timeout)
    }

    /// The delivery result, once it arrives. Every message gets one within
    /// `message.timeout.ms`, or when the producer is closed.
    public var result: KafkaDeliveryResult {
        get async { await ticket.result() }
    }

    /// The result if it has arrived, without waiting.
    public var currentResult: KafkaDeliveryResult? {
        ticket.currentResult
    }
}

/// The shared state between a waiting caller and librdkafka's delivery-report callback, for
/// one message whose result any number of threads or tasks may wait for.
///
/// `@unchecked Sendable`: all mutable state is only touched while `condition` is locked.
final class DeliveryTicket: DeliveryReceiver, @unchecked Sendable {
    private let condition = NSCondition()
    private var outcome: KafkaDeliveryResult?
    private var continuations: [CheckedContinuation<KafkaDeliveryResult, Never>] = []

    /// Records the result and wakes every waiter. Later calls are ignored.
    override func complete(_ result: KafkaDeliveryResult) {
        condition.lock()
        guard outcome == nil else {
            condition.unlock()
            return
        }
        outcome = result
        let waiting = continuations
        continuations = []
        condition.broadcast()
        condition.unlock()
        for continuation in waiting {
            continuation.resume(returning: result)
        }
    }

    var currentResult: KafkaDeliveryResult? {
        condition.lock()
        defer { condition.unlock() }
        return outcome
    }

    func wait(timeout: Duration) -> KafkaDeliveryResult {
        // NSCondition takes a wall-clock date; the loop measures the time left on the
        // monotonic clock, so a clock step cannot stretch the wait.
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil {
            let left = clock.now.duration(to: deadline)
            guard left > .zero else { break }
            let (seconds, attoseconds) = left.components
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18))
        }
        return outcome ?? .timedOut
    }

    func result() async -> KafkaDeliveryResult {
        await withCheckedContinuation { continuation in
            condition.lock()
            if let outcome {
                condition.unlock()
                continuation.resume(returning: outcome)
            } else {
                continuations.append(continuation)
                condition.unlock()
            }
        }
    }
}
