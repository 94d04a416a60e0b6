import Foundation
import Testing
import TestSupport

/// Alerts end to end with real processes: an agent checking a real TCP service, the collector's alert engine,
/// a real webhook receiver (scripts/webhook-sink.py) and a real Prometheus Alertmanager.
@Suite(.serialized) struct AlertPipelineTests {
    /// A lab with one office whose required service is a real listener the test stops and starts.
    final class Lab: @unchecked Sendable {
        let directory: URL
        let pipeline: Pipeline
        let servicePort: UInt16
        private(set) var service: Daemon?
        let adminToken: String

        init(directory: URL, receivers: String, routeTo: String, extraCollectorConfig: String = "", daemons: DaemonScope) async throws {
            self.directory = directory
            servicePort = try freeLoopbackPort(udp: false)
            let inventory = """
                province: Thành phố Đà Nẵng
                profile: office
                sites:
                  - {code: "20242", name: Phường Hải Châu, type: phuong, former_district: Hải Châu}
                profiles:
                  - name: office
                    links:
                      - {role: lan, target_mbps: 10G}
                    services:
                      - {name: portal, kind: tcp, host: 127.0.0.1, port: \(servicePort)}
                """
            let alerts = directory.appendingPathComponent("alerts")
            try FileManager.default.createDirectory(at: alerts, withIntermediateDirectories: true)
            try CollectorFixtures.serviceDownAlerts(routeTo: routeTo, groupBy: ["alertname", "province"], receivers: receivers)
                .write(to: alerts.appendingPathComponent("lab.yaml"), atomically: true, encoding: .utf8)
            pipeline = try await Pipeline(directory: directory, inventory: inventory,
                                    extraCollectorConfig: "alerts: {path: \(alerts.path), evaluation_interval_s: 1, alertmanager_resend_s: 10}\n"
                                        + extraCollectorConfig, daemons: daemons)
            adminToken = try await Pipeline.issue(["--noc", "trực ban", "--role", "admin"], config: pipeline.collectorConfig)
        }

        func startService() async throws {
            service = try pipeline.daemons.start(["python3", "-m", "http.server", "--bind", "127.0.0.1", String(servicePort)],
                                                 log: directory.appendingPathComponent("service.log"))
            let port = servicePort
            try await waitUntil(timeout: 30, "the office service listening") {
                try await run(["ss", "-Hltn", "sport = :\(port)"]).contains(":\(port)")
            }
        }

        func stopService() async {
            await service?.stop()
            service = nil
        }

        func start() async throws {
            try await startService()
            try await pipeline.startCollector()
            let agent = try await pipeline.addAgent(site: "20242", reportInterval: 0.5,
                                              extraConfig: "checks: {service_interval_s: 0.5, service_timeout_s: 2}")
            try agent.start()
        }

        func stop() async {
            await pipeline.stop()
            await stopService()
        }

        func alerts() async throws -> [[String: Any]] {
            let body = try await run(["curl", "-sf", "-H", "Authorization: Bearer \(pipeline.nocToken)", "\(pipeline.url)/api/v1/alerts?state=all"])
            return (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        }

        func alertState() async throws -> String? { try await alerts().first { $0["rule"] as? String == "service_down" }?["state"] as? String }
    }

    final class WebhookSink: @unchecked Sendable {
        let port: UInt16
        let directory: URL
        let daemon: Daemon

        init(directory: URL, daemons: DaemonScope) async throws {
            port = try freeLoopbackPort(udp: false)
            self.directory = directory.appendingPathComponent("webhook")
            daemon = try daemons.start(["python3", packageRoot.appendingPathComponent("scripts/webhook-sink.py").path, String(port),
                                        self.directory.path], log: directory.appendingPathComponent("webhook.log"))
            let port = self.port
            try await waitUntil(timeout: 30, "the webhook sink listening") {
                try await run(["ss", "-Hltn", "sport = :\(port)"]).contains(":\(port)")
            }
        }

