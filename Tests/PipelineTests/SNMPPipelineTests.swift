import Foundation
import ReadinessMIB
import ReadinessModel
import SNMP
import Testing
import TestSupport

/// SNMP reporting end to end with real processes: agents send INFORMs (SANSANG-READINESS-MIB) to the
/// collector's receiver and to a real snmptrapd; net-snmp's own CLI sends what the collector must refuse.
@Suite(.serialized) struct SNMPPipelineTests {
    static let user = "sansang-agent"
    static let auth = "auth-passphrase-e2e"
    static let privacy = "priv-passphrase-e2e"

    /// The collector's `snmp:` section: one v3 user who may speak for 20242 and 20257 only.
    static func collectorSNMP(port: UInt16) -> String {
        """
        snmp:
          listen: udp:127.0.0.1:\(port)
          users:
            - {user: \(user), auth_protocol: sha256, auth_passphrase: \(auth), privacy_protocol: aes,
               privacy_passphrase: \(privacy), sites: ["20242", "20257"]}
        """
    }

    /// The agent's `notifications:` section, one v3 INFORM target per port.
    static func agentNotifications(ports: [UInt16], heartbeat: Double = 1) -> String {
        let targets = ports.map { port in
            """
                - {address: "udp:127.0.0.1:\(port)", version: v3, user: \(user), auth_protocol: sha256,
                   auth_passphrase: \(auth), privacy_protocol: aes, privacy_passphrase: \(privacy), timeout_ms: 500, retries: 0}
            """
        }.joined(separator: "\n")
        return """
            notifications:
              heartbeat_s: \(heartbeat)
              backoff_initial_s: 0.2
              backoff_max_s: 1
              targets:
            \(targets)
            """
    }

    func api(_ pipeline: Pipeline, _ path: String) async throws -> [String: Any] {
        let body = try await run(["curl", "-sf", "-H", "Authorization: Bearer \(pipeline.nocToken)", "\(pipeline.url)\(path)"])
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
    }

    func metrics(_ pipeline: Pipeline) async throws -> String { try await run(["curl", "-sf", "\(pipeline.url)/metrics"]) }

    func notifications(_ pipeline: Pipeline, site: String) async throws -> [[String: Any]] {
        let from = "2000-01-01T00:00:00Z", to = "2100-01-01T00:00:00Z"
        return try await api(pipeline, "/api/v1/sites/\(site)/history?from=\(from)&to=\(to)")["notifications"] as? [[String: Any]] ?? []
    }

