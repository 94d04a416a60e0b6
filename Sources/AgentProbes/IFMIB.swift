import SNMP

/// The numeric OIDs the switch-port probe reads (IF-MIB, RFC 2863; LLDP-MIB, IEEE 802.1AB-2005). No MIB files
/// are loaded (Debian ships none), so they are written out here.
enum IFMIB {
    static let ifEntry = oid("1.3.6.1.2.1.2.2.1")
    static let ifDescr: UInt = 2, ifSpeed: UInt = 5, ifPhysAddress: UInt = 6, ifOperStatus: UInt = 8
    static let ifInOctets: UInt = 10, ifInDiscards: UInt = 13, ifInErrors: UInt = 14, ifOutOctets: UInt = 16, ifOutErrors: UInt = 20
    static let ifTableColumns = [ifDescr, ifSpeed, ifPhysAddress, ifOperStatus, ifInOctets, ifInDiscards, ifInErrors, ifOutOctets, ifOutErrors]

    static let ifXEntry = oid("1.3.6.1.2.1.31.1.1.1")
    static let ifName: UInt = 1, ifHCInOctets: UInt = 6, ifHCOutOctets: UInt = 10, ifHighSpeed: UInt = 15, ifAlias: UInt = 18
    static let ifXTableColumns = [ifName, ifHCInOctets, ifHCOutOctets, ifHighSpeed, ifAlias]

    /// lldpRemEntry, indexed by lldpRemTimeMark.lldpRemLocalPortNum.lldpRemIndex.
    static let lldpRemEntry = oid("1.0.8802.1.1.2.1.4.1.1")
    static let lldpRemChassisId: UInt = 5, lldpRemPortId: UInt = 7, lldpRemSysName: UInt = 9
    /// lldpLocPortEntry, indexed by lldpLocPortNum.
    static let lldpLocPortEntry = oid("1.0.8802.1.1.2.1.3.7.1")
    static let lldpLocPortIdSubtype: UInt = 2, lldpLocPortId: UInt = 3, lldpLocPortDesc: UInt = 4

    private static func oid(_ text: String) -> OID {
        // The literals above are valid numeric OIDs; a typo is a programming error caught by every test.
        do { return try OID(text) } catch { preconditionFailure("\(text): \(error)") }
    }
}

/// The rows of some columns of one SNMP table: column number → row index (the OID suffix) → value.
struct TableColumns: Sendable {
    var columns: [UInt: [[UInt]: SNMPValue]] = [:]

    subscript(column: UInt, row: [UInt]) -> SNMPValue? { columns[column]?[row] }

    /// Every row index present in any column, in OID order.
    var rows: [[UInt]] {
        Set(columns.values.flatMap(\.keys)).sorted { $0.lexicographicallyPrecedes($1) }
    }

    var isEmpty: Bool { columns.values.allSatisfy(\.isEmpty) }
}

extension SNMPSession {
    /// Walks several columns of one table together: each GETBULK asks for the next rows of every column still
    /// going (RFC 3416's interleaved repetitions), so a table of N rows takes about N / repetitions requests,
    /// however many columns are read. A column ends at the end of its subtree or at endOfMibView; a table the
    /// agent does not have simply comes back empty.
    func walkColumns(of entry: OID, _ columns: [UInt], rowsPerRequest: Int = 64) async throws(SNMPError) -> TableColumns {
        var result = TableColumns()
        var active: [(column: UInt, prefix: OID, last: OID)] = []
        for column in columns {
            let prefix = try entry.appending(column)
            active.append((column, prefix, prefix))
            result.columns[column] = [:]
        }
        while !active.isEmpty {
            let repetitions = max(4, rowsPerRequest / active.count)
            let batch = try await getBulk(active.map(\.last), maxRepetitions: repetitions)
            if batch.isEmpty { break }
            var finished = Set<Int>()
            for (position, binding) in batch.enumerated() {
                let slot = position % active.count
                guard !finished.contains(slot) else { continue }
                let current = active[slot]
                guard binding.value != .endOfMibView, current.prefix.isPrefix(of: binding.oid) else {
                    finished.insert(slot)
                    continue
                }
                guard binding.oid > current.last else {
                    throw SNMPError(.notIncreasing, "walking \(current.prefix) on \(configuration.peer): \(binding.oid) came after \(current.last)")
                }
                let row = Array(binding.oid.components.dropFirst(current.prefix.components.count))
                result.columns[current.column, default: [:]][row] = binding.value
                active[slot].last = binding.oid
            }
            // A short answer (the agent trimmed it to fit) simply continues from where each column got to.
            active = active.enumerated().filter { !finished.contains($0.offset) }.map(\.element)
        }
        return result
    }
}

extension SNMPValue {
    var unsigned: UInt64? {
        switch self {
        case .integer(let v): v >= 0 ? UInt64(v) : nil
        case .counter32(let v), .gauge32(let v), .timeticks(let v): UInt64(v)
        case .counter64(let v): v
        default: nil
        }
    }

    var bytes: [UInt8]? {
        if case .octetString(let bytes) = self { bytes } else { nil }
    }
}
