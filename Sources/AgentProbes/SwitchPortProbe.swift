import Foundation
import LLDP
import ReadinessModel
import SNMP
import SystemSupport

/// What the upstream switch says about the port this host is patched into (IF-MIB over SNMP).
public struct SwitchPortEvidence: Sendable {
    public var peer: String
    public var port: SwitchPortRow
    public var matchedBy: PortMatch
    /// Bit/s received and sent by the switch port between two polls (nil when not measured).
    public var inBitsPerSecond: Double?
    public var outBitsPerSecond: Double?
    /// Things the reader should know: "no ifXTable: speed from ifSpeed, 32-bit counters", …
    public var notes: [String]
}

/// Switch-port evidence over SNMP: walks the IF-MIB columns it needs (one multi-column GETBULK walk per table),
/// finds the port (`PortSelector` order), and reads speed, status, errors and, over two polls, utilisation.
public struct SwitchPortProbe: SpeedEvidenceProbe {
    public struct Configuration: Sendable {
        public var upstreamSwitch: SwitchConfiguration
        /// Time between the two counter polls for utilisation; zero skips the second poll.
        public var utilisationInterval: Duration
        /// Rows asked for per GETBULK, shared among the columns walked.
        public var rowsPerRequest: Int

        public init(upstreamSwitch: SwitchConfiguration = SwitchConfiguration(), utilisationInterval: Duration = .seconds(2),
                    rowsPerRequest: Int = 64) {
            self.upstreamSwitch = upstreamSwitch
            self.utilisationInterval = utilisationInterval
            self.rowsPerRequest = rowsPerRequest
        }
    }

    public let configuration: Configuration
    public var source: SpeedSource { .snmp }

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func reading(interface: String) async -> SpeedReading {
        await reading(host: Self.host(interface: interface), neighbour: { nil })
    }

    /// The reading, with the LLDP neighbour (awaited only if the configured name/alias did not find the port).
    public func reading(host: HostIdentity, neighbour: @Sendable () async -> LLDPNeighbour?) async -> SpeedReading {
        let peer = configuration.upstreamSwitch.snmp.peer
        do throws(SwitchPortError) {
            let evidence = try await evidence(host: host, neighbour: neighbour)
            var facts = Self.facts(evidence)
            switch evidence.port.speed {
            case .failure(let error):
                return .unknown(.snmp, error: "\(peer): \(error.message)", facts: facts)
            case .success(let speed):
                if evidence.port.operStatus != 1 {
                    return .unknown(.snmp, error: "\(peer): port \(evidence.port.name ?? String(evidence.port.ifIndex)) is \(evidence.port.operStatusName ?? "not up") (speed \(speed.mbps) Mbit/s is its configured rate)", facts: facts)
                }
                facts["speed_from"] = speed.from
                if let rate = evidence.inBitsPerSecond, let percent = CounterRate.utilisationPercent(bitsPerSecond: rate, speedMbps: speed.mbps) {
                    facts["in_utilisation_percent"] = percent.fixed(2)
                }
                if let rate = evidence.outBitsPerSecond, let percent = CounterRate.utilisationPercent(bitsPerSecond: rate, speedMbps: speed.mbps) {
                    facts["out_utilisation_percent"] = percent.fixed(2)
                }
                return SpeedReading(source: .snmp, speedMbps: speed.mbps, facts: facts)
            }
        } catch {
            var facts = ["switch": peer]
            if error.code == .snmp, let cause = error.cause as? SNMPError { facts["snmp_error"] = "\(cause.code)" }
            return .unknown(.snmp, error: error.message, facts: facts)
        }
    }

    /// The uplink's MAC and this host's name, for matching the switch's lldpRemTable.
    public static func host(interface: String, nic: NICProbe = NICProbe()) -> HostIdentity {
        let mac = (try? nic.evidence(interface: interface))?.macAddress.flatMap(HostIdentity.parseMAC)
        return HostIdentity(macAddress: mac, hostname: ProcessInfo.processInfo.hostName)
    }

