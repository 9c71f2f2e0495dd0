#if canImport(Glibc)
import Glibc
#endif

/// The listening socket's accept queue, read from the kernel at render time: connections
/// nginx made that no worker thread has accepted yet, and the queue's limit (the backlog).
///
/// A unix socket's queue is only published through `sock_diag` netlink (`ss -xl` reads it
/// the same way; `/proc/net/unix` has no queue column); a TCP socket's through `TCP_INFO`
/// (`tcpi_unacked` is the queue, `tcpi_sacked` the backlog on a listener).
public struct ListenQueue: Sendable, Equatable {
    /// Connections waiting to be accepted.
    public var length: Int
    /// The most that may wait (the backlog given to `listen`, capped by `somaxconn`).
    public var limit: Int

    /// - Parameters:
    ///   - length: connections waiting.
    ///   - limit: the backlog.
    public init(length: Int, limit: Int) {
        self.length = length
        self.limit = limit
    }

    /// Reads the queue of a listening socket; nil when the kernel does not say.
    public static func read(listening fd: Int32) -> ListenQueue? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        switch Int32(address.ss_family) {
        case AF_UNIX:
            var info = stat()
            guard fstat(fd, &info) == 0 else { return nil }
            return unix(inode: UInt32(truncatingIfNeeded: info.st_ino))
        case AF_INET, AF_INET6:
            return tcp(fd)
        default:
            return nil
        }
    }

    /// `TCP_INFO` on a listener: offset 24 is `tcpi_unacked`, 28 `tcpi_sacked`.
    static func tcp(_ fd: Int32) -> ListenQueue? {
        var buffer = [UInt8](repeating: 0, count: 256)
        var size = socklen_t(buffer.count)
        let got = buffer.withUnsafeMutableBytes {
            getsockopt(fd, Int32(IPPROTO_TCP), tcpInfo, $0.baseAddress, &size)
        }
        guard got == 0, size >= 32 else { return nil }
        return ListenQueue(length: Int(word32(buffer, 24)), limit: Int(word32(buffer, 28)))
    }

    static let tcpInfo: Int32 = 11  // TCP_INFO

    // Netlink constants (linux/netlink.h, linux/sock_diag.h, linux/unix_diag.h): Swift's
    // Glibc module does not import those headers.
    static let netlinkSockDiag: Int32 = 4
    static let sockDiagByFamily: UInt16 = 20
    static let requestDump: UInt16 = 0x1 | 0x300  // NLM_F_REQUEST | NLM_F_DUMP
    static let messageDone: UInt16 = 3
    static let messageError: UInt16 = 2
    static let showQueueLengths: UInt32 = 0x10  // UDIAG_SHOW_RQLEN
    static let attributeQueueLengths: UInt16 = 4  // UNIX_DIAG_RQLEN
    static let listenState: UInt32 = 10  // TCP_LISTEN

    /// Asks `sock_diag` for every listening unix socket's queue lengths and picks ours by
    /// inode. For a listener, `udiag_rqueue` is the accept queue and `udiag_wqueue` the backlog.
    static func unix(inode: UInt32) -> ListenQueue? {
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkSockDiag)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var request: [UInt8] = []
        append32(&request, 16 + 24)  // nlmsg_len
        append16(&request, sockDiagByFamily)
        append16(&request, requestDump)
        append32(&request, 1)  // seq
        append32(&request, 0)  // pid: the kernel
        request += [UInt8(AF_UNIX), 0, 0, 0]  // family, protocol, pad
        append32(&request, 1 << listenState)
        append32(&request, 0)  // any inode
        append32(&request, showQueueLengths)
        append32(&request, 0xffff_ffff)  // no cookie
        append32(&request, 0xffff_ffff)
        // Netlink sends to the kernel (port 0) when no address is given.
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        var found: ListenQueue?
        // Every read of a bounded number: a dump ends with NLMSG_DONE.
        for _ in 0..<256 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return found }
            var offset = 0
            while offset + 16 <= count {
                let length = Int(word32(buffer, offset))
                let type = UInt16(word32(buffer, offset + 4) & 0xffff)
                guard length >= 16, offset + length <= count else { return found }
                if type == messageDone || type == messageError { return found }
                if found == nil, length >= 32, word32(buffer, offset + 16 + 4) == inode {
                    found = queueLengths(buffer, from: offset + 32, to: offset + length)
                }
                offset += (length + 3) & ~3
            }
        }
        return found
    }

    /// Reads `UNIX_DIAG_RQLEN` from the attributes after a `unix_diag_msg`.
    static func queueLengths(_ buffer: [UInt8], from start: Int, to end: Int) -> ListenQueue? {
        var offset = start
        while offset + 4 <= end {
            let word = word32(buffer, offset)
            let length = Int(word & 0xffff)
            let type = UInt16(word >> 16)
            guard length >= 4 else { return nil }
            if type == attributeQueueLengths && length >= 12 && offset + 12 <= end {
                return ListenQueue(length: Int(word32(buffer, offset + 4)), limit: Int(word32(buffer, offset + 8)))
            }
            offset += (length + 3) & ~3
        }
        return nil
    }

    static func word32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }
    static func append32(_ bytes: inout [UInt8], _ value: UInt32) {
        bytes += [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)]
    }
    static func append16(_ bytes: inout [UInt8], _ value: UInt16) {
        bytes += [UInt8(value & 0xff), UInt8(value >> 8)]
    }
}
