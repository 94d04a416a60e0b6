/// A decoded LLDP data unit (IEEE 802.1AB) with the Ethernet framing it arrived in.
public struct LLDPDU: Sendable, Equatable {
    /// LLDP's ethertype.
    public static let etherType: UInt16 = 0x88cc

    public var destination: MACAddress
    public var source: MACAddress
    /// The VLAN ID of a single 802.1Q tag, when the frame carried one.
    public var vlanID: UInt16?

    public var chassisID: ChassisID
    public var portID: PortID
    /// Seconds the receiver may keep this information; 0 means "forget this neighbour now".
    public var ttl: UInt16
    public var portDescription: String?
    public var systemName: String?
    public var systemDescription: String?
    public var systemCapabilities: SystemCapabilities?
    public var managementAddresses: [ManagementAddress]
    /// IEEE 802.3 MAC/PHY Configuration/Status TLV (OUI 00-12-0F, subtype 1).
    public var macPhy: MACPHYStatus?
    /// Reserved TLV types and organizationally specific TLVs we do not decode, in frame order.
    public var otherTLVs: [RawTLV]
}

/// A TLV kept undecoded: its type and its value bytes (for type 127, starting with the OUI).
public struct RawTLV: Sendable, Equatable {
    public var type: UInt8
    public var value: [UInt8]

    public init(type: UInt8, value: [UInt8]) {
        self.type = type
        self.value = value
    }
}

/// The value of a chassis or port ID, decoded according to its subtype.
public enum IDValue: Sendable, Equatable, CustomStringConvertible {
    case mac(MACAddress)
    case networkAddress(NetworkAddress)
    /// A name (interface name, alias, component, locally assigned…) that is valid UTF-8.
    case text(String)
    /// Bytes that did not fit the subtype (wrong MAC length, invalid UTF-8, unknown subtype).
    case bytes([UInt8])

    public var description: String {
        switch self {
        case .mac(let mac): mac.description
        case .networkAddress(let address): address.description
        case .text(let text): text
        case .bytes(let bytes): bytes.map(hex2).joined()
        }
    }
}

public struct ChassisID: Sendable, Equatable, CustomStringConvertible {
    public enum Subtype: UInt8, Sendable {
        case chassisComponent = 1, interfaceAlias, portComponent, macAddress, networkAddress,
             interfaceName, locallyAssigned
    }

    /// The subtype byte as sent; `kind` is `nil` for reserved values.
    public var subtype: UInt8
    public var value: IDValue
    public var kind: Subtype? { Subtype(rawValue: subtype) }
    public var description: String { value.description }

    public init(subtype: UInt8, value: IDValue) {
        self.subtype = subtype
        self.value = value
    }
}

public struct PortID: Sendable, Equatable, CustomStringConvertible {
    public enum Subtype: UInt8, Sendable {
        case interfaceAlias = 1, portComponent, macAddress, networkAddress, interfaceName,
             agentCircuitID, locallyAssigned
    }

    public var subtype: UInt8
    public var value: IDValue
    public var kind: Subtype? { Subtype(rawValue: subtype) }
    public var description: String { value.description }

    public init(subtype: UInt8, value: IDValue) {
        self.subtype = subtype
        self.value = value
    }
}

/// System Capabilities TLV: what the system can do, and what is enabled.
public struct SystemCapabilities: Sendable, Equatable {
    public struct Set: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let other = Set(rawValue: 1 << 0)
        public static let repeater = Set(rawValue: 1 << 1)
        public static let bridge = Set(rawValue: 1 << 2)
        public static let wlanAccessPoint = Set(rawValue: 1 << 3)
        public static let router = Set(rawValue: 1 << 4)
        public static let telephone = Set(rawValue: 1 << 5)
        public static let docsisCableDevice = Set(rawValue: 1 << 6)
        public static let stationOnly = Set(rawValue: 1 << 7)
        public static let customerVLANComponent = Set(rawValue: 1 << 8)
        public static let serviceVLANComponent = Set(rawValue: 1 << 9)
        public static let twoPortMACRelay = Set(rawValue: 1 << 10)
    }

    public var supported: Set
    public var enabled: Set
}

/// Management Address TLV.
public struct ManagementAddress: Sendable, Equatable {
    public var address: NetworkAddress
    /// 1 unknown, 2 ifIndex, 3 system port number.
    public var interfaceNumberingSubtype: UInt8
    public var interfaceNumber: UInt32
    /// The BER-encoded object identifier of the hardware component, usually empty.
    public var objectIdentifier: [UInt8]
}

/// IEEE 802.3 MAC/PHY Configuration/Status.
public struct MACPHYStatus: Sendable, Equatable {
    public var autonegotiationSupported: Bool
    public var autonegotiationEnabled: Bool
    /// PMD auto-negotiation advertised capability bits (RFC 4836 ifMauAutoNegCapAdvertisedBits order:
    /// 0x8000 other, 0x4000 10BASE-T, … 0x0001 1000BASE-T full duplex).
    public var advertisedCapabilities: UInt16
    public var operationalMAUType: MAUType
}