    public func evidence(host: HostIdentity, neighbour: @Sendable () async -> LLDPNeighbour?) async throws(SwitchPortError) -> SwitchPortEvidence {
        let snmp = configuration.upstreamSwitch.snmp
        let selector = configuration.upstreamSwitch.port
        do {
            return try await withSNMPSession(snmp) { session in
                var notes: [String] = []
                let ifTable = try await session.walkColumns(of: IFMIB.ifEntry, IFMIB.ifTableColumns, rowsPerRequest: configuration.rowsPerRequest)
                let ifXTable = try await session.walkColumns(of: IFMIB.ifXEntry, IFMIB.ifXTableColumns, rowsPerRequest: configuration.rowsPerRequest)
                let firstPoll = ContinuousClock.now
                if ifTable.isEmpty && ifXTable.isEmpty {
                    throw SwitchPortError(code: .portNotFound, message: "\(snmp.peer) answers but has no IF-MIB interface tables in its view")
                }
                if ifXTable.isEmpty { notes.append("no ifXTable (IF-MIB 1.3.6.1.2.1.31): speed from ifSpeed, 32-bit octet counters") }
                let rows = Self.rows(ifTable: ifTable, ifXTable: ifXTable)
                let finder = PortFinder(selector: selector, rows: rows)

                var found = finder.byConfiguration()
                var tried: [String] = []
                if selector.ifName != nil || selector.ifAlias != nil {
                    tried.append("configured " + [selector.ifName.map { "ifName \($0)" }, selector.ifAlias.map { "ifAlias \($0)" }].compactMap { $0 }.joined(separator: ", "))
                }
                if found == nil, selector.matchLLDPNeighbour {
                    if let neighbour = await neighbour() {
                        if let row = finder.byNeighbourPort(subtype: neighbour.pdu.portID.subtype, id: Self.idBytes(neighbour.pdu.portID.value)) {
                            found = (row, .lldpNeighbour)
                        }
                        tried.append("LLDP neighbour port id \(neighbour.pdu.portID)")
                    } else {
                        tried.append("LLDP neighbour (none heard)")
                    }
                }
                if found == nil, selector.useLLDPRemoteTable {
                    let remote = try await session.walkColumns(of: IFMIB.lldpRemEntry, [IFMIB.lldpRemChassisId, IFMIB.lldpRemPortId, IFMIB.lldpRemSysName])
                    let local = try await session.walkColumns(of: IFMIB.lldpLocPortEntry, [IFMIB.lldpLocPortIdSubtype, IFMIB.lldpLocPortId, IFMIB.lldpLocPortDesc])
                    if let row = finder.byRemoteTable(Self.remoteEntries(remote), localPorts: Self.localPorts(local), host: host) {
                        found = (row, .lldpRemoteTable)
                    }
                    tried.append(remote.isEmpty ? "lldpRemTable (empty or absent)" : "lldpRemTable (\(remote.rows.count) entries, none pointing at this host)")
                }
                guard let (port, match) = found else {
                    throw SwitchPortError(code: .portNotFound, message: "\(snmp.peer): the port of this host was not found among \(rows.count) interfaces; tried \(tried.isEmpty ? "nothing (no port name, alias or LLDP matching configured)" : tried.joined(separator: "; "))")
                }

                var evidence = SwitchPortEvidence(peer: snmp.peer, port: port, matchedBy: match, notes: notes)
                if configuration.utilisationInterval > .zero, let inOctets = port.inOctets, let outOctets = port.outOctets {
                    try await Task.sleep(for: configuration.utilisationInterval)
                    let (inColumn, outColumn, entry) = port.highCapacityCounters
                        ? (IFMIB.ifHCInOctets, IFMIB.ifHCOutOctets, IFMIB.ifXEntry) : (IFMIB.ifInOctets, IFMIB.ifOutOctets, IFMIB.ifEntry)
                    let second = try await session.get([try entry.appending(inColumn, port.ifIndex), try entry.appending(outColumn, port.ifIndex)])
                    let seconds = (ContinuousClock.now - firstPoll) / .seconds(1)
                    let bits = port.highCapacityCounters ? 64 : 32
                    if let newIn = second.first?.value.unsigned, let delta = CounterRate.delta(old: inOctets, new: newIn, bits: bits) {
                        evidence.inBitsPerSecond = CounterRate.bitsPerSecond(bytes: delta, seconds: seconds)
                    }
                    if let newOut = second.last?.value.unsigned, let delta = CounterRate.delta(old: outOctets, new: newOut, bits: bits) {
                        evidence.outBitsPerSecond = CounterRate.bitsPerSecond(bytes: delta, seconds: seconds)
                    }
                }
                return evidence
            }
        } catch let error as SwitchPortError {
            throw error
        } catch let error as SNMPError {
            throw SwitchPortError(code: .snmp, message: "\(snmp.peer) (\(snmp.version)): \(Self.describe(error))", cause: error)
        } catch {
            throw SwitchPortError(code: .timeout, message: "\(snmp.peer): stopped (\(error))", cause: nil)
        }
    }

