import CNetSNMP
import SystemSupport

extension SNMPSession {
    /// INFORM-REQUEST: returns when the receiver acknowledges it (a Response PDU); throws `.timeout` after
    /// timeout × (retries + 1). For SNMPv3 the receiver is the authoritative engine: open the session with `open`.
    public func inform(_ notification: SNMPNotification) async throws(SNMPError) {
        try await notify(SANSANG_SNMP_MSG_INFORM, notification)
    }

    /// SNMPv2-Trap: sent once, never acknowledged. For SNMPv3 open the session with `openForTraps`.
    public func trap(_ notification: SNMPNotification) async throws(SNMPError) {
        try await notify(SANSANG_SNMP_MSG_TRAP2, notification)
    }

    private func notify(_ command: Int32, _ notification: SNMPNotification) async throws(SNMPError) {
        guard !Task.isCancelled else { throw SNMPError(.cancelled, "cancelled before the notification to \(configuration.peer)") }
        let bindings = notification.allVarBinds
        let outcome = await SNMPEventLoop.shared.send(handle) { [handle] () throws(SNMPError) in
            try handle.notificationPDU(command, bindings)
        }
        _ = try handle.bindings(outcome, blaming: bindings.map(\.oid))
    }
}

extension VarBind {
    /// Appends this binding to `pdu` with the ASN.1 type of its value; false when the library refuses it.
    func add(to pdu: UnsafeMutablePointer<netsnmp_pdu>) -> Bool {
        // net-snmp takes INTEGER and the 32-bit unsigned types as a C long, Counter64 as two longs.
        func add(_ type: u_char, _ bytes: UnsafeRawBufferPointer) -> Bool {
            oid.components.withUnsafeBufferPointer { name in
                snmp_pdu_add_variable(pdu, name.baseAddress, name.count, type,
                                      bytes.baseAddress, bytes.count) != nil
            }
        }
        func add<T>(_ type: u_char, value: T) -> Bool { withUnsafeBytes(of: value) { add(type, $0) } }
        func add<T>(_ type: u_char, array: [T]) -> Bool { array.withUnsafeBytes { add(type, $0) } }

        switch value {
        case .integer(let v): return add(SANSANG_ASN_INTEGER, value: Int(v))
        case .octetString(let bytes): return add(SANSANG_ASN_OCTET_STR, array: bytes)
        case .null: return add(SANSANG_ASN_NULL, UnsafeRawBufferPointer(start: nil, count: 0))
        case .objectIdentifier(let oid): return add(SANSANG_ASN_OBJECT_ID, array: oid.components)
        case .ipAddress(let address): return add(SANSANG_ASN_IPADDRESS, array: address.octets)
        case .counter32(let v): return add(SANSANG_ASN_COUNTER, value: UInt(v))
        case .gauge32(let v): return add(SANSANG_ASN_GAUGE, value: UInt(v))
        case .timeticks(let v): return add(SANSANG_ASN_TIMETICKS, value: UInt(v))
        case .opaque(let bytes): return add(SANSANG_ASN_OPAQUE, array: bytes)
        case .counter64(let v): return add(SANSANG_ASN_COUNTER64, value: counter64(high: UInt(v >> 32), low: UInt(v & 0xFFFF_FFFF)))
        case .noSuchObject: return add(SANSANG_SNMP_NOSUCHOBJECT, UnsafeRawBufferPointer(start: nil, count: 0))
        case .noSuchInstance: return add(SANSANG_SNMP_NOSUCHINSTANCE, UnsafeRawBufferPointer(start: nil, count: 0))
        case .endOfMibView: return add(SANSANG_SNMP_ENDOFMIBVIEW, UnsafeRawBufferPointer(start: nil, count: 0))
        case .other(let type, let bytes): return add(type, array: bytes)
        }
    }
}
