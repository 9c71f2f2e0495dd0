#if canImport(Glibc)
import Glibc
#endif

/// The networks allowed to read the status page (`BUTTON_STATUS_ALLOW`): the worker checks
/// `REMOTE_ADDR` itself, so a web server configured without its own `allow`/`deny` still
/// cannot expose the page.
public struct AddressAllowList: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        /// 16 bytes; IPv4 is stored as an IPv4-mapped IPv6 address.
        var address: [UInt8]
        var prefix: Int
    }
    var networks: [Network]

    /// Loopback only: what is allowed when nothing is configured.
    public static let loopback = AddressAllowList(networks: [
        Network(address: mapped([127, 0, 0, 0]), prefix: 96 + 8),
        Network(address: [UInt8](repeating: 0, count: 15) + [1], prefix: 128),
    ])

    /// Parses a comma-separated list of addresses and CIDR networks, e.g.
    /// `127.0.0.0/8,::1,10.20.0.0/16`.
    /// - Throws: `AddressAllowListError` naming the entry that is not a network.
    public init(parsing text: String) throws {
        var networks: [Network] = []
        for entry in text.split(separator: ",").map({ $0.trimmedOfBlanks() }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let parsed = Self.parse(parts[0]) else {
                throw AddressAllowListError("'\(entry)' is not an IP address or network")
            }
            let (address, isV4) = parsed
            let width = isV4 ? 32 : 128
            var prefix = width
            if parts.count == 2 {
                guard let value = Int(parts[1]), (0...width).contains(value) else {
                    throw AddressAllowListError("'\(entry)' has a prefix length outside 0...\(width)")
                }
                prefix = value
            }
            networks.append(Network(address: address, prefix: isV4 ? 96 + prefix : prefix))
        }
        self.networks = networks
    }

    init(networks: [Network]) { self.networks = networks }

    /// Whether `address` (an IPv4 or IPv6 text, as nginx passes `REMOTE_ADDR`) is inside
    /// one of the networks. Anything unparsable is outside.
    public func allows(_ address: String) -> Bool {
        guard let bytes = Self.parse(address)?.0 else { return false }
        return networks.contains { network in
            var remaining = network.prefix
            for index in 0..<16 where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
                if bytes[index] & mask != network.address[index] & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    /// 16 bytes (IPv4 mapped) and whether the text was IPv4.
    static func parse(_ text: String) -> ([UInt8], Bool)? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let raw = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return (mapped(raw), true)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return (withUnsafeBytes(of: v6) { Array($0) }, false)
        }
        return nil
    }

    static func mapped(_ v4: [UInt8]) -> [UInt8] { [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + v4 }
}

/// A `BUTTON_STATUS_ALLOW` entry that is not a network.
public struct AddressAllowListError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Substring {
    func trimmedOfBlanks() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
