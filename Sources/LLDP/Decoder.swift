extension LLDPDU {
    /// Decodes an Ethernet II frame (destination, source, ethertype; at most one 802.1Q tag) carrying LLDP.
    ///
    /// The LLDPDU must start with the Chassis ID, Port ID and TTL TLVs and end with an End of LLDPDU TLV;
    /// bytes after that (Ethernet padding) are ignored. So every cut of a valid frame before its End TLV
    /// is rejected with an error, never decoded as a shorter LLDPDU. Never traps on any input.
    public init(frame: [UInt8]) throws(LLDPDecodingError) {
        guard frame.count >= 14,
              let destination = MACAddress(frame[0..<6]),
              let source = MACAddress(frame[6..<12]) else {
            throw LLDPDecodingError(.truncatedFrame, "Ethernet header needs 14 bytes, frame has \(frame.count)",
                                    offset: 0)
        }
        var etherType = UInt16(frame[12]) << 8 | UInt16(frame[13])
        var offset = 14
        var vlanID: UInt16?
        if etherType == 0x8100 {
            guard frame.count >= 18 else {
                throw LLDPDecodingError(.truncatedFrame, "802.1Q tag needs 4 more bytes", offset: 14)
            }
            vlanID = (UInt16(frame[14]) << 8 | UInt16(frame[15])) & 0x0fff
            etherType = UInt16(frame[16]) << 8 | UInt16(frame[17])
            offset = 18
        }
        guard etherType == LLDPDU.etherType else {
            let hex = String(etherType, radix: 16)
            throw LLDPDecodingError(.notLLDP, "ethertype 0x\(hex) is not LLDP (0x88cc)", offset: offset - 2)
        }

        var tlvs = TLVReader(frame: frame, offset: offset)
        let chassis = try tlvs.mandatory(type: 1, name: "Chassis ID")
        let port = try tlvs.mandatory(type: 2, name: "Port ID")
        let ttl = try tlvs.mandatory(type: 3, name: "TTL")

        self.init(destination: destination, source: source, vlanID: vlanID,
                  chassisID: try decodeChassisID(chassis, frame: frame),
                  portID: try decodePortID(port, frame: frame),
                  ttl: try decodeTTL(ttl, frame: frame),
                  managementAddresses: [], otherTLVs: [])

        while true {
            guard let tlv = try tlvs.next() else {
                throw LLDPDecodingError(.truncatedFrame, "LLDPDU ends without an End of LLDPDU TLV",
                                        offset: tlvs.offset)
            }
            switch tlv.type {
            case 0:
                guard tlv.length == 0 else {
                    throw tlv.error(.badTLVLength, "End of LLDPDU TLV must have length 0, has \(tlv.length)")
                }
                return
            case 1, 2, 3:
                throw tlv.error(.duplicateTLV, "\(tlv.name) TLV appears more than once")
            case 4: portDescription = try tlv.once(portDescription, frame: frame)
            case 5: systemName = try tlv.once(systemName, frame: frame)
            case 6: systemDescription = try tlv.once(systemDescription, frame: frame)
            case 7:
                guard systemCapabilities == nil else {
                    throw tlv.error(.duplicateTLV, "System Capabilities TLV appears more than once")
                }
                guard tlv.length == 4 else {
                    throw tlv.error(.badTLVLength, "System Capabilities TLV must be 4 bytes, is \(tlv.length)")
                }
                let v = tlv.valueStart
                systemCapabilities = SystemCapabilities(
                    supported: .init(rawValue: UInt16(frame[v]) << 8 | UInt16(frame[v + 1])),
                    enabled: .init(rawValue: UInt16(frame[v + 2]) << 8 | UInt16(frame[v + 3])))
            case 8: managementAddresses.append(try decodeManagementAddress(tlv, frame: frame))
            case 127:
                guard tlv.length >= 4 else {
                    throw tlv.error(.badTLVLength, "organizationally specific TLV needs OUI and subtype (4 bytes), has \(tlv.length)")
                }
                let v = tlv.valueStart
                if frame[v] == 0x00, frame[v + 1] == 0x12, frame[v + 2] == 0x0f, frame[v + 3] == 1 {
                    guard macPhy == nil else {
                        throw tlv.error(.duplicateTLV, "802.3 MAC/PHY TLV appears more than once")
                    }
                    macPhy = try decodeMACPHY(tlv, frame: frame)
                } else {
                    otherTLVs.append(RawTLV(type: tlv.type, value: Array(frame[v..<tlv.end])))
                }
            default:
                otherTLVs.append(RawTLV(type: tlv.type, value: Array(frame[tlv.valueStart..<tlv.end])))
            }
        }
    }
}

