import Foundation
import Testing
import TestSupport

// These tests create namespaces and capture packets: they run as root (CI does). Serialized: each lab uses
// the same addresses in its own namespaces, and lldpd/snmpd are real processes.

@Suite(.serialized) struct EvidenceLabTests {
    @Test func oneGigabitSwitchPortIsAMismatchAndBelowTarget() async throws {
        try await withLab(.init(portHighSpeed: 1000)) { lab in
            let (status, json, stderr) = try await lab.agentJSON([
                "check", "--uplink", lab.officeInterface, "--switch", lab.switchAddress, "--community", Lab.community,
                "--lldp-wait", "10"])
            #expect(reading(json, "nic")?["speed_mbps"] as? Int == 10_000, "\(stderr)")
            let lldp = reading(json, "lldp")
            #expect(lldp?["speed_mbps"] as? Int == 10_000)
            #expect(facts(lldp)["system_name"] == Lab.switchName)
            #expect(facts(lldp)["mau_type"] == "10GbaseT (54)")
            let snmp = reading(json, "snmp")
            #expect(snmp?["speed_mbps"] as? Int == 1000, "\(String(describing: snmp))")
            #expect(facts(snmp)["port"] == lab.switchInterface)
            #expect(facts(snmp)["matched_by"] == "LLDP neighbour's port id")
            #expect(facts(snmp)["oper_status"] == "up")
            #expect(facts(snmp)["in_utilisation_percent"] != nil)
            #expect(reasons(json) == ["SPEED_MISMATCH:lan", "LINK_BELOW_TARGET:lan"])
            #expect(status == 2)
            let lan = ((json["report"] as? [String: Any])?["links"] as? [[String: Any]])?.first
            #expect((lan?["traffic"] as? [String: Any])?["rx"] != nil)

            // The table a technician reads: every source, the trusted one and why.
            let table = try await lab.agent(["check", "--uplink", lab.officeInterface, "--switch", lab.switchAddress,
                                       "--community", Lab.community, "--lldp-wait", "6", "--lang", "en"])
            #expect(table.stdout.contains("Trusted: SNMP (switch port) 1 Gbit/s — the sources disagree"), "\(table.stdout)")
            #expect(table.stdout.contains("system_name=\(Lab.switchName)"))
            #expect(table.stdout.contains("NOT READY (CRITICAL)"))
            let vietnamese = try await lab.agent(["check", "--uplink", lab.officeInterface, "--switch", lab.switchAddress,
                                            "--community", Lab.community, "--lldp-wait", "6"])
            #expect(vietnamese.stdout.contains("Tin cậy: SNMP (cổng switch) 1 Gbit/s — các nguồn không khớp"), "\(vietnamese.stdout)")
            #expect(vietnamese.stdout == vietnamese.stdout.precomposedStringWithCanonicalMapping)
        }
    }

    @Test func tenGigabitSwitchPortIsReady() async throws {
        try await withLab(.init(portHighSpeed: 10_000)) { lab in
            let (status, json, _) = try await lab.agentJSON([
                "check", "--uplink", lab.officeInterface, "--switch", lab.switchAddress, "--community", Lab.community,
                "--lldp-wait", "10"])
            #expect(reading(json, "nic")?["speed_mbps"] as? Int == 10_000)
            #expect(reading(json, "lldp")?["speed_mbps"] as? Int == 10_000)
            #expect(reading(json, "snmp")?["speed_mbps"] as? Int == 10_000)
            #expect(reasons(json).isEmpty)
            #expect((json["verdict"] as? [String: Any])?["state"] as? String == "ready")
            #expect(status == 0)
        }
    }

    @Test func portFoundByConfiguredName() async throws {
        try await withLab(.init(lldpd: false)) { lab in
            let (status, json, stderr) = try await lab.agentJSON([
                "probe", "switch", "--iface", lab.officeInterface, "--switch", lab.switchAddress, "--community", Lab.community,
                "--port-name", lab.switchInterface, "--rate-seconds", "0"])
            #expect(status == 0, "\(stderr)")
            #expect(reading(json, "snmp")?["speed_mbps"] as? Int == 1000)
            #expect(facts(reading(json, "snmp"))["matched_by"] == "configured ifName")
            #expect(facts(reading(json, "snmp"))["speed_from"] == "ifHighSpeed")
        }
    }

    @Test func portFoundBySwitchLLDPRemoteTable() async throws {
        try await withLab(.init(lldpd: false, lldpRemoteRows: true)) { lab in
            let (status, json, stderr) = try await lab.agentJSON([
                "probe", "switch", "--iface", lab.officeInterface, "--switch", lab.switchAddress, "--community", Lab.community,
                "--lldp-wait", "1", "--rate-seconds", "0"])
            #expect(status == 0, "\(stderr)")
            #expect(facts(reading(json, "snmp"))["matched_by"] == "switch's lldpRemTable")
            #expect(facts(reading(json, "snmp"))["port"] == lab.switchInterface)
        }
    }