        /// Every body received, in order.
        func bodies() throws -> [[String: Any]] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
                let record = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name))) as? [String: Any]
                return record?["body"] as? [String: Any] ?? [:]
            }
        }
    }

    /// A lab for the duration of `body`: its processes stopped afterwards on every path, their logs attached when
    /// the test fails.
    func withAlertLab(directory: URL, receivers: String, routeTo: String, extraCollectorConfig: String = "",
                      _ body: (Lab) async throws -> Void) async throws {
        try await withDaemons { daemons in
            let lab = try await Lab(directory: directory, receivers: receivers, routeTo: routeTo, extraCollectorConfig: extraCollectorConfig,
                                    daemons: daemons)
            try await withCleanup { try await body(lab) } cleanup: { await lab.stop() }
        }
    }

    @Test func serviceDownFiresOnceRestartSendsNothingRecoveryResolvesOnceSilenceMutes() async throws {
        try await withTemporaryDirectory { directory in
            try await withDaemons { daemons in
                let sink = try await WebhookSink(directory: directory, daemons: daemons)
                try await withAlertLab(directory: directory, receivers: "  - {name: noc-hook, webhook: {url: \"http://127.0.0.1:\(sink.port)/hook\"}}",
                                 routeTo: "noc-hook") { lab in
                    try await lab.start()
                    try await waitUntil(timeout: 60, "the office ready (its service answers)") {
                        let run = try await lab.pipeline.noc(["status", "--json"])
                        return run.stdout.contains("\"ready\" : 1")
                    }
                    #expect(try sink.bodies().isEmpty)

                    // The service goes down: one firing message.
                    await lab.stopService()
                    try await waitUntil(timeout: 60, "a firing webhook") { try sink.bodies().count >= 1 }
                    let firing = try sink.bodies()[0]
                    #expect(firing["status"] as? String == "firing")
                    let alerts = firing["alerts"] as? [[String: Any]] ?? []
                    #expect(alerts.map { $0["site"] as? String } == ["20242"])
                    #expect(alerts.first?["summary_vi"] as? String == "Phường Hải Châu: dịch vụ portal không truy cập được")
                    #expect((firing["group_labels"] as? [String: String])?["province"] == "Thành phố Đà Nẵng")

                    // A restart of the collector while it still fires sends nothing new.
                    await lab.pipeline.stopCollector()
                    try await lab.pipeline.startCollector()
                    try await Task.sleep(for: .seconds(5))
                    #expect(try sink.bodies().count == 1, "a restart must not repeat the firing notification")
                    await #expect(try lab.alertState() == "firing")

                    // Recovery: one resolved message.
                    try await lab.startService()
                    try await waitUntil(timeout: 60, "a resolved webhook") { try sink.bodies().count >= 2 }
                    #expect(try sink.bodies()[1]["status"] as? String == "resolved")

                    // A silence by site mutes the next outage: the alert fires (listed as muted) but nobody is told.
                    let add = try await runProgram("sansang", ["silence", "add", "--site", "20242", "--duration", "1h", "--comment", "Thay switch tầng 2",
                                                         "--server", lab.pipeline.url, "--token-file",
                                                         Pipeline.tokenFile(lab.adminToken, at: lab.pipeline.directory.appendingPathComponent("admin.token").path)])
                    #expect(add.status == 0, "\(add.stderr)")
                    let silenceID = add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    await lab.stopService()
                    try await waitUntil(timeout: 60, "the alert firing again, muted") {
                        try await lab.alerts().contains { $0["state"] as? String == "firing" && $0["muted"] as? Bool == true }
                    }
                    try await Task.sleep(for: .seconds(4))
                    #expect(try sink.bodies().count == 2, "a silenced alert must not be sent")
                    let listed = try await lab.pipeline.noc(["alerts", "--lang", "en"])
                    #expect(listed.status == 1, "firing alerts make `sansang alerts` exit 1")
                    #expect(listed.stdout.contains("service_down") && listed.stdout.contains("yes"), "\(listed.stdout)")

                    // Expiring the silence tells the still-firing alert.
                    let expire = try await runProgram("sansang", ["silence", "expire", silenceID, "--server", lab.pipeline.url, "--token-file",
                                                                    Pipeline.tokenFile(lab.adminToken, at: lab.pipeline.directory.appendingPathComponent("admin.token").path)])
                    #expect(expire.status == 0, "\(expire.stderr)")
                    try await waitUntil(timeout: 60, "the firing webhook after the silence ended") { try sink.bodies().count >= 3 }
                    #expect(try sink.bodies()[2]["status"] as? String == "firing")

                    // A read token cannot add silences.
                    let refused = try await lab.pipeline.noc(["silence", "add", "--site", "20242", "--duration", "1h", "--comment", "x"])
                    #expect(refused.status == 2 && refused.stderr.contains("admin"), "\(refused.stderr)")
                }
            }
        }
    }

    @Test func alertmanagerReceivesFiringAndResolvedAlerts() async throws {
        try await withTemporaryDirectory { directory in
            let port = try freeLoopbackPort(udp: false)
            let clusterPort = try freeLoopbackPort(udp: false)
            try """
                route: {receiver: blackhole, group_wait: 1s}
                receivers: [{name: blackhole}]
                """.write(to: directory.appendingPathComponent("alertmanager.yml"), atomically: true, encoding: .utf8)
            try await withDaemon([
                "prometheus-alertmanager", "--config.file", directory.appendingPathComponent("alertmanager.yml").path,
                "--storage.path", directory.appendingPathComponent("am-data").path,
                "--web.listen-address", "127.0.0.1:\(port)", "--cluster.listen-address", "127.0.0.1:\(clusterPort)",
            ], log: directory.appendingPathComponent("alertmanager.log")) { alertmanager in
                try await waitUntil(timeout: 30, "Alertmanager ready") {
                    (try? await run(["curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:\(port)/-/ready"])) != nil
                }
                func activeAlerts() async throws -> [[String: Any]] {
                    let body = try await run(["curl", "-sf", "http://127.0.0.1:\(port)/api/v2/alerts"])
                    return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] ?? []
                }
                try await withAlertLab(directory: directory, receivers: "  - {name: am, alertmanager: {url: \"http://127.0.0.1:\(port)\"}}",
                                 routeTo: "am") { lab in
                    try await lab.start()
                    try await waitUntil(timeout: 60, "the office ready") { try await lab.pipeline.noc(["status", "--json"]).stdout.contains("\"ready\" : 1") }
                    await lab.stopService()
                    try await waitUntil(timeout: 60, "the alert in Alertmanager") { await !(try activeAlerts()).isEmpty }
                    let alert = try await #require(try activeAlerts().first)
                    let labels = alert["labels"] as? [String: String] ?? [:]
                    #expect(labels["alertname"] == "service_down" && labels["site"] == "20242" && labels["severity"] == "critical")
                    #expect((alert["annotations"] as? [String: String])?["summary"] == "Phường Hải Châu: dịch vụ portal không truy cập được")
                    try await lab.startService()
                    try await waitUntil(timeout: 60, "the alert ended in Alertmanager") { try await activeAlerts().isEmpty }
                }
            }
        }
    }

    @Test func alertMailGoesThroughSTARTTLSAndLoginOnceFiringOnceResolved() async throws {
        try await withTemporaryDirectory { directory in
            let tls = try await makeLoopbackCertificate(in: directory)
            try await withSMTPSink(port: try freeLoopbackPort(udp: false), mailbox: directory.appendingPathComponent("mailbox"),
                                    log: directory.appendingPathComponent("smtp.log"), tls: tls, login: ("canhbao", "mật-khẩu-1")) { sink in
                let passwordFile = directory.appendingPathComponent("smtp-password")
                try "mật-khẩu-1\n".write(to: passwordFile, atomically: true, encoding: .utf8)
                chmod(passwordFile.path, 0o600)
                try await withAlertLab(directory: directory, receivers: "  - {name: noc-mail, email: {to: [\"noc@sansang.example\"], lang: vi}}",
                                 routeTo: "noc-mail", extraCollectorConfig: CollectorFixtures.mail(
                                    smtpPort: sink.port, from: "Trung tâm giám sát <sansang@sansang.example>",
                                    outbox: directory.appendingPathComponent("outbox"), login: ("canhbao", passwordFile),
                                    caFile: tls.certificate)) { lab in
                    try await lab.start()
                    try await waitUntil(timeout: 60, "the office ready") { try await lab.pipeline.noc(["status", "--json"]).stdout.contains("\"ready\" : 1") }
                    await lab.stopService()
                    try await waitUntil(timeout: 60, "the alert mail") { sink.messages.count >= 1 }
                    func subject(_ eml: URL) async throws -> String {
                        let json = try await run(["/usr/bin/python3", packageRoot.appendingPathComponent("scripts/mail-inspect.py").path, eml.path])
                        return (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["subject"] as? String ?? ""
                    }
                    await #expect(try subject(sink.messages[0]) == "[KHẨN] Phường Hải Châu: dịch vụ portal không truy cập được")
                    try await lab.startService()
                    try await waitUntil(timeout: 60, "the resolved mail") { sink.messages.count >= 2 }
                    await #expect(try subject(sink.messages[1]) == "[ĐÃ KHẮC PHỤC] Phường Hải Châu: dịch vụ portal không truy cập được")
                    try await Task.sleep(for: .seconds(3))
                    #expect(sink.messages.count == 2)
                }
            }
        }
    }

    @Test func snmpReceiverGetsTheSitesVerdictAsAnInform() async throws {
        try await withTemporaryDirectory { directory in
            let (user, auth, privacy) = ("sansang-noc", "noc-auth-pass", "noc-priv-pass")
            try await withTrapDaemonWithMIB(directory: directory, user: user, auth: auth, privacy: privacy) { trapd in
                let receiver = """
                      - name: noc-manager
                        snmp: {address: "udp:127.0.0.1:\(trapd.port)", kind: inform, version: v3, user: \(user), auth_protocol: sha256,
                               auth_passphrase: \(auth), privacy_protocol: aes, privacy_passphrase: \(privacy)}
                    """
                try await withAlertLab(directory: directory, receivers: receiver, routeTo: "noc-manager") { lab in
                    try await lab.start()
                    try await waitUntil(timeout: 60, "the office ready") { try await lab.pipeline.noc(["status", "--json"]).stdout.contains("\"ready\" : 1") }
                    await lab.stopService()
                    try await waitUntil(timeout: 60, "snmptrapd to record the alert's verdict change") {
                        trapd.recorded.contains("SANSANG-READINESS-MIB::sansangVerdictChange")
                    }
                    let recorded = trapd.recorded
                    #expect(recorded.contains("SANSANG-READINESS-MIB::sansangSiteCode.0 20242\n"), "\(recorded)")
                    #expect(recorded.contains("SANSANG-READINESS-MIB::sansangVerdict.0 notReady"), "\(recorded)")
                    #expect(recorded.contains("SERVICE_DOWN:portal"), "\(recorded)")
                }
            }
        }
    }
}
