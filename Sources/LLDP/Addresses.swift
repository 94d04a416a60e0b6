/// A 48-bit IEEE 802 address, rendered as `aa:bb:cc:dd:ee:ff`.
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// `nil` unless `bytes` has exactly six elements.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        self.bytes = Array(bytes)
    }

    public var description: String { bytes.map(hex2).joined(separator: ":") }
}

/// An address with its IANA address family number (1 = IPv4, 2 = IPv6, 6 = IEEE 802), as carried by
/// the chassis/port ID network-address subtype and the Management Address TLV.
public struct NetworkAddress: Sendable, Hashable, CustomStringConvertible {
    public static let ipv4Family: UInt8 = 1
    public static let ipv6Family: UInt8 = 2
    public static let ieee802Family: UInt8 = 6

    public let family: UInt8
    public let bytes: [UInt8]

    public init(family: UInt8, bytes: [UInt8]) {
        self.family = family
        self.bytes = bytes
    }

    /// IPv4 dotted quad, IPv6 in RFC 5952 form, a MAC address, or `family N: hex` for anything else.
    public var description: String {
        switch (family, bytes.count) {
        case (Self.ipv4Family, 4): return bytes.map(String.init).joined(separator: ".")
        case (Self.ipv6Family, 16): return ipv6String(bytes)
        case (Self.ieee802Family, 6): return MACAddress(bytes)?.description ?? ""
        default: return "family \(family): \(bytes.map(hex2).joined())"
        }
    }
}

func hex2(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
}

/// RFC 5952: lower-case hex, leading zeros dropped, the longest run (≥ 2) of zero groups shown as `::`.
func ipv6String(_ bytes: [UInt8]) -> String {
    let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
    var bestStart = -1, bestLength = 0, runStart = -1
    for index in 0...groups.count {
        if index < groups.count, groups[index] == 0 {
            if runStart < 0 { runStart = index }
        } else if runStart >= 0 {
            if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
            runStart = -1
        }
    }
    let text = groups.map { String($0, radix: 16) }
    guard bestLength >= 2 else { return text.joined(separator: ":") }
    let head = text[..<bestStart].joined(separator: ":")
    let tail = text[(bestStart + bestLength)...].joined(separator: ":")
    return head + "::" + tail
}