    @Test func portNotFoundSaysWhatWasTried() async throws {
        try await withLab(.init(lldpd: false)) { lab in
            let run = try await lab.agent(["probe", "switch", "--iface", lab.officeInterface, "--switch", lab.switchAddress,
                                     "--community", Lab.community, "--lldp-wait", "1", "--lang", "en"])
            #expect(run.status == 1)
            #expect(run.stdout.contains("was not found"), "\(run.stdout)")
            #expect(run.stdout.contains("LLDP neighbour (none heard)"))
            #expect(run.stdout.contains("lldpRemTable (empty or absent)"))
        }
    }

    @Test func silentSwitchIsUnknownAndOtherSourcesUnaffected() async throws {
        try await withLab(.init(portHighSpeed: 10_000)) { lab in
            let started = Date()
            let (status, json, _) = try await lab.agentJSON([
                "check", "--uplink", lab.officeInterface, "--switch", "udp:198.18.10.1:1162", "--community", Lab.community,
                "--timeout-ms", "500", "--lldp-wait", "8"])
            let snmp = reading(json, "snmp")
            #expect(snmp?["speed_mbps"] == nil)
            #expect((snmp?["error"] as? String)?.contains("no answer (timeout)") == true, "\(String(describing: snmp))")
            #expect(reading(json, "nic")?["speed_mbps"] as? Int == 10_000)
            #expect(reading(json, "lldp")?["speed_mbps"] as? Int == 10_000)
            #expect(reasons(json).isEmpty)
            #expect(status == 0)
            #expect(Date().timeIntervalSince(started) < 15)
        }
    }

    @Test func slowSwitchIsCutAtTheSourceTimeout() async throws {
        try await withLab(.init(portHighSpeed: 10_000, lldpd: false)) { lab in
            // 2 s per request and a 1 s per-source budget: the check ends on time without the switch.
            let started = Date()
            let (_, json, _) = try await lab.agentJSON([
                "check", "--uplink", lab.officeInterface, "--switch", "udp:198.18.10.1:1162", "--community", Lab.community,
                "--timeout-ms", "2000", "--lldp-wait", "0", "--source-timeout", "1"])
            #expect((reading(json, "snmp")?["error"] as? String)?.contains("per-source timeout") == true)
            #expect(reading(json, "nic")?["speed_mbps"] as? Int == 10_000)
            #expect(Date().timeIntervalSince(started) < 4)
        }
    }

    @Test func wrongV3PassphraseIsAnAuthenticationError() async throws {
        try await withLab(.init(portHighSpeed: 1000)) { lab in
            // Passphrases from private files: a passphrase as a flag's value is refused (every user reads /proc).
            let wrongAuth = try lab.secretFile("wrong-auth", "not-the-secret")
            let auth = try lab.secretFile("auth", Lab.v3Auth)
            let privacy = try lab.secretFile("privacy", Lab.v3Privacy)
            let (_, json, _) = try await lab.agentJSON([
                "check", "--uplink", lab.officeInterface, "--switch", lab.switchAddress, "--v3-user", Lab.v3User,
                "--auth-protocol", "sha256", "--auth-passphrase-file", wrongAuth, "--privacy-passphrase-file", privacy,
                "--lldp-wait", "8"])
            let snmp = reading(json, "snmp")
            #expect(snmp?["speed_mbps"] == nil)
            #expect((snmp?["error"] as? String)?.contains("authentication failed") == true, "\(String(describing: snmp))")
            #expect(reading(json, "nic")?["speed_mbps"] as? Int == 10_000)
            #expect(reading(json, "lldp")?["speed_mbps"] as? Int == 10_000)

            // And with the right passphrase, the same switch reads fine over v3 authPriv.
            let (status, right, _) = try await lab.agentJSON([
                "probe", "switch", "--iface", lab.officeInterface, "--switch", lab.switchAddress, "--v3-user", Lab.v3User,
                "--auth-protocol", "sha256", "--auth-passphrase-file", auth, "--privacy-passphrase-file", privacy,
                "--port-name", lab.switchInterface, "--rate-seconds", "0"])
            #expect(status == 0)
            #expect(reading(right, "snmp")?["speed_mbps"] as? Int == 1000)
        }
    }

    @Test func switchWithoutIfXTableFallsBackToIfSpeed() async throws {
        try await withLab(.init(portHighSpeed: nil, ifXTable: false, portIfSpeed: 1_000_000_000)) { lab in
            let (_, json, _) = try await lab.agentJSON([
                "check", "--uplink", lab.officeInterface, "--switch", lab.switchAddress, "--community", Lab.community,
                "--lldp-wait", "8"])
            let snmp = reading(json, "snmp")
            #expect(snmp?["speed_mbps"] as? Int == 1000, "\(String(describing: snmp))")
            #expect(facts(snmp)["speed_from"] == "ifSpeed")
            #expect(facts(snmp)["notes"]?.contains("no ifXTable") == true)
            // Without ifName the port is found by the LLDP neighbour's port id (the MAC, via ifPhysAddress).
            #expect(facts(snmp)["matched_by"] == "LLDP neighbour's port id")
            #expect(reading(json, "lldp")?["speed_mbps"] as? Int == 10_000)
            #expect(reasons(json) == ["SPEED_MISMATCH:lan", "LINK_BELOW_TARGET:lan"])
        }
    }

