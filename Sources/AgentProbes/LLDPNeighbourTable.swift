import Foundation
import LLDP
import ReadinessModel

/// An LLDP neighbour as last announced: the decoded LLDPDU and when it arrived.
public struct LLDPNeighbour: Sendable, Equatable {
    public var pdu: LLDPDU
    public var arrival: Date

    public init(pdu: LLDPDU, arrival: Date) {
        self.pdu = pdu
        self.arrival = arrival
    }

    /// The neighbour is forgotten at arrival + TTL (802.1AB: the TTL TLV says how long the information is valid).
    public var expires: Date { arrival.addingTimeInterval(TimeInterval(pdu.ttl)) }

    /// The port's speed from the 802.3 MAC/PHY TLV's operational MAU type; nil when absent or not a single speed.
    public var speedMbps: Int? { pdu.macPhy?.operationalMAUType.speedMbps }

    /// What a field technician or the NOC needs to find the port: chassis, port, names, management address.
    public var facts: [String: String] {
        var facts = ["chassis_id": pdu.chassisID.description, "port_id": pdu.portID.description,
                     "ttl_s": String(pdu.ttl)]
        facts["port_description"] = pdu.portDescription
        facts["system_name"] = pdu.systemName
        facts["management_address"] = pdu.managementAddresses.first?.address.description
        if let macPhy = pdu.macPhy {
            facts["mau_type"] = macPhy.operationalMAUType.description
            facts["autonegotiation"] = macPhy.autonegotiationEnabled ? "on" : (macPhy.autonegotiationSupported ? "off" : "not supported")
        }
        if let vlan = pdu.vlanID { facts["vlan"] = String(vlan) }
        return facts
    }

    /// This neighbour as speed evidence: the MAU type's speed, or unknown with the reason.
    public var reading: SpeedReading {
        if let speed = speedMbps { return SpeedReading(source: .lldp, speedMbps: speed, facts: facts) }
        let why = pdu.macPhy.map { "MAU type \($0.operationalMAUType) has no single speed" }
            ?? "the neighbour sends no IEEE 802.3 MAC/PHY TLV"
        return .unknown(.lldp, error: why, facts: facts)
    }
}

/// The current LLDP neighbours of one interface, keyed by (chassis ID, port ID). Pure: times are parameters.
public struct LLDPNeighbourTable: Sendable, Equatable {
    private struct Key: Hashable {
        var chassis: String
        var port: String
    }

    private var entries: [Key: LLDPNeighbour] = [:]

    public init() {}

    /// Records a frame received at `arrival`. A TTL of 0 (a shutdown LLDPDU) removes the neighbour at once.
    public mutating func insert(_ pdu: LLDPDU, at arrival: Date) {
        let key = Key(chassis: "\(pdu.chassisID.subtype)/\(pdu.chassisID)", port: "\(pdu.portID.subtype)/\(pdu.portID)")
        if pdu.ttl == 0 { entries[key] = nil } else { entries[key] = LLDPNeighbour(pdu: pdu, arrival: arrival) }
    }

    /// The neighbours still valid at `now` (arrival ≤ now < arrival + TTL), newest first.
    public func neighbours(at now: Date) -> [LLDPNeighbour] {
        entries.values.filter { $0.expires > now }.sorted { $0.arrival > $1.arrival }
    }

    /// Forgets expired neighbours (keeps memory bounded on a long-running agent).
    public mutating func removeExpired(at now: Date) {
        entries = entries.filter { $0.value.expires > now }
    }
}
