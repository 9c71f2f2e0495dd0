import Synchronization

/// A flag a signal handler sets and the sink loop reads.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    /// Asks the sink to stop.
    public func set() { flag.store(true, ordering: .relaxed) }
    /// Whether a stop was asked for.
    public var isSet: Bool { flag.load(ordering: .relaxed) }
}
