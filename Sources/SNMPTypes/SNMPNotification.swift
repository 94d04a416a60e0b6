/// A notification to send: snmpTrapOID.0 plus payload variables (sysUpTime.0 is put first automatically).
public struct SNMPNotification: Sendable, Hashable {
    /// The value of snmpTrapOID.0: which notification this is.
    public var trapOID: OID
    /// The value of sysUpTime.0, in hundredths of a second.
    public var uptime: UInt32
    public var varBinds: [VarBind]

    public init(trapOID: OID, uptime: UInt32, varBinds: [VarBind] = []) {
        self.trapOID = trapOID
        self.uptime = uptime
        self.varBinds = varBinds
    }

    /// sysUpTime.0, snmpTrapOID.0, then the payload (RFC 3416 §4.2.6).
    package var allVarBinds: [VarBind] {
        [VarBind(oid: .sysUpTime0, value: .timeticks(uptime)), VarBind(oid: .snmpTrapOID0, value: .objectIdentifier(trapOID))]
            + varBinds
    }
}

extension OID {
    /// SNMPv2-MIB sysUpTime.0 and snmpTrapOID.0: the first two bindings of every SNMPv2 notification.
    package static let sysUpTime0 = OID(unchecked: [1, 3, 6, 1, 2, 1, 1, 3, 0])
    package static let snmpTrapOID0 = OID(unchecked: [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0])
}