    @Test func trafficMeterMeasuresAKnownAmount() async throws {
        try await withLab(.init(lldpd: false)) { lab in
            // 300 UDP datagrams of 1000 bytes (1042-byte frames) at about 100/s from the switch to a socket bound
            // in the office (so nothing answers); the meter listens on the office end for 6 s.
            let count = 300, frame = 1042
            let receiver = try await UDPSocket(in: lab.office, bind: "198.18.10.2", port: 9999)
            defer { receiver.close() }
            // Packet sockets of the office namespace: the meter's capture shows up here once it is open.
            let packetSockets = { try await lab.office.run(["cat", "/proc/net/packet"]).split(separator: "\n").count }
            let before = try await packetSockets()
            let meter = Task.detached {
                try await lab.agent(["probe", "traffic", "--iface", lab.officeInterface, "--seconds", "6", "--json"])
            }
            // Send only once the capture is open, however slowly the agent starts on a loaded machine.
            try await waitUntil(timeout: 20, "the traffic meter's capture socket") { try await packetSockets() > before }
            try await Task.sleep(for: .milliseconds(300))
            let sender = try await UDPSocket(in: lab.switchNamespace, bind: "198.18.10.1", port: 0)
            defer { sender.close() }
            try await sender.send(count: count, size: 1000, to: "198.18.10.2", port: 9999, interval: .milliseconds(10))
            let (status, json, stderr) = try lab.decode(try await meter.value)
            #expect(status == 0, "\(stderr)")
            let rx = try #require(json["rx"] as? [String: Any], "\(json)")
            let tx = try #require(json["tx"] as? [String: Any])
            let expected = Double(count * frame)
            let bytes = try #require((rx["bytes"] as? NSNumber)?.doubleValue)
            #expect(abs(bytes - expected) <= expected * 0.05, "\(rx)")
            let mean = try #require((rx["mean_bps"] as? NSNumber)?.doubleValue)
            #expect(abs(mean - expected * 8 / 6) <= expected * 8 / 6 * 0.05, "\(rx)")
            let peak = try #require((rx["peak_pps"] as? NSNumber)?.doubleValue)
            #expect(peak >= 60 && peak <= 130, "\(rx)")
            // The office sends (almost) nothing back: an ARP reply or two.
            #expect(((tx["bytes"] as? NSNumber)?.doubleValue ?? .infinity) < 1000, "\(tx)")
            #expect(json["dropped_by_kernel"] as? Int == 0)
        }
    }

    /// A lab for the duration of `body`: its daemons stopped, then its namespaces deleted, on every path; the
    /// daemons' logs attached when the test fails.
    private func withLab(_ options: Lab.Options, _ body: (Lab) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            try await withDaemons { daemons in
                let lab = try await Lab(options, directory: directory, daemons: daemons)
                try await withCleanup {
                    try await body(lab)
                } cleanup: { await lab.stop() }
            }
        }
    }
}

/// A UDP socket opened inside a network namespace (on a short-lived thread that joined it with setns(2),
/// so the test process itself stays where it is).
final class UDPSocket: @unchecked Sendable {
    let descriptor: Int32

    init(in namespace: NetworkNamespace, bind address: String, port: UInt16) async throws {
        let result = await Self.onThread(in: namespace) { () -> Int32 in
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { return -errno }
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            inet_pton(AF_INET, address, &sin.sin_addr)
            let bound = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound != 0 { let error = errno; Glibc.close(fd); return -error }
            return fd
        }
        guard result >= 0 else { throw SocketError(what: "socket in \(namespace.name)", errno: -result) }
        descriptor = result
    }

    func send(count: Int, size: Int, to address: String, port: UInt16, interval: Duration) async throws {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &sin.sin_addr)
        let payload = [UInt8](repeating: 0x5a, count: size)
        for _ in 0..<count {
            let sent = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard sent == size else { throw SocketError(what: "sendto", errno: errno) }
            try await Task.sleep(for: interval)
        }
    }

    func close() { Glibc.close(descriptor) }

    private static func onThread(in namespace: NetworkNamespace, _ body: @escaping @Sendable () -> Int32) async -> Int32 {
        await withCheckedContinuation { continuation in
            // A thread of its own, which setns moves into the namespace and which ends right after.
            Thread {
                let fd = open("/var/run/netns/\(namespace.name)", O_RDONLY)
                let value: Int32
                if fd >= 0, let setns = Self.setns, setns(fd, Self.cloneNewNet) == 0 { value = body() } else { value = -errno }
                if fd >= 0 { Glibc.close(fd) }
                continuation.resume(returning: value)
            }.start()
        }
    }

    /// setns(2) is not in Glibc's Swift overlay (it needs _GNU_SOURCE): found at run time instead.
    private static let setns: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()
    private static let cloneNewNet: Int32 = 0x4000_0000

}

struct SocketError: Error, CustomStringConvertible {
    let what: String
    let errno: Int32
    var description: String { "\(what): \(String(cString: strerror(errno)))" }
}
