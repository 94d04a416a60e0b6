/// An SNMP object identifier: a sequence of sub-identifiers, written `1.3.6.1.2.1.1.5.0`.
public struct OID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Sub-identifiers; each fits in 32 bits (RFC 2578), stored as the library's `oid` (unsigned long).
    public let components: [UInt]

    /// The most sub-identifiers an OID may have (RFC 2578, and net-snmp's `MAX_OID_LEN`).
    public static let maximumLength = 128

    /// At least two sub-identifiers: BER encodes the first two as one, so a shorter OID cannot be sent.
    public init(_ components: [UInt]) throws(SNMPError) {
        guard (2...Self.maximumLength).contains(components.count) else {
            throw SNMPError(.badOID, "an OID has 2 to \(Self.maximumLength) sub-identifiers, not \(components.count)")
        }
        guard components.allSatisfy({ $0 <= UInt(UInt32.max) }) else {
            throw SNMPError(.badOID, "a sub-identifier of \(components) does not fit in 32 bits")
        }
        self.components = components
    }

    /// Parses dotted numeric notation, with or without a leading dot (`1.3.6.1`, `.1.3.6.1`). MIB names are
    /// not resolved: the wrapper loads no MIB files.
    public init(_ string: String) throws(SNMPError) {
        let body = string.hasPrefix(".") ? string.dropFirst() : Substring(string)
        var components: [UInt] = []
        for part in body.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.allSatisfy(\.isASCII), let value = UInt32(part) else {
                throw SNMPError(.badOID, "\"\(string)\" is not a numeric OID such as 1.3.6.1.2.1.1.5.0")
            }
            components.append(UInt(value))
        }
        try self.init(components)
    }

    /// Library-decoded OIDs: trusted to be well-formed.
    package init(unchecked components: [UInt]) { self.components = components }

    /// This OID followed by more sub-identifiers, e.g. a column OID and a row index.
    public func appending(_ more: UInt...) throws(SNMPError) -> OID { try OID(components + more) }

    /// True when `other` starts with this OID (an OID is a prefix of itself).
    public func isPrefix(of other: OID) -> Bool {
        other.components.count >= components.count && other.components.starts(with: components)
    }

    public var description: String { components.map(String.init).joined(separator: ".") }

    /// Lexicographic order of sub-identifiers: the order of GETNEXT and of a walk.
    public static func < (lhs: OID, rhs: OID) -> Bool {
        lhs.components.lexicographicallyPrecedes(rhs.components)
    }
}

/// One variable binding of a response: a name and its value.
public struct VarBind: Hashable, Sendable, CustomStringConvertible {
    public let oid: OID
    public let value: SNMPValue

    public init(oid: OID, value: SNMPValue) {
        self.oid = oid
        self.value = value
    }

    public var description: String { "\(oid) = \(value)" }
}
