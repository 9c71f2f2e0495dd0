#if canImport(Glibc)
import Glibc
#endif

/// Runs a C call that signals failure with `-1` and `errno`, the one place that turns such
/// a result into a Swift error.
///
/// Modelled on swift-nio's `syscall(blocking:)`: an interrupted call (`EINTR`) is retried,
/// because a signal handler ran and the work is still to do, unless `interruptible` says
/// the caller wants to see the interruption (a thread woken on purpose by a signal).
/// - Parameters:
///   - call: what is attempted, for the error message.
///   - interruptible: return `nil` on `EINTR` instead of retrying.
///   - body: the call.
/// - Returns: the call's result, or `nil` when it was interrupted and `interruptible` is true.
/// - Throws: `SystemError` with the call's `errno` when it returned a negative value.
@discardableResult
public func systemCall<Result: BinaryInteger>(
    _ call: @autoclosure () -> String,
    interruptible: Bool = false,
    _ body: () -> Result
) throws(SystemError) -> Result? {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR {
            if interruptible { return nil }
            continue
        }
        throw SystemError(call(), errno: code)
    }
}

/// Like `systemCall`, for calls that cannot be interrupted or where an interruption is
/// simply retried: never returns `nil`.
/// - Throws: `SystemError` with the call's `errno` when it returned a negative value.
@discardableResult
public func retryingSystemCall<Result: BinaryInteger>(
    _ call: @autoclosure () -> String,
    _ body: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(call(), errno: code)
    }
}

/// Checks a call that returns its error number instead of setting `errno`
/// (`pthread_*`, `posix_spawn`, `sigwait`): zero is success.
/// - Throws: `SystemError` carrying the returned number.
public func checkedCall(_ call: @autoclosure () -> String, _ body: () -> Int32) throws(SystemError) {
    let code = body()
    if code != 0 { throw SystemError(call(), errno: code) }
}
