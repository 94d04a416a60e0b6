import CNetSNMP

/// The value of a variable binding, by its SMI type (RFC 2578, RFC 3416).
public enum SNMPValue: Hashable, Sendable, CustomStringConvertible {
    case integer(Int32)
    /// OCTET STRING, exactly as received (not NUL-terminated; may be binary). See `string`.
    case octetString([UInt8])
    case null
    case objectIdentifier(OID)
    case ipAddress(IPv4Address)
    case counter32(UInt32)
    /// Gauge32; Unsigned32 has the same tag and decodes here too.
    case gauge32(UInt32)
    /// Hundredths of a second.
    case timeticks(UInt32)
    /// Opaque, undecoded.
    case opaque([UInt8])
    case counter64(UInt64)
    /// The agent has no such object (GET).
    case noSuchObject
    /// The object exists but not this instance (GET).
    case noSuchInstance
    /// Nothing follows in the agent's view (GETNEXT, GETBULK).
    case endOfMibView
    /// A type this wrapper does not decode (e.g. net-snmp's opaque float), with its raw bytes.
    case other(asnType: UInt8, bytes: [UInt8])

    /// An IPv4 address (the SMI IpAddress type has four octets).
    public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
        public let octets: [UInt8]

        init(octets: [UInt8]) { self.octets = octets }

        /// The address a.b.c.d, e.g. `IPv4Address(192, 0, 2, 1)`.
        public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) { octets = [a, b, c, d] }

        public var description: String { octets.map(String.init).joined(separator: ".") }
    }

    /// The octet string as UTF-8 (invalid sequences repaired), or nil for other types.
    public var string: String? {
        if case .octetString(let bytes) = self { String(decoding: bytes, as: UTF8.self) } else { nil }
    }

    /// True for the three exception values of RFC 3416: the variable has no value.
    public var isException: Bool {
        switch self {
        case .noSuchObject, .noSuchInstance, .endOfMibView: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .integer(let v): "INTEGER: \(v)"
        case .octetString(let bytes): "STRING: \(String(decoding: bytes, as: UTF8.self).debugDescription)"
        case .null: "NULL"
        case .objectIdentifier(let oid): "OID: \(oid)"
        case .ipAddress(let address): "IpAddress: \(address)"
        case .counter32(let v): "Counter32: \(v)"
        case .gauge32(let v): "Gauge32: \(v)"
        case .timeticks(let v): "Timeticks: \(v)"
        case .opaque(let bytes): "Opaque: \(bytes.count) bytes"
        case .counter64(let v): "Counter64: \(v)"
        case .noSuchObject: "noSuchObject"
        case .noSuchInstance: "noSuchInstance"
        case .endOfMibView: "endOfMibView"
        case .other(let type, let bytes): "type 0x\(String(type, radix: 16)): \(bytes.count) bytes"
        }
    }
}

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
