import SNMP

/// The upstream switch of the office, read over SNMP for switch-port evidence.
public struct SwitchConfiguration: Sendable {
    public var snmp: SNMPSessionConfiguration
    public var port: PortSelector

    public init(snmp: SNMPSessionConfiguration = SNMPSessionConfiguration(), port: PortSelector = PortSelector()) {
        self.snmp = snmp
        self.port = port
    }
}

/// How to find the switch port this host is patched into. Tried in order: a configured ifName, a configured
/// ifAlias, the port id of the LLDP neighbour, the switch's LLDP-MIB remote table pointing back at this host.
public struct PortSelector: Sendable, Hashable {
    public var ifName: String?
    public var ifAlias: String?
    public var matchLLDPNeighbour: Bool
    public var useLLDPRemoteTable: Bool

    public init(ifName: String? = nil, ifAlias: String? = nil, matchLLDPNeighbour: Bool = true, useLLDPRemoteTable: Bool = true) {
        self.ifName = ifName
        self.ifAlias = ifAlias
        self.matchLLDPNeighbour = matchLLDPNeighbour
        self.useLLDPRemoteTable = useLLDPRemoteTable
    }
}
