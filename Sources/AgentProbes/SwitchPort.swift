/// One row of the switch's interface tables (IF-MIB ifTable + ifXTable), as read by `SwitchPortProbe`.
public struct SwitchPortRow: Sendable, Hashable {
    public var ifIndex: UInt
    public var name: String?
    public var alias: String?
    public var descr: String?
    public var physAddress: [UInt8]?
    /// ifHighSpeed, Mbit/s (ifXTable); nil when the agent has no ifXTable.
    public var highSpeedMbps: UInt64?
    /// ifSpeed, bit/s (ifTable); 4294967295 means "faster than that, see ifHighSpeed".
    public var speedBps: UInt64?
    /// ifOperStatus: 1 up, 2 down, 3 testing, 4 unknown, 5 dormant, 6 notPresent, 7 lowerLayerDown.
    public var operStatus: Int?
    public var inOctets: UInt64?
    public var outOctets: UInt64?
    /// True when the octet counters are ifHC{In,Out}Octets (64 bits), false for ifIn/OutOctets (32 bits).
    public var highCapacityCounters: Bool
    public var inErrors: UInt64?
    public var outErrors: UInt64?
    public var inDiscards: UInt64?

    public init(ifIndex: UInt, name: String? = nil, alias: String? = nil, descr: String? = nil, physAddress: [UInt8]? = nil,
                highSpeedMbps: UInt64? = nil, speedBps: UInt64? = nil, operStatus: Int? = nil,
                inOctets: UInt64? = nil, outOctets: UInt64? = nil, highCapacityCounters: Bool = false,
                inErrors: UInt64? = nil, outErrors: UInt64? = nil, inDiscards: UInt64? = nil) {
        self.ifIndex = ifIndex
        self.name = name
        self.alias = alias
        self.descr = descr
        self.physAddress = physAddress
        self.highSpeedMbps = highSpeedMbps
        self.speedBps = speedBps
        self.operStatus = operStatus
        self.inOctets = inOctets
        self.outOctets = outOctets
        self.highCapacityCounters = highCapacityCounters
        self.inErrors = inErrors
        self.outErrors = outErrors
        self.inDiscards = inDiscards
    }

    static let operStatusNames = [1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"]
    public var operStatusName: String? { operStatus.map { Self.operStatusNames[$0] ?? "status \($0)" } }

    /// The port speed in Mbit/s and where it came from: ifHighSpeed, else ifSpeed (bit/s), or why neither works.
    public var speed: Result<(mbps: Int, from: String), SwitchPortError> {
        if let high = highSpeedMbps, high > 0 { return .success((Int(high), "ifHighSpeed")) }
        if let bps = speedBps, bps > 0 {
            guard bps < UInt64(UInt32.max) else {
                return .failure(SwitchPortError(code: .noSpeed, message: "ifSpeed is saturated (4294967295: faster than 4.29 Gbit/s) and there is no ifHighSpeed"))
            }
            return .success((Int((bps + 500_000) / 1_000_000), "ifSpeed"))
        }
        return .failure(SwitchPortError(code: .noSpeed, message: "the switch reports no speed for ifIndex \(ifIndex) (ifHighSpeed \(highSpeedMbps.map(String.init) ?? "absent"), ifSpeed \(speedBps.map(String.init) ?? "absent"))"))
    }
}

/// One row of the switch's LLDP-MIB remote table: what the switch hears on one of its ports.
public struct LLDPRemoteEntry: Sendable, Hashable {
    public var localPortNumber: UInt
    public var chassisID: [UInt8]
    public var portID: [UInt8]
    public var systemName: String?

    public init(localPortNumber: UInt, chassisID: [UInt8], portID: [UInt8], systemName: String?) {
        self.localPortNumber = localPortNumber
        self.chassisID = chassisID
        self.portID = portID
        self.systemName = systemName
    }
}

/// One row of the switch's LLDP-MIB local port table: how the switch names its port number.
public struct LLDPLocalPort: Sendable, Hashable {
    public var number: UInt
    /// LLDP port ID subtype: 1 interfaceAlias, 3 macAddress, 5 interfaceName, 7 local, …
    public var idSubtype: Int?
    public var id: [UInt8]
    public var descr: String?

    public init(number: UInt, idSubtype: Int?, id: [UInt8], descr: String?) {
        self.number = number
        self.idSubtype = idSubtype
        self.id = id
        self.descr = descr
    }
}

/// What this host looks like to its switch: the uplink's MAC and the host name (for lldpRemTable).
public struct HostIdentity: Sendable, Hashable {
    public var macAddress: [UInt8]?
    public var hostname: String?

    public init(macAddress: [UInt8]?, hostname: String?) {
        self.macAddress = macAddress
        self.hostname = hostname
    }

