#if canImport(Glibc)
import Glibc
#endif

/// The name `ps`, `top` and `pgrep` show for this process (Linux's `comm`, at most 15 bytes).
///
/// nginx and PHP-FPM retitle a worker that is shutting down, so an operator (and a script)
/// can tell it from the serving ones; this is the same habit with what Linux offers without
/// rewriting `argv`.
public enum ProcessName {
    /// Sets the name; longer names are cut to 15 bytes. Best effort: returns whether it took.
    @discardableResult
    public static func set(_ name: String) -> Bool {
        // /proc/self/comm is the whole process's (the main thread's) name, writable from any
        // of its threads; prctl(PR_SET_NAME) would rename only the calling thread.
        let fd = open("/proc/self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        return bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
    }
}