/// One TLV's position in the frame; `end` is always within the frame.
struct TLVPosition {
    let type: UInt8
    let length: Int
    let headerOffset: Int
    var valueStart: Int { headerOffset + 2 }
    var end: Int { valueStart + length }

    var name: String {
        switch type {
        case 0: "End of LLDPDU"
        case 1: "Chassis ID"
        case 2: "Port ID"
        case 3: "TTL"
        case 4: "Port Description"
        case 5: "System Name"
        case 6: "System Description"
        case 7: "System Capabilities"
        case 8: "Management Address"
        case 127: "organizationally specific"
        default: "type \(type)"
        }
    }

    func error(_ code: LLDPDecodingError.Code, _ message: String) -> LLDPDecodingError {
        LLDPDecodingError(code, message, offset: headerOffset)
    }

    /// A string TLV that may appear at most once; invalid UTF-8 is repaired rather than rejected.
    func once(_ existing: String?, frame: [UInt8]) throws(LLDPDecodingError) -> String {
        guard existing == nil else { throw error(.duplicateTLV, "\(name) TLV appears more than once") }
        return String(decoding: frame[valueStart..<end], as: UTF8.self)
    }
}

struct TLVReader {
    let frame: [UInt8]
    var offset: Int

    init(frame: [UInt8], offset: Int) {
        self.frame = frame
        self.offset = offset
    }

    /// The next TLV, or `nil` when the frame ends exactly at a TLV boundary.
    mutating func next() throws(LLDPDecodingError) -> TLVPosition? {
        if offset == frame.count { return nil }
        guard offset + 2 <= frame.count else {
            throw LLDPDecodingError(.truncatedTLV, "TLV header needs 2 bytes, \(frame.count - offset) left",
                                    offset: offset)
        }
        let header = UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
        let tlv = TLVPosition(type: UInt8(header >> 9), length: Int(header & 0x01ff), headerOffset: offset)
        guard tlv.end <= frame.count else {
            throw tlv.error(.truncatedTLV,
                            "\(tlv.name) TLV declares \(tlv.length) bytes, \(frame.count - tlv.valueStart) left")
        }
        offset = tlv.end
        return tlv
    }

    mutating func mandatory(type: UInt8, name: String) throws(LLDPDecodingError) -> TLVPosition {
        let start = offset
        guard let tlv = try next() else {
            throw LLDPDecodingError(.missingMandatoryTLV, "expected \(name) TLV, the frame ends", offset: start)
        }
        guard tlv.type == type else {
            throw tlv.error(.missingMandatoryTLV, "expected \(name) TLV, found \(tlv.name) TLV")
        }
        return tlv
    }
}

private func decodeIDValue(subtype: UInt8, bytes: ArraySlice<UInt8>, macSubtype: UInt8,
                           addressSubtype: UInt8) -> IDValue {
    if subtype == macSubtype { return MACAddress(bytes).map(IDValue.mac) ?? .bytes(Array(bytes)) }
    if subtype == addressSubtype, let family = bytes.first {
        return .networkAddress(NetworkAddress(family: family, bytes: Array(bytes.dropFirst())))
    }
    // Every other defined subtype is a name; reserved ones are kept as bytes.
    guard (1...7).contains(subtype), let text = String(validating: bytes, as: UTF8.self) else {
        return .bytes(Array(bytes))
    }
    return .text(text)
}

