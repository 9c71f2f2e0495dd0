internal import CRdKafka
internal import Foundation
internal import Synchronization

/// One background thread that calls `rd_kafka_poll` so that delivery reports (and log and
/// error callbacks) are served without the caller having to poll.
final class KafkaPoller: Sendable {
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)
    private let client: KafkaClient

    init(client: KafkaClient, name: String) {
        self.client = client
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) {
                _ = rd_kafka_poll(client.handle, 100)
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread and waits until it has returned from its last poll. Idempotent.
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        rd_kafka_yield(client.handle)
        finished.wait()
    }
}
