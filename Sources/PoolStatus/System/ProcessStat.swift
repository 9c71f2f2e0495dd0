#if canImport(Glibc)
import Glibc
#endif

/// The two figures the status page reads from `/proc/PID/stat` at render time.
public struct ProcessStat: Sendable, Equatable {
    /// Start time in clock ticks after boot (field 22): tells a process from a later one
    /// that got the same pid.
    public var startTicks: UInt64
    /// Resident set size in bytes (field 24, in pages).
    public var residentBytes: Int

    /// Reads `/proc/PID/stat`; nil when the process does not exist.
    public static func read(pid: Int32) -> ProcessStat? {
        guard let text = readSmallFile("/proc/\(pid)/stat") else { return nil }
        return parse(text)
    }

    /// Parses a `stat` line. The command name (field 2) may hold spaces and parentheses,
    /// so fields are counted after its last `)`.
    static func parse(_ text: String) -> ProcessStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): field N is fields[N - 3].
        guard fields.count > 21, let ticks = UInt64(fields[19]), let pages = Int(fields[21]) else { return nil }
        return ProcessStat(startTicks: ticks, residentBytes: pages * Int(sysconf(Int32(_SC_PAGESIZE))))
    }
}

/// Reads a small file (a `/proc` entry, a status file) whole; nil when it cannot be read.
func readSmallFile(_ path: String, limit: Int = 1 << 20) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while bytes.count < limit {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { break }
        bytes.append(contentsOf: buffer[..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
