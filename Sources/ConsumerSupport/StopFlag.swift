public import Dispatch
import Foundation
import Synchronization

/// A flag a signal handler sets and a consumer loop reads: how the long-running consumers
/// (`button-sink`, `button-enrich`) learn that they should finish their work in hand and stop.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    /// Asks the consumer to stop.
    public func set() { flag.store(true, ordering: .relaxed) }
    /// Whether a stop was asked for.
    public var isSet: Bool { flag.load(ordering: .relaxed) }

    /// Sets the flag on SIGTERM and SIGINT instead of dying, so the loop can write or flush
    /// what it holds and exit 0. Keep the returned sources alive as long as the flag is used.
    /// - Returns: The signal sources (dispatch keeps no reference of its own).
    public func setOnTerminationSignals() -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in set() }
            source.resume()
            return source
        }
    }
}
