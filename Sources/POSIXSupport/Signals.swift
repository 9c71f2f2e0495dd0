#if canImport(Glibc)
public import Glibc
#endif

/// A set of signals, and the few things this package does with one: block it, wait for a
/// member, hand it to `posix_spawn`.
///
/// Servers here take signals synchronously: they block the termination signals in every
/// thread and collect them on one thread with `wait`, so a signal never interrupts a
/// request and never lands in a library's handler (libfcgi's SIGTERM handler only sets a
/// flag a blocked `accept` never sees).
public struct SignalSet: @unchecked Sendable {
    // @unchecked: sigset_t is a plain bit array copied by value; nothing is shared.
    /// The C set.
    public private(set) var raw: sigset_t

    /// The signals that ask a process to stop: SIGTERM (service managers) and SIGINT (Ctrl-C).
    public static let termination: [Int32] = [SIGTERM, SIGINT]

    /// - Parameter signals: the members.
    public init(_ signals: [Int32]) {
        raw = sigset_t()
        sigemptyset(&raw)
        // sigaddset fails only for an invalid signal number; ours are constants.
        for signal in signals { _ = sigaddset(&raw, signal) }
    }

    /// Blocks the set in the calling thread and in every thread it creates afterwards.
    /// - Throws: `SystemError`.
    public func block() throws(SystemError) {
        var set = raw
        try checkedCall("pthread_sigmask") { pthread_sigmask(SIG_BLOCK, &set, nil) }
    }

    /// Unblocks the set in the calling thread.
    /// - Throws: `SystemError`.
    public func unblock() throws(SystemError) {
        var set = raw
        try checkedCall("pthread_sigmask") { pthread_sigmask(SIG_UNBLOCK, &set, nil) }
    }

    /// Waits until a member is pending (it must be blocked) and takes it.
    /// - Returns: the signal.
    /// - Throws: `SystemError`.
    public func wait() throws(SystemError) -> Int32 {
        var set = raw
        var signal: Int32 = 0
        try checkedCall("sigwait") { sigwait(&set, &signal) }
        return signal
    }

    /// Waits up to `timeout` for a member.
    /// - Returns: the signal, or nil when none came in time (or a handled signal interrupted the wait).
    /// - Throws: `SystemError`.
    public func wait(timeout: Duration) throws(SystemError) -> Int32? {
        var set = raw
        let (seconds, attoseconds) = timeout.components
        var limit = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        let signal = sigtimedwait(&set, nil, &limit)
        if signal >= 0 { return signal }
        let code = errno
        if code == EAGAIN || code == EINTR { return nil }
        throw SystemError("sigtimedwait", errno: code)
    }
}

/// Signal dispositions.
public enum SignalHandling {
    /// Installs a handler that does nothing, without `SA_RESTART`: its only effect is that a
    /// blocking call in the thread that receives `signal` returns `EINTR`. That is how a
    /// thread blocked in `accept` or `read` is woken without touching its descriptor.
    /// - Throws: `SystemError`.
    public static func installInterruptHandler(_ signal: Int32) throws(SystemError) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        try retryingSystemCall("sigaction \(signal)") { sigaction(signal, &action, nil) }
    }

    /// Sends `signal` to one thread of this process.
    /// - Throws: `SystemError` (`ESRCH` when the thread has exited).
    public static func send(_ signal: Int32, to thread: pthread_t) throws(SystemError) {
        try checkedCall("pthread_kill") { pthread_kill(thread, signal) }
    }

    /// Sends `signal` to this process.
    /// - Throws: `SystemError`.
    public static func raiseInProcess(_ signal: Int32) throws(SystemError) {
        try retryingSystemCall("kill") { kill(getpid(), signal) }
    }
}

/// Sleeps for `duration`, resuming after signal handlers.
public func sleepUninterrupted(for duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var remaining = timespec(tv_sec: Int(max(0, seconds)), tv_nsec: Int(attoseconds / 1_000_000_000))
    var left = timespec()
    while nanosleep(&remaining, &left) != 0 && errno == EINTR { remaining = left }
}
