#if canImport(Glibc)
import Glibc
#endif

/// A joinable POSIX thread running a Swift closure.
///
/// Plain pthreads rather than Swift concurrency: libfcgi blocks a thread per connection,
/// and the entry point is a file-level function so it is never main-actor isolated
/// (see shared/notes.md).
final class NativeThread {
    private var handle: pthread_t

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts a thread.
    /// - Parameters:
    ///   - stackSize: the thread's stack size in bytes.
    ///   - body: what the thread runs.
    init(stackSize: Int = 512 * 1024, _ body: @escaping @Sendable () -> Void) {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setstacksize(&attr, stackSize)
        defer { pthread_attr_destroy(&attr) }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attr, nativeThreadEntry, context)
        precondition(rc == 0, "pthread_create failed: \(rc)")  // only resource exhaustion at startup
        handle = thread
    }

    /// Waits for the thread to finish.
    func join() { pthread_join(handle, nil) }

    fileprivate static func run(_ context: UnsafeMutableRawPointer) {
        Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
    }
}

private func nativeThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    if let context { NativeThread.run(context) }
    return nil
}
