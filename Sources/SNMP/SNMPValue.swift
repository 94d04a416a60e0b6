import CNetSNMP

extension VarBind {
    /// Copies one decoded variable out of a response PDU (which the caller frees afterwards).
    init(_ variable: netsnmp_variable_list) {
        let name = UnsafeBufferPointer(start: variable.name, count: variable.name_length)
        self.init(oid: OID(unchecked: Array(name)), value: SNMPValue(variable))
    }
}

extension SNMPValue {
    init(_ variable: netsnmp_variable_list) {
        let type = variable.type
        let length = variable.val_len
        // Every branch checks val_len before reading: a malformed PDU must not make us read past the value.
        func bytes() -> [UInt8] {
            guard length > 0, let pointer = variable.val.string else { return [] }
            return Array(UnsafeBufferPointer(start: pointer, count: length))
        }
        // net-snmp stores INTEGER and the 32-bit unsigned types in a C long.
        func long() -> Int? {
            guard length >= MemoryLayout<Int>.size, let pointer = variable.val.integer else { return nil }
            return pointer.pointee
        }
        switch type {
        case SANSANG_ASN_INTEGER:
            self = long().map { .integer(Int32(truncatingIfNeeded: $0)) } ?? .other(asnType: type, bytes: bytes())
        case SANSANG_ASN_OCTET_STR:
            self = .octetString(bytes())
        case SANSANG_ASN_NULL:
            self = .null
        case SANSANG_ASN_OBJECT_ID:
            let count = length / MemoryLayout<oid>.size
            if count > 0, let pointer = variable.val.objid {
                self = .objectIdentifier(OID(unchecked: Array(UnsafeBufferPointer(start: pointer, count: count))))
            } else {
                self = .other(asnType: type, bytes: bytes())
            }
        case SANSANG_ASN_IPADDRESS:
            let octets = bytes()
            self = octets.count == 4 ? .ipAddress(IPv4Address(octets: octets)) : .other(asnType: type, bytes: octets)
        case SANSANG_ASN_COUNTER, SANSANG_ASN_GAUGE, SANSANG_ASN_TIMETICKS:
            guard let value = long() else { self = .other(asnType: type, bytes: bytes()); return }
            let unsigned = UInt32(truncatingIfNeeded: value)
            self = type == SANSANG_ASN_COUNTER ? .counter32(unsigned)
                : type == SANSANG_ASN_GAUGE ? .gauge32(unsigned) : .timeticks(unsigned)
        case SANSANG_ASN_OPAQUE:
            self = .opaque(bytes())
        case SANSANG_ASN_COUNTER64:
            guard length >= MemoryLayout<counter64>.size, let pointer = variable.val.counter64 else {
                self = .other(asnType: type, bytes: bytes()); return
            }
            // Each half sits in a C unsigned long holding 32 bits.
            self = .counter64(UInt64(pointer.pointee.high & 0xFFFF_FFFF) << 32 | UInt64(pointer.pointee.low & 0xFFFF_FFFF))
        case SANSANG_SNMP_NOSUCHOBJECT:
            self = .noSuchObject
        case SANSANG_SNMP_NOSUCHINSTANCE:
            self = .noSuchInstance
        case SANSANG_SNMP_ENDOFMIBVIEW:
            self = .endOfMibView
        default:
            self = .other(asnType: type, bytes: bytes())
        }
    }
}
