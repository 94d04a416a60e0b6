import LLDP
import Testing
import TestSupport

// Frames are built byte by byte here, independently of the decoder.

func tlv(_ type: UInt8, _ value: [UInt8]) -> [UInt8] {
    let header = UInt16(type) << 9 | UInt16(value.count)
    return [UInt8(header >> 8), UInt8(header & 0xff)] + value
}

let lldpMulticast: [UInt8] = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]
let switchMAC: [UInt8] = [0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]

func ethernet(_ payload: [UInt8], vlan: UInt16? = nil, etherType: UInt16 = 0x88cc) -> [UInt8] {
    var frame = lldpMulticast + switchMAC
    if let vlan { frame += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xff)] }
    return frame + [UInt8(etherType >> 8), UInt8(etherType & 0xff)] + payload
}

func macPhyTLV(mau: UInt16, autoneg: UInt8 = 0x03, advertised: UInt16 = 0x6c01) -> [UInt8] {
    tlv(127, [0x00, 0x12, 0x0f, 0x01, autoneg, UInt8(advertised >> 8), UInt8(advertised & 0xff),
              UInt8(mau >> 8), UInt8(mau & 0xff)])
}

/// A frame like a switch sends: every TLV the decoder knows, plus an unknown organizational TLV.
func fullFrame(vlan: UInt16? = nil, mau: UInt16 = 54) -> [UInt8] {
    var pdu: [UInt8] = []
    pdu += tlv(1, [4] + switchMAC)                                   // chassis: MAC
    pdu += tlv(2, [5] + Array("Gi1/0/24".utf8))                     // port: interface name
    pdu += tlv(3, [0x00, 0x78])                                     // TTL 120
    pdu += tlv(4, Array("uplink to office".utf8))
    pdu += tlv(5, Array("sansang-sw1".utf8))
    pdu += tlv(6, Array("Example switch OS 1.0".utf8))
    pdu += tlv(7, [0x00, 0x14, 0x00, 0x04])                         // bridge+router / bridge
    pdu += tlv(8, [5, 1, 198, 18, 1, 2, 2, 0, 0, 0, 7, 0])          // IPv4 198.18.1.2, ifIndex 7
    pdu += tlv(8, [17, 2, 0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
                  + [3, 0, 0, 0, 24, 2, 0x2b, 0x06])                // IPv6 2001:db8::1, port 24, OID
    pdu += macPhyTLV(mau: mau)
    pdu += tlv(127, [0x00, 0x80, 0xc2, 0x01, 0x00, 0x01])           // 802.1 PVID, kept raw
    pdu += tlv(0, [])
    return ethernet(pdu, vlan: vlan) + [UInt8](repeating: 0, count: 4) // Ethernet padding
}

@Suite struct DecodingTests {
    @Test func decodesEveryField() async throws {
        let pdu = try LLDPDU(frame: fullFrame())
        #expect(pdu.destination.description == "01:80:c2:00:00:0e")
        #expect(pdu.source.description == "02:1a:2b:3c:4d:5e")
        #expect(pdu.vlanID == nil)
        #expect(pdu.chassisID.kind == .macAddress)
        #expect(pdu.chassisID.description == "02:1a:2b:3c:4d:5e")
        #expect(pdu.portID.kind == .interfaceName)
        #expect(pdu.portID.value == .text("Gi1/0/24"))
        #expect(pdu.ttl == 120)
        #expect(pdu.portDescription == "uplink to office")
        #expect(pdu.systemName == "sansang-sw1")
        #expect(pdu.systemDescription == "Example switch OS 1.0")
        #expect(pdu.systemCapabilities?.supported == [.bridge, .router])
        #expect(pdu.systemCapabilities?.enabled == [.bridge])
        #expect(pdu.managementAddresses.map(\.address.description) == ["198.18.1.2", "2001:db8::1"])
        #expect(pdu.managementAddresses.map(\.interfaceNumber) == [7, 24])
        #expect(pdu.managementAddresses.map(\.interfaceNumberingSubtype) == [2, 3])
        #expect(pdu.managementAddresses[1].objectIdentifier == [0x2b, 0x06])
        let macPhy = try #require(pdu.macPhy)
        #expect(macPhy.autonegotiationSupported && macPhy.autonegotiationEnabled)
        #expect(macPhy.advertisedCapabilities == 0x6c01)
        #expect(macPhy.operationalMAUType.rawValue == 54)
        #expect(macPhy.operationalMAUType.name == "10GbaseT")
        #expect(macPhy.operationalMAUType.speedMbps == 10_000)
        #expect(pdu.otherTLVs == [RawTLV(type: 127, value: [0x00, 0x80, 0xc2, 0x01, 0x00, 0x01])])
    }

    @Test func decodesVLANTaggedFrame() async throws {
        let pdu = try LLDPDU(frame: fullFrame(vlan: 0x2064))   // PCP 1, VID 100
        #expect(pdu.vlanID == 100)
        #expect(pdu.systemName == "sansang-sw1")
    }

    @Test func minimalFrameHasNoOptionalFields() async throws {
        let frame = ethernet(tlv(1, [7] + Array("sw".utf8)) + tlv(2, [3] + switchMAC) + tlv(3, [0, 0]) + tlv(0, []))
        let pdu = try LLDPDU(frame: frame)
        #expect(pdu.chassisID == ChassisID(subtype: 7, value: .text("sw")))
        #expect(pdu.portID == PortID(subtype: 3, value: .mac(MACAddress(switchMAC)!)))
        #expect(pdu.ttl == 0)
        #expect(pdu.portDescription == nil && pdu.systemName == nil && pdu.systemDescription == nil)
        #expect(pdu.systemCapabilities == nil && pdu.macPhy == nil)
        #expect(pdu.managementAddresses.isEmpty && pdu.otherTLVs.isEmpty)
    }

    @Test(arguments: [
        ([UInt8(1), 10, 0, 0, 1], "10.0.0.1"),
        ([2, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "fe80::1"),
        ([2, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8:0:1::1"),
        ([2, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:1:1:1:1:1:1"),
        ([6] + [0x00, 0x11, 0x22, 0x33, 0x44, 0x55], "00:11:22:33:44:55"),
        ([9, 0xab, 0xcd], "family 9: abcd"),
    ])
    func chassisNetworkAddress(value: [UInt8], rendered: String) throws {
        let frame = ethernet(tlv(1, [5] + value) + tlv(2, [7, 0x31]) + tlv(3, [0, 120]) + tlv(0, []))
        let pdu = try LLDPDU(frame: frame)
        #expect(pdu.chassisID.kind == .networkAddress)
        #expect(pdu.chassisID.description == rendered)
    }

    @Test func oddIDValuesAreKeptAsBytes() async throws {
        // A "MAC" of 5 bytes, invalid UTF-8 in a name, a reserved subtype.
        let frame = ethernet(tlv(1, [4, 1, 2, 3, 4, 5]) + tlv(2, [5, 0xff, 0xfe]) + tlv(3, [0, 1])
                             + tlv(9, [0xaa]) + tlv(0, []))
        let pdu = try LLDPDU(frame: frame)
        #expect(pdu.chassisID.value == .bytes([1, 2, 3, 4, 5]))
        #expect(pdu.portID.value == .bytes([0xff, 0xfe]))
        #expect(pdu.otherTLVs == [RawTLV(type: 9, value: [0xaa])])
    }
}

@Suite struct MAUTypeTests {
    @Test(arguments: [
        (UInt16(5), 10, Duplex.unknown), (10, 10, .half), (11, 10, .full),
        (15, 100, .half), (16, 100, .full),
        (22, 1000, .full), (24, 1000, .full), (26, 1000, .full), (29, 1000, .half), (30, 1000, .full),
        (103, 2500, .full), (104, 5000, .full),
        (31, 10_000, .full), (33, 10_000, .full), (34, 10_000, .full), (35, 10_000, .full),
        (36, 10_000, .full), (41, 10_000, .full), (54, 10_000, .full), (55, 10_000, .full),
        (88, 25_000, .full), (90, 25_000, .full), (92, 25_000, .full), (93, 25_000, .full), (94, 25_000, .full),
        (70, 40_000, .full), (71, 40_000, .full), (72, 40_000, .full), (74, 40_000, .full), (95, 40_000, .full),
        (75, 100_000, .full), (76, 100_000, .full), (77, 100_000, .full), (78, 100_000, .full),
        (98, 100_000, .full), (102, 100_000, .full),
    ] as [(UInt16, Int, Duplex)])
    func mapsSpeedAndDuplex(mau: UInt16, speed: Int, duplex: Duplex) throws {
        let pdu = try LLDPDU(frame: fullFrame(mau: mau))
        let type = try #require(pdu.macPhy?.operationalMAUType)
        #expect(type.rawValue == mau)
        #expect(type.speedMbps == speed)
        #expect(type.duplex == duplex)
        #expect(type.name != nil)
    }

    @Test func namesFollowIANA() {
        #expect(MAUType(rawValue: 16).name == "100BaseTXFD")
        #expect(MAUType(rawValue: 41).name == "10GigBaseCX4")
        #expect(MAUType(rawValue: 93).name == "25GbaseSR")
        #expect(MAUType(rawValue: 102).name == "100GbaseSR4")
        #expect(MAUType(rawValue: 103).name == "2p5GigT")
    }

    @Test func unknownAndSpeedlessTypes() {
        #expect(MAUType(rawValue: 0).speedMbps == nil)
        #expect(MAUType(rawValue: 1).speedMbps == nil)        // AUI
        #expect(MAUType(rawValue: 59).speedMbps == nil)       // 10G/1G asymmetric EPON
        #expect(MAUType(rawValue: 999).name == nil)
        #expect(MAUType(rawValue: 999).duplex == .unknown)
        #expect(MAUType(rawValue: 999).description == "MAU type 999")
    }
}

@Suite struct MalformedFrameTests {
    func code(_ frame: [UInt8]) -> LLDPDecodingError.Code? {
        do { _ = try LLDPDU(frame: frame); return nil } catch { return error.code }
    }

    @Test func everyCutBeforeTheEndTLVIsAnError() async throws {
        for vlan in [nil, UInt16(7)] {
            let frame = fullFrame(vlan: vlan)
            let endTLV = frame.count - 4 - 2                   // padding, End TLV
            for cut in 0..<(endTLV + 2) {
                let code = code(Array(frame[..<cut]))
                #expect(code != nil, "cut at \(cut) decoded")
                // A cut inside a TLV is truncatedTLV; anywhere else the frame or the LLDPDU is short.
                #expect([.truncatedFrame, .truncatedTLV, .missingMandatoryTLV].contains(code), "cut \(cut): \(String(describing: code))")
            }
            for cut in (endTLV + 2)...frame.count {           // End TLV complete: padding does not matter
                #expect(code(Array(frame[..<cut])) == nil)
            }
        }
    }

    @Test func errorNamesTLVAndOffset() {
        let frame = Array(fullFrame()[..<30])                  // inside the Port ID TLV
        #expect(throws: LLDPDecodingError(.truncatedTLV, "Port ID TLV declares 9 bytes, 5 left", offset: 23)) {
            try LLDPDU(frame: frame)
        }
    }

    @Test(arguments: [UInt16(0x0800), 0x86dd, 0x88cd])
    func wrongEtherType(etherType: UInt16) {
        #expect(code(ethernet(tlv(0, []), etherType: etherType)) == .notLLDP)
        #expect(code(ethernet(tlv(0, []), vlan: 1, etherType: etherType)) == .notLLDP)
    }

    @Test func onlyOneVLANTagIsUnwrapped() {
        #expect(code(ethernet(tlv(0, []), vlan: 1, etherType: 0x8100)) == .notLLDP)
        #expect(code(Array(ethernet([], vlan: 1)[..<16])) == .truncatedFrame)
    }

    @Test func mandatoryTLVsInOrder() {
        let chassis = tlv(1, [7, 0x61]), port = tlv(2, [7, 0x62]), ttl = tlv(3, [0, 9]), end = tlv(0, [])
        #expect(code(ethernet(port + chassis + ttl + end)) == .missingMandatoryTLV)
        #expect(code(ethernet(chassis + ttl + port + end)) == .missingMandatoryTLV)
        #expect(code(ethernet(chassis + port + end)) == .missingMandatoryTLV)
        #expect(code(ethernet(chassis + port)) == .missingMandatoryTLV)
        #expect(code(ethernet(chassis + port + ttl + ttl + end)) == .duplicateTLV)
        #expect(code(ethernet(chassis + port + ttl + tlv(5, []) + tlv(5, []) + end)) == .duplicateTLV)
        #expect(code(ethernet(chassis + port + ttl + macPhyTLV(mau: 16) + macPhyTLV(mau: 16) + end)) == .duplicateTLV)
    }

    @Test func badLengths() {
        let chassis = tlv(1, [7, 0x61]), port = tlv(2, [7, 0x62]), ttl = tlv(3, [0, 9]), end = tlv(0, [])
        #expect(code(ethernet(tlv(1, [4]) + port + ttl + end)) == .badTLVLength)
        #expect(code(ethernet(chassis + tlv(2, []) + ttl + end)) == .badTLVLength)
        #expect(code(ethernet(chassis + port + tlv(3, [0, 0, 1]) + end)) == .badTLVLength)
        #expect(code(ethernet(chassis + port + ttl + tlv(7, [0, 4, 0]) + end)) == .badTLVLength)
        #expect(code(ethernet(chassis + port + ttl + tlv(127, [0, 0x12, 0x0f]) + end)) == .badTLVLength)
        #expect(code(ethernet(chassis + port + ttl + tlv(127, [0, 0x12, 0x0f, 1, 3, 0, 0, 0]) + end)) == .badTLVLength)
        #expect(code(ethernet(chassis + port + ttl + tlv(0, [0]))) == .badTLVLength)
        // Management address: address string longer than the TLV, OID length inconsistent.
        #expect(code(ethernet(chassis + port + ttl + tlv(8, [40, 1, 1, 2, 3, 4, 2, 0, 0, 0, 1, 0]) + end)) == .badTLVLength)
        #expect(code(ethernet(chassis + port + ttl + tlv(8, [5, 1, 1, 2, 3, 4, 2, 0, 0, 0, 1, 3, 1]) + end)) == .badTLVLength)
    }

    @Test func randomGarbageNeverTraps() {
        var generator = SplitMix64(seed: 0x5a45_5a4e)
        let valid = fullFrame()
        for round in 0..<20_000 {
            var frame: [UInt8]
            if round % 2 == 0 {
                // Pure noise behind an LLDP header, so the TLV parser sees it.
                let count = Int(generator.next() % 200)
                frame = ethernet((0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            } else {
                // A valid frame with a few bytes flipped.
                frame = valid
                for _ in 0..<(1 + generator.next() % 4) {
                    let index = 14 + Int(generator.next() % UInt64(frame.count - 14))
                    frame[index] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            _ = try? LLDPDU(frame: frame)
        }
    }
}
