import Foundation
import Testing
import TestSupport

/// The daemon runs the plan's service checks and throughput tests on its own and its reports carry them:
/// an HTTP check against the collector's /healthz, a TCP check against a closed port, and a throughput test
/// against a real `iperf3 -s` on loopback inside an always-open window.
@Suite(.serialized) struct ScheduledChecksTests {
    @Test func reportsCarryServiceResultsAndThroughputAndTheVerdictFollows() async throws {
        try await withTemporaryDirectory { directory in
            let iperfPort = try freeLoopbackPort(udp: false)
            try await withDaemon(["iperf3", "-s", "-p", String(iperfPort), "-B", "127.0.0.1"],
                                 log: directory.appendingPathComponent("iperf3.log")) { iperf in
                try await waitUntil(timeout: 30, "iperf3 -s listening") {
                    guard iperf.isRunning else { return true }
                    return try await run(["ss", "-Hltn", "sport = :\(iperfPort)"]).contains(":\(iperfPort)")
                }
                let closedPort = try freeLoopbackPort(udp: false)
                // The collector's port is chosen by Pipeline; the profile is written once it is known.
                let placeholder = "@API_PORT@"
                let inventory = """
                    province: Thành phố Đà Nẵng
                    profile: checks
                    sites:
                      - {code: "20242", name: Phường Hải Châu, type: phuong, former_district: Hải Châu}
                    profiles:
                      - name: checks
                        links:
                          - {role: lan, target_mbps: 10G}
                          - {role: wan, target_mbps: 100M, directions: [upload, download]}
                        services:
                          - {name: collector-api, kind: http, host: 127.0.0.1, port: \(placeholder), path: /healthz}
                          - {name: closed-port, kind: tcp, host: 127.0.0.1, port: \(closedPort)}
                        throughput:
                          servers: {wan: ["127.0.0.1:\(iperfPort)"]}
                          duration_s: 1
                          parallel: 1
                          directions: [upload, download]
                          window_start: "00:00"
                          window_end: "00:00"
                          every_hours: 24
                    """
                try await withPipeline(directory: directory, inventory: inventory) { pipeline in
                    let file = directory.appendingPathComponent("inventory/lab.yaml")
                    try inventory.replacingOccurrences(of: placeholder, with: String(pipeline.port))
                        .write(to: file, atomically: true, encoding: .utf8)
                    try await pipeline.startCollector()
                    let agent = try await pipeline.addAgent(site: "20242", reportInterval: 0.5,
                                                      extraConfig: "checks: {service_interval_s: 0.5, service_timeout_s: 2, throughput_poll_s: 0.5}")
                    try agent.start()

                    func latestReport() async throws -> [String: Any] {
                        let body = try await run(["curl", "-sf", "-H", "Authorization: Bearer \(pipeline.nocToken)", "\(pipeline.url)/api/v1/sites/20242"])
                        let detail = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
                        return detail["latest_report"] as? [String: Any] ?? [:]
                    }
                    try await waitUntil(timeout: 60, "a report with both services and a wan throughput measurement") {
                        let report = try await latestReport()
                        let services = report["services"] as? [[String: Any]] ?? []
                        let wan = (report["links"] as? [[String: Any]])?.first { $0["role"] as? String == "wan" }
                        return services.count == 2 && wan?["throughput"] != nil
                    }
                    let report = try await latestReport()
                    let services = Dictionary(uniqueKeysWithValues: (report["services"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0) })
                    #expect(services["collector-api"]?["ok"] as? Bool == true)
                    #expect(services["closed-port"]?["ok"] as? Bool == false)
                    #expect(services["closed-port"]?["reason"] as? String == "connect_refused")
                    let wan = try #require((report["links"] as? [[String: Any]])?.first { $0["role"] as? String == "wan" })
                    let throughput = try #require(wan["throughput"] as? [String: Any])
                    let mbps = throughput["mbps"] as? [String: Double] ?? [:]
                    #expect((mbps["upload"] ?? 0) > 100 && (mbps["download"] ?? 0) > 100, "\(throughput)")
                    #expect(throughput["server"] as? String != nil)

                    // The verdict follows: the closed port is the one reason.
                    let verdict = try await #require(try JSONSerialization.jsonObject(with: Data(run(
                        ["curl", "-sf", "-H", "Authorization: Bearer \(pipeline.nocToken)", "\(pipeline.url)/api/v1/sites/20242"]).utf8))
                        as? [String: Any])["verdict"] as? [String: Any]
                    let reasons = (verdict?["reasons"] as? [[String: Any]] ?? []).map { "\($0["code"] ?? ""):\($0["subject"] ?? "")" }
                    #expect(reasons == ["SERVICE_DOWN:closed-port"], "\(reasons)")

                    // One test a day: the history the budget is kept against is on disk.
                    let history = directory.appendingPathComponent("agent-20242/state/throughput-history.json")
                    #expect(FileManager.default.fileExists(atPath: history.path))
                }
            }
        }
    }
}
