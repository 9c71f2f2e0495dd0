// Fuzzes the client address parser (nginx's REMOTE_ADDR on every request) against glibc's
// inet_pton and inet_ntop.
//
// IPAddress's `description` is redacted by design, so the oracles use `bits` and
// `canonicalText`; the harness never prints an input.
import Foundation
import FuzzSupport

@testable import Geolocation

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzDriver.bytes(data, size)
    let address = IPAddress(bytes: input[...])
    guard !input.contains(0) else { return 0 }  // inet_pton reads a C string

    let libc = glibcParse(input)
    require((address != nil) == (libc != nil), "accepted by IPAddress iff accepted by inet_pton")
    guard let address, let libc else { return 0 }
    require(address.bits == libc, "the same 128 bits as inet_pton")
    require(address.isIPv4 == (libc.high == 0 && libc.low >> 32 == 0xffff), "IPv4 iff v4 or v4-mapped")

    let text = address.canonicalText
    let reparsed = IPAddress(text)
    require(reparsed.map { $0.bits == address.bits } == true, "the canonical text parses to the same address")
    require(reparsed?.canonicalText == text, "the canonical text is canonical")
    // glibc writes RFC 5952 text too, except for the deprecated IPv4-compatible form
    // (::a.b.c.d), which it prints as a dotted quad.
    if !address.isIPv4, !(address.bits.high == 0 && address.bits.low >> 32 == 0) {
        require(text == glibcFormat(address.bits), "the canonical text equals inet_ntop's")
    }
    return 0
}

/// inet_pton, as IPv4 first (then IPv4-mapped), else as IPv6.
func glibcParse(_ text: [UInt8]) -> (high: UInt64, low: UInt64)? {
    let cText = text.map { CChar(bitPattern: $0) } + [0]
    var v4 = in_addr()
    if inet_pton(AF_INET, cText, &v4) == 1 {
        return (0, 0xffff_0000_0000 | UInt64(UInt32(bigEndian: v4.s_addr)))
    }
    var v6 = in6_addr()
    guard inet_pton(AF_INET6, cText, &v6) == 1 else { return nil }
    let bytes = withUnsafeBytes(of: v6) { Array($0) }
    let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return (high, low)
}

/// inet_ntop of an IPv6 address.
func glibcFormat(_ bits: (high: UInt64, low: UInt64)) -> String {
    var bytes = [UInt8](repeating: 0, count: 16)
    for index in 0..<8 {
        bytes[index] = UInt8(truncatingIfNeeded: bits.high >> UInt64(56 - 8 * index))
        bytes[8 + index] = UInt8(truncatingIfNeeded: bits.low >> UInt64(56 - 8 * index))
    }
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let ok = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
    guard ok else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

@main struct Harness {
    static func main() { FuzzDriver.run(fuzzOne, seeds: seeds) }
}

/// Both families in the spellings nginx passes, and near misses.
func seeds() -> [[UInt8]] {
    [
        "130.149.0.1", "0.0.0.0", "255.255.255.255", "01.2.3.4", "1.2.3.256", "::", "::1", "2001:db8::1",
        "2001:0db8:0000:0000:0000:ff00:0042:8329", "::ffff:81.2.69.160", "64:ff9b::192.0.2.33", "1:2:3:4:5:6:7::",
        "fe80::1%eth0", "[::1]", "1::2::3", "::1.2.3.4",
    ].map { Array($0.utf8) }
}
