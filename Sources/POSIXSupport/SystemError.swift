#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: what was attempted and the `errno` it failed with.
///
/// The message names the call and, where useful, a path or a listen address chosen by the
/// operator; never request data.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was attempted, e.g. `bind unix:/run/button.sock`.
    public let call: String
    /// The `errno` value.
    public let errno: Int32

    /// - Parameters:
    ///   - call: what was attempted.
    ///   - errno: the error number.
    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// The error of the call that just failed, from `errno`. Read it before any other call.
    public static func last(_ call: String) -> SystemError {
        SystemError(call, errno: Glibc.errno)
    }

    /// The system's text for `errno`.
    public var reason: String { strerror(errno).map { String(cString: $0) } ?? "errno \(errno)" }

    public var description: String { "\(call): \(reason)" }
}
