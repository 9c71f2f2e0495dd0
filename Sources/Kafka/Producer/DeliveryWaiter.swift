internal import CRdKafka

#if canImport(Glibc)
import Glibc
#endif

/// What a delivery report completes: a one-shot ``DeliveryTicket`` (any thread, async too) or
/// a thread's reusable ``DeliveryWaiter``. The producer passes one retained reference as the
/// message's opaque; the report callback takes it back, so each is released exactly once.
class DeliveryReceiver: @unchecked Sendable {
    /// Records the result of the one message this receiver was handed with.
    func complete(_ result: KafkaDeliveryResult) {}
}

/// A thread's reusable rendezvous with the delivery-report thread, for
/// ``KafkaProducer/sendAndWait(to:key:value:timeout:)``.
///
/// Why not a ticket per message: a ticket is a fresh object with a fresh mutex and condition
/// for every press, and its wait used a wall-clock deadline. A worker thread sends one
/// message at a time, so one waiter per thread, made once, does: the press path then
/// allocates nothing for its wait, and the deadline is monotonic (a clock step never cuts
/// or stretches a wait).
///
/// A waiter carries at most one message at a time. When a wait times out, the message is
/// still in librdkafka's hands and its report will come later; the thread then drops this
/// waiter (librdkafka's reference keeps it alive until the late report) and takes a new
/// one, so a late report can never be mistaken for the next message's.
///
/// `@unchecked Sendable`: `outcome` is only touched with `mutex` held; the mutex and the
/// condition are allocated once and freed in `deinit`, when no thread can reference them.
final class DeliveryWaiter: DeliveryReceiver, @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var outcome: KafkaDeliveryResult?

    override init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        super.init()
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    override func complete(_ result: KafkaDeliveryResult) {
        pthread_mutex_lock(mutex)
        outcome = result
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits for the outcome until `deadline` (CLOCK_MONOTONIC) and takes it, leaving the
    /// waiter empty for the next message; nil when the deadline passed first.
    func take(until deadline: timespec) -> KafkaDeliveryResult? {
        var deadline = deadline
        pthread_mutex_lock(mutex)
        while outcome == nil {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        let result = outcome
        outcome = nil
        pthread_mutex_unlock(mutex)
        return result
    }

    /// The calling thread's waiter, made on first use and released when the thread exits.
    static var current: DeliveryWaiter {
        if let existing = pthread_getspecific(threadKey) {
            return Unmanaged<DeliveryWaiter>.fromOpaque(existing).takeUnretainedValue()
        }
        return replaceCurrent()
    }

    /// Gives the calling thread a new waiter: after a timed-out wait the old one still
    /// belongs to a message in flight.
    @discardableResult
    static func replaceCurrent() -> DeliveryWaiter {
        let waiter = DeliveryWaiter()
        if let old = pthread_getspecific(threadKey) {
            Unmanaged<DeliveryWaiter>.fromOpaque(old).release()
        }
        pthread_setspecific(threadKey, Unmanaged.passRetained(waiter).toOpaque())
        return waiter
    }

    /// The deadline `timeout` from now on CLOCK_MONOTONIC.
    static func deadline(after timeout: Duration) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let (seconds, attoseconds) = max(timeout, .zero).components
        var nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var wholeSeconds = Int(now.tv_sec) + Int(clamping: seconds)
        if nanoseconds >= 1_000_000_000 {
            nanoseconds -= 1_000_000_000
            wholeSeconds += 1
        }
        return timespec(tv_sec: wholeSeconds, tv_nsec: nanoseconds)
    }
}

/// The key under which each thread keeps its waiter; its destructor releases the waiter
/// when the thread exits.
private let threadKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { pointer in
        if let pointer { Unmanaged<DeliveryWaiter>.fromOpaque(pointer).release() }
    }
    // Only fails when the process is out of keys (PTHREAD_KEYS_MAX, 1024): a programming
    // error at start-up, not an input path.
    precondition(status == 0, "pthread_key_create failed: \(status)")
    return key
}()
