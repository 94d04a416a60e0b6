import CollectorTestSupport
import Foundation
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

/// The dashboard in a real headless Chromium: a real `sansang-collector serve`, users and tokens made with its own
/// commands, and scripts/dashboard-browser-test.py driving Chromium through chromedriver (Selenium), with axe-core.
/// Screenshots are kept in .build/dashboard-screenshots.
@Suite(.serialized) struct BrowserTests {
    static let browserInstalled = ["/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: browserInstalled, "needs Debian's chromium and chromium-driver (make deps installs them)"))
    func dashboardWorksInARealBrowser() async throws {
        try await withTemporaryDirectory { dir in
            let port = try freeLoopbackPort(udp: false)
            let config = dir.appendingPathComponent("collector.yaml")
            try """
                listen: {host: 127.0.0.1, port: \(port)}
                database: {sqlite_path: collector.sqlite}
                inventory: [\(packageRoot.appendingPathComponent("inventory").path)]
                evaluation_interval_s: 5
                """.write(to: config, atomically: true, encoding: .utf8)
            let users = [("tuan", "admin", "mật khẩu quản trị"), ("lan", "read", "chỉ xem thôi 123")]
            for (name, role, password) in users {
                let file = dir.appendingPathComponent("\(name).pw")
                try (password + "\n").write(to: file, atomically: true, encoding: .utf8)
                let added = try await runProgram("sansang-collector", ["user", "add", name, "--role", role, "--password-file", file.path,
                                                                 "--config", config.path])
                #expect(added.status == 0, "\(added.stderr)")
            }
            let listed = try await runProgram("sansang-collector", ["user", "list", "--config", config.path])
            #expect(listed.stdout.contains("tuan") && listed.stdout.contains("admin") && !listed.stdout.contains("$2b$"))
            let noc = try await runProgram("sansang-collector", ["token", "issue", "--noc", "bao", "--config", config.path])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let siteToken = try await runProgram("sansang-collector", ["token", "issue", ExampleSite.haiChau, "--config", config.path])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let at = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let inventory = try exampleInventory()
            let report = dir.appendingPathComponent("batch.json")
            try ReportCoding.encoder().encode(ReportBatch(reports: [readyReport(inventory, site: ExampleSite.haiChau, seq: 1, at: at)]))
                .write(to: report)

            try await withDaemons { daemons in
                let server = try daemons.start([try builtProgram("sansang-collector"), "serve", "--config", config.path],
                                               log: dir.appendingPathComponent("serve.log"))
                try await waitUntil(timeout: 30, "listening") { server.log.contains("listening on http://127.0.0.1:\(port)") }

                // Some offices report before the browser comes (one ready, one with a service down, one with a slow LAN), so
                // that pages and screenshots show verdicts with reasons; Hải Châu reports during the test.
                let downService = try #require(inventory.site(code: ExampleSite.hoaCuong).flatMap(inventory.effectiveProfile(for:))?.services.first?.name)
                for (code, lan, down) in [(ExampleSite.thanhKhe, 10000, nil), (ExampleSite.hoaCuong, 10000, downService),
                                          (ExampleSite.traLeng, 100, nil)] as [(String, Int, String?)] {
                    let token = try await runProgram("sansang-collector", ["token", "issue", code, "--config", config.path])
                        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    let batch = dir.appendingPathComponent("batch-\(code).json")
                    try ReportCoding.encoder().encode(ReportBatch(reports: [readyReport(inventory, site: code, seq: 1, at: Date(), lanMbps: lan,
                                                                                      downService: down)])).write(to: batch)
                    let status = try await run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)",
                                          "-H", "Content-Type: application/json", "--data-binary", "@\(batch.path)",
                                          "http://127.0.0.1:\(port)/api/v1/reports"])
                    #expect(status == "202", "report of \(code): \(status)")
                }

                let screenshots = packageRoot.appendingPathComponent(".build/dashboard-screenshots")
                let browser = try daemons.start(["python3", packageRoot.appendingPathComponent("scripts/dashboard-browser-test.py").path,
                                                "--base", "http://127.0.0.1:\(port)", "--admin", "tuan:\(users[0].2)", "--read", "lan:\(users[1].2)",
                                                "--noc-token", noc, "--site-token", siteToken, "--report", report.path,
                                                "--report-time", ISO8601DateFormatter().string(from: at), "--site", ExampleSite.haiChau, "--screenshot-site", ExampleSite.hoaCuong,
                                                "--out", screenshots.path],
                                                log: dir.appendingPathComponent("browser.log"), environment: ["SE_AVOID_STATS": "true"])
                try await waitUntil(timeout: 600, "the browser script") { !browser.isRunning }
                // On a failure its output (each check, FAIL: lines) is attached with the collector's log.
                let output = browser.log
                #expect(browser.exitCode == 0)
                #expect(output.contains("browser test passed"))
                #expect(!output.contains("FAIL:"))
                for width in [1920, 1366, 375] {
                    #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent("overview-\(width).png").path))
                }
            }
        }
    }
}
