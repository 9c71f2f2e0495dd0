import Glibc
import POSIXSupport

/// Just enough of the FastCGI wire protocol to play nginx in tests: one request on a
/// connection, optionally kept open for the next.
enum FastCGIWire {
    /// A record: version 1, type, request id 1, content, no padding.
    static func record(_ type: UInt8, _ content: [UInt8]) -> [UInt8] {
        [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xff), 0, 0] + content
    }

    /// Name-value pairs with one-byte or four-byte lengths.
    static func pairs(_ params: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        func length(_ count: Int) {
            if count < 128 {
                out.append(UInt8(count))
            } else {
                out += [
                    UInt8((count >> 24) | 0x80), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff),
                    UInt8(count & 0xff),
                ]
            }
        }
        for (name, value) in params {
            length(name.utf8.count)
            length(value.utf8.count)
            out += Array(name.utf8) + Array(value.utf8)
        }
        return out
    }

    /// A whole responder request: begin (keeping the connection when asked), params, empty stdin.
    static func request(_ params: [(String, String)], keepConnection: Bool) -> [UInt8] {
        record(1, [0, 1, keepConnection ? 1 : 0, 0, 0, 0, 0, 0]) + record(4, pairs(params)) + record(4, [])
            + record(5, [])
    }

    /// Reads records until END_REQUEST; returns the STDOUT bytes.
    static func readResponse(_ fd: Int32) throws -> [UInt8] {
        var received: [UInt8] = []
        var stdout: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            while received.count >= 8 {
                let length = Int(received[4]) << 8 | Int(received[5])
                let total = 8 + length + Int(received[6])
                guard received.count >= total else { break }
                let type = received[1]
                if type == 6 { stdout += received[8..<8 + length] }
                received.removeFirst(total)
                if type == 3 { return stdout }
            }
            let count = try Socket.receive(fd, into: &chunk)
            if count == 0 { throw SystemError("connection closed before END_REQUEST", errno: ECONNRESET) }
            received += chunk[..<count]
        }
    }
}
