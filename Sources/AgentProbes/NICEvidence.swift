/// What the agent host's own network interface says about itself (Linux sysfs and ethtool).
public struct NICEvidence: Sendable, Hashable, Codable {
    public var interface: String
    /// Negotiated speed; nil when the driver does not know it (sysfs reports -1 or refuses to read).
    public var speedMbps: Int?
    public var duplex: String?
    public var autonegotiation: Bool?
    public var carrier: Bool?
    public var operState: String
    public var mtu: Int?
    public var driver: String?
    public var macAddress: String?
    public var counters: InterfaceCounters
    /// Why a field could not be read, by field name (e.g. "speed": "not reported by the driver").
    public var unreadable: [String: String]

    public init(
        interface: String, speedMbps: Int? = nil, duplex: String? = nil, autonegotiation: Bool? = nil,
        carrier: Bool? = nil, operState: String = "unknown", mtu: Int? = nil, driver: String? = nil,
        macAddress: String? = nil, counters: InterfaceCounters = InterfaceCounters(), unreadable: [String: String] = [:]
    ) {
        self.interface = interface
        self.speedMbps = speedMbps
        self.duplex = duplex
        self.autonegotiation = autonegotiation
        self.carrier = carrier
        self.operState = operState
        self.mtu = mtu
        self.driver = driver
        self.macAddress = macAddress
        self.counters = counters
        self.unreadable = unreadable
    }

    enum CodingKeys: String, CodingKey {
        case interface, duplex, autonegotiation, carrier, mtu, driver, counters, unreadable
        case speedMbps = "speed_mbps"
        case operState = "operstate"
        case macAddress = "mac_address"
    }
}

/// Interface counters since the interface came up (sysfs `statistics/`).
public struct InterfaceCounters: Sendable, Hashable, Codable {
    public var rxBytes: UInt64?
    public var txBytes: UInt64?
    public var rxPackets: UInt64?
    public var txPackets: UInt64?
    public var rxErrors: UInt64?
    public var txErrors: UInt64?
    public var rxDropped: UInt64?
    public var txDropped: UInt64?

    public init(
        rxBytes: UInt64? = nil, txBytes: UInt64? = nil, rxPackets: UInt64? = nil, txPackets: UInt64? = nil,
        rxErrors: UInt64? = nil, txErrors: UInt64? = nil, rxDropped: UInt64? = nil, txDropped: UInt64? = nil
    ) {
        self.rxBytes = rxBytes
        self.txBytes = txBytes
        self.rxPackets = rxPackets
        self.txPackets = txPackets
        self.rxErrors = rxErrors
        self.txErrors = txErrors
        self.rxDropped = rxDropped
        self.txDropped = txDropped
    }

    enum CodingKeys: String, CodingKey {
        case rxBytes = "rx_bytes", txBytes = "tx_bytes", rxPackets = "rx_packets", txPackets = "tx_packets"
        case rxErrors = "rx_errors", txErrors = "tx_errors", rxDropped = "rx_dropped", txDropped = "tx_dropped"
    }
}
