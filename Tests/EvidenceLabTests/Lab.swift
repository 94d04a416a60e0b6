import Foundation
import Testing
import TestSupport

/// An office and its switch: two namespaces joined by a veth (198.18.10.2 office, 198.18.10.1 switch), an snmpd
/// in the switch namespace answering IF-MIB for its own interfaces (with `override`s simulating the switch),
/// and optionally lldpd announcing on the switch's end. The daemons belong to the `DaemonScope` it is made in
/// (stopped by PID, logs attached on failure); `stop()` stops them and deletes the namespaces.
final class Lab: @unchecked Sendable {
    struct Options {
        /// ifHighSpeed pinned on the switch port (the veth end); nil keeps the kernel's 10000.
        var portHighSpeed: UInt32? = 1000
        var lldpd = true
        /// Serve the IF-MIB ifXTable; false simulates an old agent (the view excludes 1.3.6.1.2.1.31).
        var ifXTable = true
        /// ifSpeed pinned (bit/s), for the agent without ifXTable.
        var portIfSpeed: UInt32?
        /// lldpRemTable rows pointing at the office host, through lldpLocPortTable to the switch port.
        var lldpRemoteRows = false
    }

    static let community = "lab-ro"
    static let v3User = "sansang"
    static let v3Auth = "lab-auth-secret"
    static let v3Privacy = "lab-priv-secret"
    static let snmpPort = 1161
    static let switchName = "lab-sw1"

    let office: NetworkNamespace
    let switchNamespace: NetworkNamespace
    let link: VethLink
    let directory: URL
    private let daemons: DaemonScope
    private var nudge: Task<Void, Never>?

    var officeInterface: String { link.leftInterface }
    var switchInterface: String { link.rightInterface }
    var switchAddress: String { "udp:198.18.10.1:\(Self.snmpPort)" }

