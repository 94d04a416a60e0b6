import Foundation
import ReadinessModel
import Testing
import TestSupport

@testable import AgentProbes

@Suite struct DefaultRouteTests {
    static let header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"

    @Test(arguments: [
        // One default route.
        ("eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0", "eth0"),
        // Two default routes: the lower metric wins.
        ("wan0\t00000000\t010200C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\neno1\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0", "eno1"),
        // A default route that is not up (flags without RTF_UP) does not count.
        ("eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0", nil),
        // No default route at all.
        ("eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0", nil),
        // Garbage lines are ignored.
        ("garbage\nmore garbage here", nil),
    ] as [(String, String?)])
    func findsTheDefaultRouteInterface(table: String, expected: String?) {
        #expect(DefaultRoute.interface(inRouteTable: Self.header + "\n" + table) == expected)
    }
}

/// NIC evidence read from a sysfs-shaped tree built by the test: the parsing, without a kernel.
@Suite struct NICEvidenceFromTreeTests {
    func withTree(_ files: [String: String], _ body: (NICProbe) async throws -> Void) async throws {
        try await withTemporaryDirectory { root in
            for (path, content) in files {
                let url = root.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try content.write(to: url, atomically: true, encoding: .utf8)
            }
            try await body(NICProbe(configuration: .init(sysfsRoot: root.path, routeTable: root.appendingPathComponent("route").path, useEthtool: false)))
        }
    }

    @Test func readsEveryField() async throws {
        try await withTree([
            "eno1/speed": "10000\n", "eno1/duplex": "full\n", "eno1/carrier": "1\n", "eno1/operstate": "up\n",
            "eno1/mtu": "9000\n", "eno1/address": "3c:ec:ef:00:00:01\n",
            "eno1/statistics/rx_bytes": "123456789012\n", "eno1/statistics/tx_bytes": "42\n",
            "eno1/statistics/rx_errors": "3\n", "eno1/statistics/tx_dropped": "7\n",
        ]) { probe in
            let nic = try probe.evidence(interface: "eno1")
            #expect(nic.speedMbps == 10_000)
            #expect(nic.duplex == "full")
            #expect(nic.carrier == true)
            #expect(nic.operState == "up")
            #expect(nic.mtu == 9000)
            #expect(nic.macAddress == "3c:ec:ef:00:00:01")
            #expect(nic.counters.rxBytes == 123_456_789_012)
            #expect(nic.counters.txBytes == 42)
            #expect(nic.counters.rxErrors == 3)
            #expect(nic.counters.txDropped == 7)
            #expect(nic.counters.rxDropped == nil)
        }
    }

    @Test(arguments: ["-1", "0", "garbage"])
    func unknownSpeedIsUnknownNotZero(raw: String) async throws {
        try await withTree(["eth0/speed": raw, "eth0/operstate": "up", "eth0/duplex": "unknown"]) { probe in
            let nic = try probe.evidence(interface: "eth0")
            #expect(nic.speedMbps == nil)
            #expect(nic.duplex == nil)
            #expect(nic.unreadable["speed"]?.contains(raw) == true)
        }
    }

    @Test func unreadableSpeedFileIsUnknown() async throws {
        try await withTree(["lo0/operstate": "unknown"]) { probe in
            let nic = try probe.evidence(interface: "lo0")
            #expect(nic.speedMbps == nil)
            #expect(nic.unreadable["speed"] == "not readable")
        }
    }

    @Test func missingInterfaceIsAnError() async throws {
        try await withTree(["eth0/speed": "1000"]) { probe in
            let error = #expect(throws: NICError.self) { try probe.evidence(interface: "eth9") }
            #expect(error?.code == .noSuchInterface)
        }
    }

    @Test func autoWithoutDefaultRouteIsAnError() async throws {
        try await withTree(["eth0/speed": "1000"]) { probe in
            let error = #expect(throws: NICError.self) { try probe.resolve("auto") }
            #expect(error?.code == .noDefaultRoute)
        }
    }

    @Test func readingCarriesSpeedOrTheError() async throws {
        try await withTree(["eth0/speed": "2500", "eth0/duplex": "full", "eth1/speed": "-1"]) { probe in
            let known = await probe.reading(interface: "eth0")
            let unknown = await probe.reading(interface: "eth1")
            #expect(known.source == .nic && known.speedMbps == 2500 && known.error == nil)
            #expect(known.facts["duplex"] == "full")
            #expect(unknown.speedMbps == nil)
            #expect(unknown.error?.contains("eth1") == true)
        }
    }
}

/// The real kernel: a veth pair made by the test reports 10000 Mb/s full duplex, driver veth.
@Suite struct NICEvidenceFromKernelTests {
    @Test func vethPairReportsItsRealSettings() async throws {
        let pair = try await LocalVethPair()
        let probe = NICProbe()
        try await waitUntil(timeout: 20, "carrier on \(pair.name)") { try probe.evidence(interface: pair.name).carrier == true }
        let nic = try probe.evidence(interface: pair.name)
        #expect(nic.speedMbps == 10_000)
        #expect(nic.duplex == "full")
        #expect(nic.driver == "veth")
        #expect(nic.operState == "up")
        #expect(nic.mtu == 1500)
        #expect(try probe.interfaces().contains(pair.name))

        // The peer going down takes the carrier away: the evidence follows the kernel.
        try await run(["ip", "link", "set", pair.peer, "down"])
        try await waitUntil(timeout: 20, "carrier loss on \(pair.name)") { try probe.evidence(interface: pair.name).carrier == false }
    }

    @Test func defaultRouteOfThisHostIsAnInterfaceThatExists() async throws {
        let probe = NICProbe()
        let uplink = try #require(probe.defaultRouteInterface(), "this host (and CI's) has an IPv4 default route")
        #expect(try probe.interfaces().contains(uplink))
        #expect(try probe.resolve("auto") == uplink)
    }
}
