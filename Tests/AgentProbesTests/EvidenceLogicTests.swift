import Foundation
import LLDP
import ReadinessModel
import Testing

@testable import AgentProbes

/// An LLDP frame built byte by byte: chassis MAC, port name, TTL, system name, MAC/PHY with a MAU type.
func lldpFrame(chassis: [UInt8] = [0x02, 0, 0, 0, 0, 0x01], port: String = "Gi1/0/24", ttl: UInt16 = 120,
               systemName: String = "sw1", mau: UInt16? = 30) -> [UInt8] {
    func tlv(_ type: UInt8, _ value: [UInt8]) -> [UInt8] {
        [type << 1 | UInt8(value.count >> 8), UInt8(value.count & 0xff)] + value
    }
    var frame: [UInt8] = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e] + chassis + [0x88, 0xcc]
    frame += tlv(1, [4] + chassis)
    frame += tlv(2, [5] + Array(port.utf8))
    frame += tlv(3, [UInt8(ttl >> 8), UInt8(ttl & 0xff)])
    frame += tlv(5, Array(systemName.utf8))
    if let mau { frame += tlv(127, [0x00, 0x12, 0x0f, 0x01, 0x03, 0x00, 0x01, UInt8(mau >> 8), UInt8(mau & 0xff)]) }
    frame += [0, 0]
    return frame
}

@Suite struct LLDPNeighbourTableTests {
    let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    @Test func neighbourExpiresAtArrivalPlusTTL() async throws {
        var table = LLDPNeighbourTable()
        table.insert(try LLDPDU(frame: lldpFrame(ttl: 30)), at: t0)
        #expect(table.neighbours(at: t0).count == 1)
        #expect(table.neighbours(at: t0.addingTimeInterval(29.9)).count == 1)
        #expect(table.neighbours(at: t0.addingTimeInterval(30)).isEmpty)
    }

    @Test func refreshedNeighbourStaysAndShutdownRemovesIt() async throws {
        var table = LLDPNeighbourTable()
        table.insert(try LLDPDU(frame: lldpFrame(ttl: 30)), at: t0)
        table.insert(try LLDPDU(frame: lldpFrame(ttl: 30)), at: t0.addingTimeInterval(20))
        #expect(table.neighbours(at: t0.addingTimeInterval(45)).count == 1)
        table.insert(try LLDPDU(frame: lldpFrame(port: "Gi1/0/25", ttl: 30)), at: t0.addingTimeInterval(21))
        #expect(table.neighbours(at: t0.addingTimeInterval(22)).map(\.pdu.portID.description) == ["Gi1/0/25", "Gi1/0/24"])
        table.insert(try LLDPDU(frame: lldpFrame(ttl: 0)), at: t0.addingTimeInterval(23))
        #expect(table.neighbours(at: t0.addingTimeInterval(23)).map(\.pdu.portID.description) == ["Gi1/0/25"])
        table.removeExpired(at: t0.addingTimeInterval(60))
        #expect(table == LLDPNeighbourTable())
    }

    @Test func readingCarriesMAUSpeedAndFacts() async throws {
        let neighbour = LLDPNeighbour(pdu: try LLDPDU(frame: lldpFrame(mau: 30)), arrival: t0)
        let reading = neighbour.reading
        #expect(reading.source == .lldp)
        #expect(reading.speedMbps == 1000)
        #expect(reading.facts["system_name"] == "sw1")
        #expect(reading.facts["port_id"] == "Gi1/0/24")
        #expect(reading.facts["chassis_id"] == "02:00:00:00:00:01")
        #expect(reading.facts["autonegotiation"] == "on")
        let noMAC = LLDPNeighbour(pdu: try LLDPDU(frame: lldpFrame(mau: nil)), arrival: t0).reading
        #expect(noMAC.speedMbps == nil)
        #expect(noMAC.error?.contains("MAC/PHY") == true)
    }
}

@Suite struct PortFinderTests {
    let mac: [UInt8] = [0x02, 0xaa, 0, 0, 0, 0x10]
    var rows: [SwitchPortRow] {
        [
            SwitchPortRow(ifIndex: 1, name: "lo", descr: "lo"),
            SwitchPortRow(ifIndex: 10, name: "Gi1/0/1", alias: "uplink-core", descr: "GigabitEthernet1/0/1", physAddress: [2, 0, 0, 0, 0, 1]),
            SwitchPortRow(ifIndex: 24, name: "Gi1/0/24", alias: "UBND server", descr: "GigabitEthernet1/0/24", physAddress: [2, 0, 0, 0, 0, 24]),
        ]
    }

    @Test func configuredNameThenAlias() {
        #expect(PortFinder(selector: PortSelector(ifName: "Gi1/0/24"), rows: rows).byConfiguration()?.row.ifIndex == 24)
        let alias = PortFinder(selector: PortSelector(ifAlias: "uplink-core"), rows: rows).byConfiguration()
        #expect(alias?.row.ifIndex == 10)
        #expect(alias?.match == .ifAlias)
        #expect(PortFinder(selector: PortSelector(ifName: "Gi9/9"), rows: rows).byConfiguration() == nil)
    }