    init(_ options: Options, directory: URL, daemons: DaemonScope) async throws {
        self.directory = directory
        self.daemons = daemons
        office = try await NetworkNamespace(prefix: "sst-of")
        switchNamespace = try await NetworkNamespace(prefix: "sst-sw")
        link = try await VethLink(office, "198.18.10.2", switchNamespace, "198.18.10.1")
        let index = try await switchNamespace.run(["cat", "/sys/class/net/\(link.rightInterface)/ifindex"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let officeMAC = try await office.run(["cat", "/sys/class/net/\(link.leftInterface)/address"])
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ":", with: "")

        var config = """
            view lab included .1.3.6.1.2.1.1
            view lab included .1.3.6.1.2.1.2
            view lab included .1.0.8802
            rocommunity \(Self.community) 198.18.10.0/24 -V lab
            createUser \(Self.v3User) SHA-256 \(Self.v3Auth) AES \(Self.v3Privacy)
            rouser \(Self.v3User) priv -V lab

            """
        if options.ifXTable { config += "view lab included .1.3.6.1.2.1.31\n" }
        if let speed = options.portHighSpeed { config += "override 1.3.6.1.2.1.31.1.1.1.15.\(index) unsigned \(speed)\n" }
        if let speed = options.portIfSpeed { config += "override 1.3.6.1.2.1.2.2.1.5.\(index) unsigned \(speed)\n" }
        if options.lldpRemoteRows {
            // The switch hears the office host (its MAC as chassis and port id) on its LLDP port 7, which is
            // the interface named like the veth end (lldpLocPortIdSubtype 5 = interfaceName).
            config += """
                override 1.0.8802.1.1.2.1.4.1.1.5.0.7.1 octet_str 0x\(officeMAC)
                override 1.0.8802.1.1.2.1.4.1.1.7.0.7.1 octet_str 0x\(officeMAC)
                override 1.0.8802.1.1.2.1.4.1.1.9.0.7.1 octet_str office-server
                override 1.0.8802.1.1.2.1.3.7.1.2.7 integer 5
                override 1.0.8802.1.1.2.1.3.7.1.3.7 octet_str \(link.rightInterface)
                override 1.0.8802.1.1.2.1.3.7.1.4.7 octet_str \(link.rightInterface)

                """
        }
        let configURL = directory.appendingPathComponent("snmpd.conf")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        let state = directory.appendingPathComponent("snmp-state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let snmpd = try daemons.start(
            switchNamespace.command(["snmpd", "-f", "-Lo", "-C", "-c", configURL.path, "udp:198.18.10.1:\(Self.snmpPort)"]),
            log: directory.appendingPathComponent("snmpd.log"), environment: ["SNMP_PERSISTENT_DIR": state.path, "MIBS": ""])
        // Ready when the switch port reads as up over SNMP (snmpd's interface cache can lag the link at start).
        let (office, port, address) = (office, index, switchAddress)
        try await snmpd.waitUntilReady(timeout: 15, "to report the switch port up") {
            let out = try? await office.run(["snmpget", "-v2c", "-c", Self.community, "-t", "0.3", "-r", "0", "-On", "-m", "",
                                       address, "1.3.6.1.2.1.2.2.1.8.\(port)"])
            return out?.contains("INTEGER: 1") == true
        }

        if options.lldpd {
            let socket = directory.appendingPathComponent("lldpd.socket").path
            try daemons.start(
                switchNamespace.command(["lldpd", "-d", "-u", socket, "-p", directory.appendingPathComponent("lldpd.pid").path,
                                         "-I", link.rightInterface]),
                log: directory.appendingPathComponent("lldpd.log"))
            try await waitUntil(timeout: 20, "lldpd's control socket") { FileManager.default.fileExists(atPath: socket) }
            let namespace = switchNamespace
            try await namespace.run(["lldpcli", "-u", socket, "configure", "lldp", "tx-interval", "1"])
            try await namespace.run(["lldpcli", "-u", socket, "configure", "system", "hostname", Self.switchName])
            try await namespace.run(["lldpcli", "-u", socket, "resume"])
            // lldpd's periodic transmission was seen to stall; `lldpcli update` makes it send now.
            nudge = Task.detached {
                while !Task.isCancelled {
                    _ = try? await namespace.run(["lldpcli", "-u", socket, "update"])
                    try? await Task.sleep(for: .milliseconds(700))
                }
            }
        }
    }

    /// A file in the lab's directory holding `secret`, readable by its owner only; its path.
    func secretFile(_ name: String, _ secret: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try (secret + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    /// `sansang-agent ARGS` run inside the office namespace.
    func agent(_ arguments: [String]) async throws -> ProgramRun {
        try await runProgram("sansang-agent", arguments, in: office)
    }

    /// Runs the agent and decodes its JSON output.
    func agentJSON(_ arguments: [String]) async throws -> (status: Int32, json: [String: Any], stderr: String) {
        try await decode(try agent(arguments + ["--json"]))
    }

    func decode(_ run: ProgramRun) throws -> (status: Int32, json: [String: Any], stderr: String) {
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
        let json = try #require(object as? [String: Any], "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        return (run.status, json, run.stderr)
    }

    /// Stops every daemon (waiting until each has exited), then deletes both namespaces and with them the veth.
    func stop() async {
        nudge?.cancel()
        await daemons.stopAll()
        await office.delete()
        await switchNamespace.delete()
    }
}

/// A switch-side reading of a `check --json` or `probe … --json` output, by source.
func reading(_ json: [String: Any], _ source: String) -> [String: Any]? {
    if let reading = json["reading"] as? [String: Any] { return reading["source"] as? String == source ? reading : nil }
    let report = json["report"] as? [String: Any]
    let links = report?["links"] as? [[String: Any]] ?? []
    let lan = links.first { $0["role"] as? String == "lan" }
    return (lan?["speed"] as? [[String: Any]])?.first { $0["source"] as? String == source }
}

func facts(_ reading: [String: Any]?) -> [String: String] { reading?["facts"] as? [String: String] ?? [:] }

func reasons(_ json: [String: Any]) -> Set<String> {
    let verdict = json["verdict"] as? [String: Any]
    return Set((verdict?["reasons"] as? [[String: Any]] ?? []).compactMap { reason in
        guard let code = reason["code"] as? String else { return nil }
        return (reason["subject"] as? String).map { "\(code):\($0)" } ?? code
    })
}