    @Test func informsReachTheCollectorAndASnmptrapdThatDecodesThemWithTheMIBAndTheCollectorForwards() async throws {
        try await withTemporaryDirectory { directory in
            let snmpPort = try freeLoopbackPort(udp: true)
            try await withTrapDaemonWithMIB(directory: directory, user: Self.user, auth: Self.auth, privacy: Self.privacy) { trapd in
                // The collector forwards its own verdict changes to the same manager.
                let forward = """
                      forward:
                        - {address: "udp:127.0.0.1:\(trapd.port)", version: v3, user: \(Self.user), auth_protocol: sha256,
                           auth_passphrase: \(Self.auth), privacy_protocol: aes, privacy_passphrase: \(Self.privacy)}
                    """
                try await withPipeline(directory: directory, extraCollectorConfig: Self.collectorSNMP(port: snmpPort) + "\n" + forward) { pipeline in
                    try await pipeline.startCollector()
                    let agent = try await pipeline.addAgent(site: "20242", reportInterval: 0.5,
                                                      extraConfig: Self.agentNotifications(ports: [snmpPort, trapd.port]))
                    try agent.start()

                    // snmptrapd, with the MIB loaded, names every object and value of the first verdict change and a heartbeat.
                    try await waitUntil(timeout: 30, "snmptrapd's handler to record a verdict change and a heartbeat") {
                        let seen = trapd.recorded
                        return seen.contains("SANSANG-READINESS-MIB::sansangVerdictChange") && seen.contains("SANSANG-READINESS-MIB::sansangHeartbeat")
                    }
                    let recorded = trapd.recorded
                    #expect(recorded.contains("SANSANG-READINESS-MIB::sansangSiteCode.0 20242\n"), "\(recorded)")
                    #expect(recorded.contains("SANSANG-READINESS-MIB::sansangVerdict.0 ready"), "\(recorded)")
                    #expect(recorded.contains("SANSANG-READINESS-MIB::sansangLinkRole.1 lan\n"), "\(recorded)")
                    #expect(recorded.contains("SANSANG-READINESS-MIB::sansangLinkMeasuredMbps.1 10000 Mbit/s"), "\(recorded)")
                    #expect(recorded.contains("SANSANG-READINESS-MIB::sansangLinkTargetMbps.1 10000 Mbit/s"), "\(recorded)")
                    #expect(recorded.contains("SANSANG-READINESS-MIB::sansangAgentVersion.0 \(SansangVersion.current)\n"), "\(recorded)")
                    // The collector's forwarded verdict change for the site (no data → ready).
                    try await waitUntil(timeout: 20, "the collector's forwarded verdict change") {
                        trapd.recorded.contains("sansangAgentVersion.0 sansang-collector \(SansangVersion.current)")
                    }

                    // The collector stored them as events on the site, with who sent them.
                    try await waitUntil(timeout: 20, "notifications in the site's history") {
                        let kinds = await Set(try notifications(pipeline, site: "20242").compactMap { $0["kind"] as? String })
                        return kinds == ["verdict_change", "heartbeat"]
                    }
                    let first = try await #require(try notifications(pipeline, site: "20242").first)
                    #expect(first["verdict"] as? String == "ready")
                    #expect(first["sender"] as? String == "v3:\(Self.user)")
                    #expect((first["links"] as? [[String: Any]])?.first?["measured_mbps"] as? Int == 10_000)
                    await #expect(try metrics(pipeline).contains("sansang_snmp_notifications_accepted_total"))
                }
            }
        }
    }

    /// With HTTPS blocked (the agent's collector URL answers nothing), the site goes STALE on HTTP but the
    /// verdict the agent notifies over SNMP stands in; meanwhile its reports spool.
    @Test func whenHTTPIsBlockedTheNotifiedVerdictStandsInAndReportsSpool() async throws {
        try await withTemporaryDirectory { directory in
            let snmpPort = try freeLoopbackPort(udp: true)
            try await withPipeline(directory: directory, extraCollectorConfig: Self.collectorSNMP(port: snmpPort)) { pipeline in
                try await pipeline.startCollector()
                let agent = try await pipeline.addAgent(site: "20242", reportInterval: 0.5,
                                                  extraConfig: Self.agentNotifications(ports: [snmpPort], heartbeat: 0.5))
                try agent.start()
                try await waitUntil(timeout: 30, "a first HTTP report") { try !pipeline.storedReports(site: "20242").isEmpty }
                await agent.stop()
                // Restart it on its cached plan with a collector URL nothing answers on.
                let blocked = try freeLoopbackPort(udp: false)
                try agent.writeConfig(collectorURL: "http://127.0.0.1:\(blocked)")
                try agent.start()
                try await waitUntil(timeout: 30, "the notified verdict standing in") {
                    let verdict = await (try api(pipeline, "/api/v1/sites/20242")["verdict"] as? [String: Any]) ?? [:]
                    return verdict["state"] as? String == "ready" && verdict["notified_at"] != nil
                }
                #expect((await agent.spoolDepth()) > 0)
                // Without notifications the same silence is STALE: the other office of the lab never reported at all.
                let other = await (try api(pipeline, "/api/v1/sites/20257")["verdict"] as? [String: Any]) ?? [:]
                #expect(other["state"] as? String == "unknown")
            }
        }
    }

