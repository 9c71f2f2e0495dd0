import Synchronization

/// What a fake Kafka publisher answers and keeps: acknowledged messages only, like Kafka.
///
/// The harnesses cannot import the test targets' fakes (a package imports products only),
/// so this is a copy of ButtonFCGITests' FakePublisher without the ButtonFCGI protocol,
/// which the press harness adds, keeping FuzzSupport free of the worker's modules.
public final class RecordedMessages: Sendable {
    private let sent = Mutex<[(key: [UInt8], value: [UInt8])]>([])
    private let accepting = Mutex(true)

    public init() {}

    /// Whether the fake Kafka takes messages.
    public var isAccepting: Bool {
        get { accepting.withLock { $0 } }
        set { accepting.withLock { $0 = newValue } }
    }

    /// The messages taken so far.
    public var messages: [(key: [UInt8], value: [UInt8])] { sent.withLock { $0 } }

    /// Takes a message when accepting.
    /// - Returns: whether it was taken.
    public func take(key: [UInt8], value: [UInt8]) -> Bool {
        guard isAccepting else { return false }
        sent.withLock { $0.append((key, value)) }
        return true
    }

    /// Forgets every message (a new input starts empty).
    public func reset(accepting: Bool) {
        sent.withLock { $0.removeAll() }
        isAccepting = accepting
    }
}
