#if canImport(Glibc)
import Glibc
#endif

/// The binary form a client address takes when code stores it as bytes rather than text,
/// so absence checks can look for both.
public enum AddressBytes {
    /// The 4-byte (IPv4) or 16-byte (IPv6) network-order form of an address's text, or nil
    /// when the text is not an address.
    public static func binary(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