    /// The collector stopped: INFORMs to it time out and are retried, but reports keep being made at their
    /// interval and spool; once it is back the spool drains and the reports carry the notification counters.
    @Test func informRetriesDoNotHoldUpReportsWhileTheCollectorIsAway() async throws {
        try await withTemporaryDirectory { directory in
            let snmpPort = try freeLoopbackPort(udp: true)
            try await withPipeline(directory: directory, extraCollectorConfig: Self.collectorSNMP(port: snmpPort)) { pipeline in
                try await pipeline.startCollector()
                let agent = try await pipeline.addAgent(site: "20242", reportInterval: 0.25,
                                                  extraConfig: Self.agentNotifications(ports: [snmpPort], heartbeat: 0.25))
                try agent.start()
                try await waitUntil(timeout: 30, "a first HTTP report") { try !pipeline.storedReports(site: "20242").isEmpty }

                await pipeline.stopCollector()
                let before = (await agent.spoolDepth())
                let started = Date()
                try await Task.sleep(for: .seconds(4))
                let made = (await agent.spoolDepth()) - before
                let expected = Date().timeIntervalSince(started) / 0.25
                // Each INFORM attempt waits 500 ms for an answer that never comes; reports go on every 250 ms regardless.
                #expect(Double(made) >= expected * 0.6, "\(made) reports spooled in 4 s, about \(expected) expected")

                try await pipeline.startCollector()
                try await waitUntil(timeout: 60, "the spool to drain") { (await agent.spoolDepth()) == 0 }
                // The reports made during the outage say INFORMs were waiting; the newest one, that they went.
                let counters = try pipeline.storedNotificationCounters(site: "20242")
                #expect(counters.contains { ($0["pending"] ?? 0) > 0 }, "\(counters)")
                try await waitUntil(timeout: 30, "a report after the INFORMs were acknowledged") {
                    let newest = try pipeline.storedNotificationCounters(site: "20242").last ?? [:]
                    return newest["pending"] == 0 && (newest["acknowledged"] ?? 0) > 0
                }
            }
        }
    }

    /// net-snmp's snmpinform / snmptrap and raw datagrams against the collector: what is acceptable is stored,
    /// everything else is counted by reason in /metrics, and the receiver keeps working.
    @Test func theCollectorStoresWhatItAcceptsAndCountsWhatItRefusesByReason() async throws {
        try await withTemporaryDirectory { directory in
            let snmpPort = try freeLoopbackPort(udp: true)
            try await withPipeline(directory: directory, extraCollectorConfig: Self.collectorSNMP(port: snmpPort)) { pipeline in
                try await pipeline.startCollector()
                let peer = "udp:127.0.0.1:\(snmpPort)"
                let mib = ReadinessMIB()
                func arguments(site: String, verdict: VerdictState = .notReady) -> [String] {
                    let content = ReadinessNotification(
                        kind: .verdictChange, siteCode: site, verdict: verdict, previousVerdict: .ready,
                        reasons: [ReasonKey(code: .serviceDown, subject: "dichvucong")], failingServices: ["dichvucong"],
                        agentVersion: "cli", reportSeq: 7, bootId: "boot-cli")
                    return ["", mib.trapOID(.verdictChange).description] + commandLineValues(mib.varBinds(content))
                }
                func v3(user: String = Self.user, auth: String = Self.auth) -> [String] {
                    ["-v3", "-l", "authPriv", "-u", user, "-a", "SHA-256", "-A", auth, "-x", "AES", "-X", Self.privacy,
                     "-r", "0", "-t", "1", peer]
                }
                func inform(_ options: [String], _ rest: [String]) async -> ProgramRun? {
                    try? await runCapturing(["snmpinform"] + options + rest, environment: ["MIBS": "", "SNMP_PERSISTENT_DIR": directory.path])
                }

                // Accepted: a v3 INFORM for a site the user may speak for, acknowledged and stored as sent.
                await #expect(inform(v3(), arguments(site: "20257"))?.status == 0)
                try await waitUntil(timeout: 10, "the CLI's notification stored") { try await !notifications(pipeline, site: "20257").isEmpty }
                let stored = try await #require(try notifications(pipeline, site: "20257").first)
                #expect(stored["verdict"] as? String == "not_ready" && stored["previous_verdict"] as? String == "ready")
                #expect(stored["reasons"] as? [String] == ["SERVICE_DOWN:dichvucong"])
                #expect(stored["report_seq"] as? Int == 7 && stored["boot_id"] as? String == "boot-cli")

                // Refused, each for its reason (the senders time out or get a report back: no acknowledgement).
                await #expect(inform(v3(user: "stranger"), arguments(site: "20242"))?.status != 0)
                await #expect(inform(v3(auth: "wrong-passphrase"), arguments(site: "20242"))?.status != 0)
                await #expect(inform(v3(), arguments(site: "20209"))?.status == 0, "acknowledged by SNMP, refused by the collector")
                await #expect(inform(v3(), ["", "1.3.6.1.6.3.1.1.5.1"])?.status == 0, "coldStart: not a readiness notification")
                _ = try? await runCapturing(["snmptrap", "-v2c", "-c", "public", peer] + arguments(site: "20242"), environment: ["MIBS": ""])
                try sendDatagram(port: snmpPort, [0x30, 0x03, 0x02, 0x01])
                try sendDatagram(port: snmpPort, Array("not snmp at all".utf8))

                try await waitUntil(timeout: 15, "every refusal counted") {
                    let text = try await metrics(pipeline)
                    return ["unknown_user", "wrong_digest", "site_not_allowed", "not_readiness_mib", "version_refused", "malformed"]
                        .allSatisfy { text.contains("sansang_snmp_notifications_rejected_total{reason=\"\($0)\"}") }
                }
                await #expect(try notifications(pipeline, site: "20209").isEmpty)
                await #expect(try notifications(pipeline, site: "20242").isEmpty)
                // Still receiving afterwards.
                await #expect(inform(v3(), arguments(site: "20242", verdict: .ready))?.status == 0)
                try await waitUntil(timeout: 10, "a notification after the refusals") { try await notifications(pipeline, site: "20242").count == 1 }
            }
        }
    }
}

