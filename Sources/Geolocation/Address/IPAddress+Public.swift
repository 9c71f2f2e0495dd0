extension IPAddress {
    /// Whether the address can belong to a client somewhere on the Internet, so that
    /// geolocating it makes sense.
    ///
    /// False for IANA special-purpose ranges: unspecified, loopback, private (RFC 1918), shared
    /// CGNAT space, link-local, multicast, documentation, benchmarking, reserved and broadcast
    /// addresses for IPv4; for IPv6 everything outside global unicast `2000::/3` (so also
    /// unique-local `fc00::/7`, link-local, multicast, NAT64 and IPv4-compatible forms) and,
    /// inside it, the IETF protocol block `2001::/23` (Teredo, benchmarking, ORCHID), 6to4
    /// `2002::/16` and the documentation blocks `2001:db8::/32` and `3fff::/20`.
    public var isPublic: Bool {
        switch storage {
        case .v4(let value):
            return !Self.specialIPv4.contains { $0.contains(value) }
        case .v6(let high, _):
            let top = UInt16(truncatingIfNeeded: high >> 48)
            guard top & 0xe000 == 0x2000 else { return false }
            let second = UInt16(truncatingIfNeeded: high >> 32)
            if top == 0x2001, second < 0x0200 { return false }  // 2001::/23
            if top == 0x2001, second == 0x0db8 { return false }  // 2001:db8::/32
            if top == 0x2002 { return false }  // 2002::/16
            if top == 0x3fff, second & 0xf000 == 0 { return false }  // 3fff::/20
            return true
        }
    }

    private struct IPv4Block {
        let network: UInt32
        let mask: UInt32

        init(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, prefix: UInt32) {
            self.network = a << 24 | b << 16 | c << 8 | d
            self.mask = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
        }

        func contains(_ value: UInt32) -> Bool { value & mask == network }
    }

    private static let specialIPv4: [IPv4Block] = [
        IPv4Block(0, 0, 0, 0, prefix: 8),  // "this network", unspecified
        IPv4Block(10, 0, 0, 0, prefix: 8),  // private
        IPv4Block(100, 64, 0, 0, prefix: 10),  // shared address space (CGNAT)
        IPv4Block(127, 0, 0, 0, prefix: 8),  // loopback
        IPv4Block(169, 254, 0, 0, prefix: 16),  // link-local
        IPv4Block(172, 16, 0, 0, prefix: 12),  // private
        IPv4Block(192, 0, 0, 0, prefix: 24),  // IETF protocol assignments
        IPv4Block(192, 0, 2, 0, prefix: 24),  // documentation (TEST-NET-1)
        IPv4Block(192, 88, 99, 0, prefix: 24),  // 6to4 relay anycast (deprecated)
        IPv4Block(192, 168, 0, 0, prefix: 16),  // private
        IPv4Block(198, 18, 0, 0, prefix: 15),  // benchmarking
        IPv4Block(198, 51, 100, 0, prefix: 24),  // documentation (TEST-NET-2)
        IPv4Block(203, 0, 113, 0, prefix: 24),  // documentation (TEST-NET-3)
        IPv4Block(224, 0, 0, 0, prefix: 4),  // multicast
        IPv4Block(240, 0, 0, 0, prefix: 4),  // reserved, including broadcast
    ]
}