    @Test func neighbourPortIDByNameDescrOrMAC() {
        let finder = PortFinder(selector: PortSelector(), rows: rows)
        #expect(finder.byNeighbourPort(subtype: 5, id: Array("Gi1/0/24".utf8))?.ifIndex == 24)
        #expect(finder.byNeighbourPort(subtype: 7, id: Array("GigabitEthernet1/0/1".utf8))?.ifIndex == 10)
        #expect(finder.byNeighbourPort(subtype: 3, id: [2, 0, 0, 0, 0, 24])?.ifIndex == 24)
        #expect(finder.byNeighbourPort(subtype: 1, id: Array("UBND server".utf8))?.ifIndex == 24)
        #expect(finder.byNeighbourPort(subtype: 3, id: [9, 9, 9, 9, 9, 9]) == nil)
    }

    @Test func remoteTablePointingAtThisHost() {
        let finder = PortFinder(selector: PortSelector(), rows: rows)
        let host = HostIdentity(macAddress: mac, hostname: "ubnd-server.example")
        let remote = [
            LLDPRemoteEntry(localPortNumber: 1, chassisID: [2, 0xbb, 0, 0, 0, 1], portID: [], systemName: "other"),
            LLDPRemoteEntry(localPortNumber: 7, chassisID: mac, portID: Array("eth0".utf8), systemName: nil),
        ]
        let local = [LLDPLocalPort(number: 7, idSubtype: 5, id: Array("Gi1/0/24".utf8), descr: nil)]
        #expect(finder.byRemoteTable(remote, localPorts: local, host: host)?.ifIndex == 24)
        // By the host name when the switch shows another chassis id; the port number taken as ifIndex last.
        let byName = [LLDPRemoteEntry(localPortNumber: 10, chassisID: [1], portID: [], systemName: "UBND-SERVER")]
        #expect(finder.byRemoteTable(byName, localPorts: [], host: host)?.ifIndex == 10)
        #expect(finder.byRemoteTable([remote[0]], localPorts: local, host: host) == nil)
    }

    @Test func speedFromHighSpeedThenIfSpeed() async throws {
        #expect(try SwitchPortRow(ifIndex: 1, highSpeedMbps: 1000, speedBps: 1_000_000_000).speed.get().from == "ifHighSpeed")
        let fallback = try SwitchPortRow(ifIndex: 1, speedBps: 100_000_000).speed.get()
        #expect(fallback.mbps == 100)
        #expect(fallback.from == "ifSpeed")
        #expect(throws: SwitchPortError.self) { try SwitchPortRow(ifIndex: 1, speedBps: 4_294_967_295).speed.get() }
        #expect(throws: SwitchPortError.self) { try SwitchPortRow(ifIndex: 1, highSpeedMbps: 0, speedBps: 0).speed.get() }
    }
}

@Suite struct CounterRateTests {
    @Test func wrapOf32BitCounter() {
        #expect(CounterRate.delta(old: 100, new: 600, bits: 32) == 500)
        #expect(CounterRate.delta(old: 4_294_967_000, new: 704, bits: 32) == 1000)
        #expect(CounterRate.delta(old: 1000, new: 10, bits: 64) == nil)
        #expect(CounterRate.delta(old: 5_000_000_000, new: 10, bits: 32) == nil)
    }

    @Test func rateAndUtilisation() async throws {
        let bps = try #require(CounterRate.bitsPerSecond(bytes: 125_000_000, seconds: 2))
        #expect(bps == 500_000_000)
        #expect(CounterRate.utilisationPercent(bitsPerSecond: bps, speedMbps: 1000) == 50)
        #expect(CounterRate.bitsPerSecond(bytes: 1, seconds: 0) == nil)
        #expect(CounterRate.utilisationPercent(bitsPerSecond: 1, speedMbps: 0) == nil)
    }
}

@Suite struct TrafficAccumulatorTests {
    @Test func directionsBucketsMeanAndPeak() {
        // A frame starts with its destination MAC, then its source MAC.
        let own: [UInt8] = [2, 0, 0, 0, 0, 1], other: [UInt8] = [2, 0, 0, 0, 0, 2]
        let t0 = Date(timeIntervalSince1970: 1_750_000_000)
        var meter = TrafficAccumulator(ownMAC: own, start: t0)
        for i in 0..<10 { meter.add(frame: own + other, originalLength: 1000, at: t0.addingTimeInterval(Double(i) * 0.1)) }
        for i in 0..<4 { meter.add(frame: other + own, originalLength: 500, at: t0.addingTimeInterval(1.5 + Double(i) * 0.1)) }
        meter.add(frame: own + other, originalLength: 1000, at: t0.addingTimeInterval(5))   // after the window
        meter.add(frame: [1, 2], originalLength: 60, at: t0)                                // too short to tell
        let summary = meter.summary(seconds: 2, interface: "eth0")
        #expect(summary.rx?.bytes == 10_000)
        #expect(summary.rx?.packets == 10)
        #expect(summary.rx?.meanBitsPerSecond == 40_000)
        #expect(summary.rx?.peakBitsPerSecond == 80_000)
        #expect(summary.rx?.peakPacketsPerSecond == 10)
        #expect(summary.tx?.bytes == 2000)
        #expect(summary.tx?.meanPacketsPerSecond == 2)
        #expect(summary.windowSeconds == 2)
    }
}