extension SNMPPipelineTests {
    /// Thousands of v2c notifications a second from several processes: the receiver keeps answering a v3
    /// INFORM, the HTTP API keeps answering, what it cannot queue is counted as overflow, and nothing crashes.
    @Test func aFloodOfNotificationsLeavesTheCollectorResponsive() async throws {
        try await withTemporaryDirectory { directory in
            let snmpPort = try freeLoopbackPort(udp: true)
            try await withPipeline(directory: directory, extraCollectorConfig: Self.collectorSNMP(port: snmpPort)
                + "\n  communities: [{community: flood}]") { pipeline in
                try await pipeline.startCollector()
                let script = packageRoot.appendingPathComponent("scripts/snmp-flood.py").path
                let portFile = directory.appendingPathComponent("capture.port").path
                let datagram = directory.appendingPathComponent("heartbeat.bin").path
                let capturer = try pipeline.daemons.start(["python3", script, "capture", portFile, datagram],
                                                          log: directory.appendingPathComponent("capture.log"))
                try await waitUntil(timeout: 20, "the capture port") { ((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "").count > 1 }
                let capturePort = try String(contentsOfFile: portFile, encoding: .utf8)
                let mib = ReadinessMIB()
                let content = ReadinessNotification(kind: .heartbeat, siteCode: "20242", verdict: .ready, agentVersion: "flood",
                                                    reportSeq: 1, bootId: "flood")
                let trapArguments = ["", mib.trapOID(.heartbeat).description] + commandLineValues(mib.varBinds(content))
                _ = try await runCapturing(["snmptrap", "-v2c", "-c", "flood", "udp:127.0.0.1:\(capturePort)"] + trapArguments,
                                     environment: ["MIBS": ""])
                try await waitUntil(timeout: 20, "the captured datagram") { !capturer.isRunning }
                await capturer.stop()
                try await withDaemon(["python3", script, "send", "127.0.0.1", String(snmpPort), datagram, "4", "2"],
                                     log: directory.appendingPathComponent("flood.log")) { flood in
                    try await Task.sleep(for: .seconds(1))
                    let inform = try await runCapturing(
                        ["snmpinform", "-v3", "-l", "authPriv", "-u", Self.user, "-a", "SHA-256", "-A", Self.auth, "-x", "AES",
                         "-X", Self.privacy, "-t", "3", "-r", "2", "udp:127.0.0.1:\(snmpPort)"] + trapArguments,
                        environment: ["MIBS": "", "SNMP_PERSISTENT_DIR": directory.path])
                    #expect(inform.status == 0, "a v3 INFORM during the flood: \(inform.stderr)")
                    let health = try await runCapturing(["curl", "-sf", "--max-time", "5", "\(pipeline.url)/healthz"])
                    #expect(health.status == 0, "/healthz during the flood")
                    try await waitUntil(timeout: 30, "the flood to end") { !flood.isRunning }
                    let sent = Int(flood.log.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                    #expect(sent > 4000, "the flood sent \(sent) datagrams in 4 s")
                    #expect(pipeline.collector?.isRunning == true)
                    let text = try await metrics(pipeline)
                    let accepted = text.split(separator: "\n").first { $0.hasPrefix("sansang_snmp_notifications_accepted_total ") }
                    let count = accepted.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
                    #expect(count > 100, "accepted during the flood: \(count)")
                }
            }
        }
    }
}

/// Variable bindings as snmptrap / snmpinform take them: OID, type letter, value.
func commandLineValues(_ bindings: [VarBind]) -> [String] {
    bindings.flatMap { binding -> [String] in
        switch binding.value {
        case .octetString(let bytes): [binding.oid.description, "s", String(decoding: bytes, as: UTF8.self)]
        case .integer(let value): [binding.oid.description, "i", String(value)]
        case .counter32(let value): [binding.oid.description, "c", String(value)]
        case .gauge32(let value): [binding.oid.description, "u", String(value)]
        case .counter64(let value): [binding.oid.description, "C", String(value)]
        default: []
        }
    }
}

/// A real snmptrapd with SANSANG-READINESS-MIB loaded from mibs/, whose traphandle appends every notification
/// (as snmptrapd renders it with the MIB) to a file. Owned by a `DaemonScope` (see `withTrapDaemonWithMIB`).
final class TrapDaemonWithMIB: @unchecked Sendable {
    let port: UInt16
    let output: URL
    private let daemon: Daemon

    init(directory: URL, user: String, auth: String, privacy: String, daemons: DaemonScope) async throws {
        port = try freeLoopbackPort(udp: true)
        output = directory.appendingPathComponent("trapd-handled.txt")
        let handler = directory.appendingPathComponent("handler.sh")
        try "#!/bin/sh\n{ cat; echo ----; } >> \(output.path)\n".write(to: handler, atomically: true, encoding: .utf8)
        chmod(handler.path, 0o755)
        let config = directory.appendingPathComponent("snmptrapd.conf")
        try """
            createUser \(user) SHA-256 "\(auth)" AES "\(privacy)"
            authUser log,execute \(user) priv
            traphandle default \(handler.path)
            """.write(to: config, atomically: true, encoding: .utf8)
        let state = directory.appendingPathComponent("trapd-state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let mibs = packageRoot.appendingPathComponent("mibs")
        daemon = try daemons.start(
            ["snmptrapd", "-f", "-Lo", "-C", "-c", config.path, "-M", "/usr/share/snmp/mibs:\(mibs.path):\(mibs.path)/ietf",
             "-m", "SANSANG-READINESS-MIB", "udp:127.0.0.1:\(port)"],
            log: directory.appendingPathComponent("snmptrapd.log"), environment: ["SNMP_PERSISTENT_DIR": state.path])
        let daemon = daemon
        try await daemon.waitUntilReady(timeout: 20, "to start") { daemon.log.contains("NET-SNMP version") }
    }

    var recorded: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
}

/// A `TrapDaemonWithMIB` for the duration of `body`, stopped afterwards on every path (its log attached when the
/// test fails).
func withTrapDaemonWithMIB(
    directory: URL, user: String, auth: String, privacy: String, _ body: (TrapDaemonWithMIB) async throws -> Void
) async throws {
    try await withDaemons { daemons in
        try await body(try await TrapDaemonWithMIB(directory: directory, user: user, auth: auth, privacy: privacy, daemons: daemons))
    }
}
