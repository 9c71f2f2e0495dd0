/// What a libloc database says about the network an address belongs to.
public struct LocationNetwork: Sendable, Hashable {
    /// Special properties libloc records for a network.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// An anonymous proxy (the `A1` pseudo-country in other databases).
        public static let anonymousProxy = Flags(rawValue: 1 << 0)
        /// A satellite provider (`A2`).
        public static let satelliteProvider = Flags(rawValue: 1 << 1)
        /// An anycast network (`A3`): the same prefix is announced in many places.
        public static let anycast = Flags(rawValue: 1 << 2)
        /// A network on a drop list (`XD`): hijacked or used for abuse.
        public static let drop = Flags(rawValue: 1 << 3)
    }

    /// The two-letter code libloc stores, usually ISO 3166-1 alpha-2 but possibly a special
    /// code such as `EU` or `AP`; empty when the network has none.
    public var countryCode: String
    /// The autonomous system announcing the network, when known.
    public var autonomousSystem: UInt32?
    public var flags: Flags

    public init(countryCode: String, autonomousSystem: UInt32?, flags: Flags) {
        self.countryCode = countryCode
        self.autonomousSystem = autonomousSystem
        self.flags = flags
    }
}
