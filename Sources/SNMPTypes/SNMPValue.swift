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

        package init(octets: [UInt8]) { self.octets = octets }

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