    /// "aa:bb:cc:dd:ee:ff" → bytes.
    public static func parseMAC(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        let bytes = parts.compactMap { UInt8($0, radix: 16) }
        return bytes.count == 6 ? bytes : nil
    }

    func isNamed(_ name: String) -> Bool {
        guard let hostname, !hostname.isEmpty else { return false }
        func short(_ s: String) -> Substring { s.lowercased().split(separator: ".").first ?? "" }
        return name.lowercased() == hostname.lowercased() || short(name) == short(hostname)
    }
}

/// How the port was found, in `PortSelector` order.
public enum PortMatch: String, Sendable, Hashable {
    case ifName = "configured ifName"
    case ifAlias = "configured ifAlias"
    case lldpNeighbour = "LLDP neighbour's port id"
    case lldpRemoteTable = "switch's lldpRemTable"
}

/// Finds the switch port this host is patched into. Pure: the tables are inputs.
public struct PortFinder: Sendable {
    public var selector: PortSelector
    public var rows: [SwitchPortRow]

    public init(selector: PortSelector, rows: [SwitchPortRow]) {
        self.selector = selector
        self.rows = rows
    }

    /// The port by the configured name or alias (the cheap ways, no LLDP needed), or nil.
    public func byConfiguration() -> (row: SwitchPortRow, match: PortMatch)? {
        if let name = selector.ifName, let row = rows.first(where: { $0.name == name }) { return (row, .ifName) }
        if let alias = selector.ifAlias, let row = rows.first(where: { $0.alias == alias }) { return (row, .ifAlias) }
        return nil
    }

    /// The port named by an LLDP neighbour's port ID: by MAC (ifPhysAddress) for a MAC port ID, else by
    /// ifName, then ifDescr, then ifAlias.
    public func byNeighbourPort(subtype: UInt8, id: [UInt8]) -> SwitchPortRow? {
        if subtype == 3, id.count == 6 { return rows.first { $0.physAddress == id } }
        let text = String(decoding: id, as: UTF8.self)
        return rows.first { $0.name == text } ?? rows.first { $0.descr == text }
            ?? (subtype == 1 ? rows.first { $0.alias == text } : nil)
    }

    /// The port whose lldpRemTable entry points back at this host (its MAC as chassis or port ID, or its name),
    /// mapped through lldpLocPortTable to an interface; the LLDP port number is taken as ifIndex last.
    public func byRemoteTable(_ remote: [LLDPRemoteEntry], localPorts: [LLDPLocalPort], host: HostIdentity) -> SwitchPortRow? {
        let pointingHere = remote.filter { entry in
            if let mac = host.macAddress, entry.chassisID == mac || entry.portID == mac { return true }
            return entry.systemName.map(host.isNamed) ?? false
        }
        for entry in pointingHere {
            if let local = localPorts.first(where: { $0.number == entry.localPortNumber }) {
                if let row = byNeighbourPort(subtype: UInt8(clamping: local.idSubtype ?? 0), id: local.id) { return row }
                if let descr = local.descr, let row = rows.first(where: { $0.descr == descr || $0.name == descr }) { return row }
            }
            if let row = rows.first(where: { $0.ifIndex == entry.localPortNumber }) { return row }
        }
        return nil
    }
}

/// Octet counters between two polls → bit/s, handling a 32-bit counter's wrap.
public enum CounterRate {
    /// The increase from `old` to `new` of a counter of `bits` bits that wrapped at most once; nil if it cannot
    /// be known (a 64-bit counter going backwards means the agent or the interface restarted).
    public static func delta(old: UInt64, new: UInt64, bits: Int) -> UInt64? {
        if new >= old { return new - old }
        guard bits < 64 else { return nil }
        let modulus = UInt64(1) << UInt64(bits)
        guard old < modulus, new < modulus else { return nil }
        return modulus - old + new
    }

    /// Bits per second from a byte delta over `seconds`.
    public static func bitsPerSecond(bytes: UInt64, seconds: Double) -> Double? {
        guard seconds > 0 else { return nil }
        return Double(bytes) * 8 / seconds
    }

    /// Utilisation in percent of a port of `speedMbps`.
    public static func utilisationPercent(bitsPerSecond: Double, speedMbps: Int) -> Double? {
        guard speedMbps > 0 else { return nil }
        return bitsPerSecond / (Double(speedMbps) * 1_000_000) * 100
    }
}

/// Why the switch port could not be read, with a stable code.
public struct SwitchPortError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case snmp
        case portNotFound = "port_not_found"
        case noSpeed = "no_speed"
        case portDown = "port_down"
        case timeout
    }

    public let code: Code
    public let message: String
    public let cause: (any Error & Sendable)?

    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
