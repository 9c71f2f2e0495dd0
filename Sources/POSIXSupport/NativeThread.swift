#if canImport(Glibc)
public import Glibc
#endif

/// A joinable POSIX thread running a Swift closure.
///
/// Plain pthreads rather than Swift concurrency: libfcgi blocks a thread per connection,
/// and the entry point is a file-level function so it is never main-actor isolated
/// (see shared/notes.md).
public final class NativeThread {
    private let handle: pthread_t

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts a thread.
    /// - Parameters:
    ///   - stackSize: the thread's stack size in bytes.
    ///   - body: what the thread runs.
    /// - Throws: `SystemError` when the thread cannot be created (resources exhausted).
    public init(stackSize: Int = 512 * 1024, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        var attr = pthread_attr_t()
        try checkedCall("pthread_attr_init") { pthread_attr_init(&attr) }
        defer { pthread_attr_destroy(&attr) }
        try checkedCall("pthread_attr_setstacksize \(stackSize)") { pthread_attr_setstacksize(&attr, stackSize) }
        let context = Unmanaged.passRetained(Box(body))
        var thread = pthread_t()
        do throws(SystemError) {
            try checkedCall("pthread_create") { pthread_create(&thread, &attr, nativeThreadEntry, context.toOpaque()) }
        } catch {
            context.release()
            throw error
        }
        handle = thread
    }

    /// The thread's pthread handle, e.g. to signal it.
    public var pthread: pthread_t { handle }

    /// Waits for the thread to finish. Call it exactly once.
    public func join() {
        // Fails only for an invalid or already joined handle, which this type never passes.
        _ = pthread_join(handle, nil)
    }

    fileprivate static func run(_ context: UnsafeMutableRawPointer) {
        Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
    }
}

private func nativeThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    if let context { NativeThread.run(context) }
    return nil
}