    static func describe(_ error: SNMPError) -> String {
        switch error.code {
        case .timeout: "no answer (timeout): \(error.message)"
        case .authenticationFailure: "SNMPv3 authentication failed (wrong passphrase or protocol): \(error.message)"
        case .unknownUser: "SNMPv3 user unknown to the switch: \(error.message)"
        default: error.description
        }
    }

    static func facts(_ evidence: SwitchPortEvidence) -> [String: String] {
        let port = evidence.port
        var facts = ["switch": evidence.peer, "if_index": String(port.ifIndex), "matched_by": evidence.matchedBy.rawValue]
        facts["port"] = port.name
        facts["port_alias"] = port.alias.flatMap { $0.isEmpty ? nil : $0 }
        facts["port_descr"] = port.descr
        facts["oper_status"] = port.operStatusName
        facts["in_errors"] = port.inErrors.map(String.init)
        facts["out_errors"] = port.outErrors.map(String.init)
        facts["in_discards"] = port.inDiscards.map(String.init)
        facts["in_bps"] = evidence.inBitsPerSecond.map { String(Int($0.rounded())) }
        facts["out_bps"] = evidence.outBitsPerSecond.map { String(Int($0.rounded())) }
        if !evidence.notes.isEmpty { facts["notes"] = evidence.notes.joined(separator: "; ") }
        return facts
    }

    static func idBytes(_ value: IDValue) -> [UInt8] {
        switch value {
        case .mac(let mac): mac.bytes
        case .text(let text): Array(text.utf8)
        case .bytes(let bytes): bytes
        case .networkAddress(let address): Array(address.description.utf8)
        }
    }

    static func rows(ifTable: TableColumns, ifXTable: TableColumns) -> [SwitchPortRow] {
        let indices = Set((ifTable.rows + ifXTable.rows).compactMap { $0.count == 1 ? $0[0] : nil }).sorted()
        return indices.map { index in
            let row = [index]
            let hcIn = ifXTable[IFMIB.ifHCInOctets, row]?.unsigned, hcOut = ifXTable[IFMIB.ifHCOutOctets, row]?.unsigned
            let highCapacity = hcIn != nil && hcOut != nil
            return SwitchPortRow(
                ifIndex: index,
                name: ifXTable[IFMIB.ifName, row]?.string,
                alias: ifXTable[IFMIB.ifAlias, row]?.string,
                descr: ifTable[IFMIB.ifDescr, row]?.string,
                physAddress: ifTable[IFMIB.ifPhysAddress, row]?.bytes,
                highSpeedMbps: ifXTable[IFMIB.ifHighSpeed, row]?.unsigned,
                speedBps: ifTable[IFMIB.ifSpeed, row]?.unsigned,
                operStatus: ifTable[IFMIB.ifOperStatus, row]?.unsigned.map { Int($0) },
                inOctets: highCapacity ? hcIn : ifTable[IFMIB.ifInOctets, row]?.unsigned,
                outOctets: highCapacity ? hcOut : ifTable[IFMIB.ifOutOctets, row]?.unsigned,
                highCapacityCounters: highCapacity,
                inErrors: ifTable[IFMIB.ifInErrors, row]?.unsigned,
                outErrors: ifTable[IFMIB.ifOutErrors, row]?.unsigned,
                inDiscards: ifTable[IFMIB.ifInDiscards, row]?.unsigned)
        }
    }

    static func remoteEntries(_ table: TableColumns) -> [LLDPRemoteEntry] {
        table.rows.compactMap { row in
            guard row.count == 3 else { return nil }
            return LLDPRemoteEntry(localPortNumber: row[1], chassisID: table[IFMIB.lldpRemChassisId, row]?.bytes ?? [],
                                   portID: table[IFMIB.lldpRemPortId, row]?.bytes ?? [],
                                   systemName: table[IFMIB.lldpRemSysName, row]?.string)
        }
    }

    static func localPorts(_ table: TableColumns) -> [LLDPLocalPort] {
        table.rows.compactMap { row in
            guard row.count == 1 else { return nil }
            return LLDPLocalPort(number: row[0], idSubtype: table[IFMIB.lldpLocPortIdSubtype, row]?.unsigned.map { Int($0) },
                                 id: table[IFMIB.lldpLocPortId, row]?.bytes ?? [], descr: table[IFMIB.lldpLocPortDesc, row]?.string)
        }
    }
}