private func decodeChassisID(_ tlv: TLVPosition, frame: [UInt8]) throws(LLDPDecodingError) -> ChassisID {
    guard (2...256).contains(tlv.length) else {
        throw tlv.error(.badTLVLength, "Chassis ID TLV must be 2–256 bytes, is \(tlv.length)")
    }
    let subtype = frame[tlv.valueStart]
    let value = decodeIDValue(subtype: subtype, bytes: frame[(tlv.valueStart + 1)..<tlv.end],
                              macSubtype: ChassisID.Subtype.macAddress.rawValue,
                              addressSubtype: ChassisID.Subtype.networkAddress.rawValue)
    return ChassisID(subtype: subtype, value: value)
}

private func decodePortID(_ tlv: TLVPosition, frame: [UInt8]) throws(LLDPDecodingError) -> PortID {
    guard (2...256).contains(tlv.length) else {
        throw tlv.error(.badTLVLength, "Port ID TLV must be 2–256 bytes, is \(tlv.length)")
    }
    let subtype = frame[tlv.valueStart]
    let value = decodeIDValue(subtype: subtype, bytes: frame[(tlv.valueStart + 1)..<tlv.end],
                              macSubtype: PortID.Subtype.macAddress.rawValue,
                              addressSubtype: PortID.Subtype.networkAddress.rawValue)
    return PortID(subtype: subtype, value: value)
}

private func decodeTTL(_ tlv: TLVPosition, frame: [UInt8]) throws(LLDPDecodingError) -> UInt16 {
    guard tlv.length == 2 else { throw tlv.error(.badTLVLength, "TTL TLV must be 2 bytes, is \(tlv.length)") }
    return UInt16(frame[tlv.valueStart]) << 8 | UInt16(frame[tlv.valueStart + 1])
}

private func decodeManagementAddress(_ tlv: TLVPosition,
                                     frame: [UInt8]) throws(LLDPDecodingError) -> ManagementAddress {
    // address string length (1) | subtype (1) | address (1–31) | numbering subtype (1) | number (4) |
    // OID length (1) | OID (0–128)
    guard (9...167).contains(tlv.length) else {
        throw tlv.error(.badTLVLength, "Management Address TLV must be 9–167 bytes, is \(tlv.length)")
    }
    var at = tlv.valueStart
    let addressStringLength = Int(frame[at])
    guard (2...32).contains(addressStringLength), at + 1 + addressStringLength + 6 <= tlv.end else {
        throw tlv.error(.badTLVLength,
                        "Management Address TLV: address string length \(addressStringLength) does not fit")
    }
    let address = NetworkAddress(family: frame[at + 1],
                                 bytes: Array(frame[(at + 2)..<(at + 1 + addressStringLength)]))
    at += 1 + addressStringLength
    let numbering = frame[at]
    let number = frame[(at + 1)..<(at + 5)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    let oidLength = Int(frame[at + 5])
    guard at + 6 + oidLength == tlv.end else {
        throw tlv.error(.badTLVLength, "Management Address TLV: OID length \(oidLength) does not match the TLV")
    }
    return ManagementAddress(address: address, interfaceNumberingSubtype: numbering, interfaceNumber: number,
                             objectIdentifier: Array(frame[(at + 6)..<tlv.end]))
}

private func decodeMACPHY(_ tlv: TLVPosition, frame: [UInt8]) throws(LLDPDecodingError) -> MACPHYStatus {
    // OUI (3) | subtype (1) | autoneg support/status (1) | advertised capability (2) | MAU type (2)
    guard tlv.length == 9 else {
        throw tlv.error(.badTLVLength, "802.3 MAC/PHY TLV must be 9 bytes, is \(tlv.length)")
    }
    let v = tlv.valueStart + 4
    return MACPHYStatus(autonegotiationSupported: frame[v] & 0x01 != 0,
                        autonegotiationEnabled: frame[v] & 0x02 != 0,
                        advertisedCapabilities: UInt16(frame[v + 1]) << 8 | UInt16(frame[v + 2]),
                        operationalMAUType: MAUType(rawValue: UInt16(frame[v + 3]) << 8 | UInt16(frame[v + 4])))
}
