/// Random public addresses for fake traffic: drawn, located, then dropped.
///
/// IPv4 draws are uniform over the public space (about 86% of all addresses). IPv6 draws
/// pick a /16 inside the five regional registries' /12 blocks (where allocations start) or
/// `2001::/16`, then random lower bits: uniform over all of `2000::/3` almost never lands
/// in an allocated network, and real clients only come from allocated ones. Either way the
/// address passes ``IPAddress/isPublic``.
public enum RandomPublicAddress {
    /// The first 16 bits an IPv6 draw chooses from: `2001`, the sixteen /16s of APNIC's
    /// `2400::/12`, ARIN's `2600::/12`, LACNIC's `2800::/12` and RIPE NCC's `2a00::/12`, and
    /// AFRINIC's `2c0f::/16` (the rest of `2c00::/12` is held by AFRINIC itself, not allocated).
    static let ipv6Prefixes: [UInt16] =
        [0x2001, 0x2c0f] + [0x2400, 0x2600, 0x2800, 0x2a00].flatMap { base in (0..<16).map { base + $0 } }

    /// A public IPv4 address.
    public static func ipv4(using random: inout some RandomNumberGenerator) -> IPAddress {
        while true {
            let address = IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next() >> 32))
            if address.isPublic { return address }
        }
    }

    /// A public IPv6 address inside the registries' allocation blocks.
    public static func ipv6(using random: inout some RandomNumberGenerator) -> IPAddress {
        while true {
            let prefix = ipv6Prefixes[Int(random.next() % UInt64(ipv6Prefixes.count))]
            let high = UInt64(prefix) << 48 | random.next() >> 16
            let address = IPAddress(storage: .v6(high: high, low: random.next()))
            if address.isPublic { return address }
        }
    }
}
