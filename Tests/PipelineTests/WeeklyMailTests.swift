import CollectorStore
import CollectorTestSupport
import Foundation
import ReadinessModel
import Testing
import TestSupport

/// The weekly mail end to end: twelve weeks of verdicts in a real collector database (the example inventory of
/// Đà Nẵng's 93 offices), `sansang-collector report weekly --send` while the SMTP server is down (the mail stays
/// in the outbox), then the collector delivers it once the server is up; Python's `email` package reads what
/// arrived. A second run sends nothing.
@Suite(.serialized) struct WeeklyMailTests {
    static let timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!

    /// Sunday noon of ISO week `week` of 2026, local time.
    static func sunday(week: Int) -> Date {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        let monday = calendar.date(from: DateComponents(hour: 12, weekday: 2, weekOfYear: week, yearForWeekOfYear: 2026))!
        return monday.addingTimeInterval(6 * 86400)
    }

    /// Week 37 + i ends with 60 + 2i offices ready; in week 48 one office that was ready regresses.
    static func history(in database: String, offices: [String]) async throws -> (ready: Int, previous: Int, regressed: String) {
        let store = try SQLiteStore(path: database)
        try await store.migrate()
        let down = Reason(code: .serviceDown, subject: "dichvucong", impact: .notReady, evidence: "connect_refused")
        let slow = Reason(code: .linkBelowTarget, subject: "lan", impact: .notReady, evidence: "nic 1000 Mbit/s")
        let regressed = offices[0]
        var counts: [Int] = []
        for i in 0..<12 {
            let at = sunday(week: 37 + i)
            let readyCount = 60 + 2 * i
            let verdicts = offices.enumerated().map { index, code -> SiteVerdict in
                let ready = index < readyCount && !(i == 11 && code == regressed)
                let reasons = ready ? [] : [index % 2 == 0 ? down : slow]
                return SiteVerdict(site: code, state: ready ? .ready : .notReady, reasons: reasons, evaluatedAt: at, reportGeneratedAt: at)
            }
            _ = try await store.recordVerdicts(verdicts)
            counts.append(verdicts.count { $0.state == .ready })
        }
        return (counts[11], counts[10], regressed)
    }

    @Test func theMailWaitsInTheOutboxIsDeliveredOnceAndReadsRight() async throws {
        try await withTemporaryDirectory { directory in
            let offices = try exampleInventory().offices.map(\.code)
            let database = directory.appendingPathComponent("collector.sqlite").path
            let figures = try await Self.history(in: database, offices: offices)
            let tls = try await makeLoopbackCertificate(in: directory)
            let smtpPort = try freeLoopbackPort(udp: false)
            let apiPort = try freeLoopbackPort(udp: false)
            let passwordFile = directory.appendingPathComponent("smtp-password")
            try "mật-khẩu-2\n".write(to: passwordFile, atomically: true, encoding: .utf8)
            chmod(passwordFile.path, 0o600)
            let config = directory.appendingPathComponent("collector.yaml").path
            try """
                listen: {host: 127.0.0.1, port: \(apiPort)}
                database: {sqlite_path: \(database)}
                inventory: [\(packageRoot.appendingPathComponent("inventory").path)]
                alerts: {path: \(directory.appendingPathComponent("no-alerts").path)}
                \(CollectorFixtures.mail(smtpPort: smtpPort, from: "Sở Khoa học và Công nghệ <sansang@sansang.example>",
                                         outbox: directory.appendingPathComponent("outbox"), login: ("baocao", passwordFile),
                                         caFile: tls.certificate, extra: ["connect_timeout_s: 3", "timeout_s: 10"]))
                weekly_report: {to: ["Lãnh đạo UBND <lanhdao@sansang.example>"], lang: vi, title: Đà Nẵng}
                """.write(toFile: config, atomically: true, encoding: .utf8)

            // The SMTP server is down: the mail stays queued, the command says so and fails.
            let first = try await runProgram("sansang-collector", ["report", "weekly", "--week", "2026-W48", "--send", "--config", config])
            #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
            #expect(first.stderr.contains("hộp thư đi"), "\(first.stderr)")

            // Up again: the running collector delivers it, once.
            try await withSMTPSink(port: smtpPort, mailbox: directory.appendingPathComponent("mailbox"),
                                   log: directory.appendingPathComponent("smtp.log"), tls: tls, login: ("baocao", "mật-khẩu-2")) { sink in
                try await withDaemon([try builtProgram("sansang-collector"), "serve", "--config", config],
                                     log: directory.appendingPathComponent("collector.log")) { collector in
                    // The first retry comes after 15–30 s of backoff.
                    try await waitUntil(timeout: 90, "the weekly mail delivered by the collector") { sink.messages.count >= 1 }
                    try await Task.sleep(for: .seconds(2))
                    #expect(sink.messages.count == 1)

                    // While the collector runs, a second run hands the mail to it, which knows it was sent: nothing new.
                    let second = try await runProgram("sansang-collector", ["report", "weekly", "--week", "2026-W48", "--send", "--config", config])
                    #expect(second.status == 0, "\(second.stderr)")
                    try await Task.sleep(for: .seconds(Double(17)))
                    #expect(sink.messages.count == 1, "a week's mail is sent once")

                    // The NOC's client gets the same week from the API.
                    let token = try await Pipeline.tokenFile(Pipeline.issue(["--noc", "lanh-dao", "--role", "read"], config: config),
                                                     at: directory.appendingPathComponent("noc.token").path)
                    let table = try await runProgram("sansang", ["report", "weekly", "--week", "2026-W48", "--format", "csv",
                                                           "--server", "http://127.0.0.1:\(apiPort)", "--token-file", token])
                    #expect(table.status == 0, "\(table.stderr)")
                    #expect(table.stdout.split(separator: "\r\n").count == offices.count + 1)
                    let english = try await runProgram("sansang", ["report", "weekly", "--week", "2026-W48", "--lang", "en",
                                                          "--server", "http://127.0.0.1:\(apiPort)", "--token-file", token])
                    #expect(english.stdout.contains("\(figures.ready)/\(offices.count)"), "\(english.stdout.prefix(300))")

                    let inspected = try await run(["/usr/bin/python3", packageRoot.appendingPathComponent("scripts/mail-inspect.py").path,
                                             sink.messages[0].path])
                    let mail = try #require(try JSONSerialization.jsonObject(with: Data(inspected.utf8)) as? [String: Any])
                    let change = figures.ready - figures.previous
                    let signed = change > 0 ? "+\(change)" : change < 0 ? "-\(-change)" : "±0"
                    #expect(mail["subject"] as? String
                            == "Báo cáo sẵn sàng tuần 2026-W48 (Đà Nẵng): \(figures.ready)/\(offices.count) điểm sẵn sàng (\(signed))",
                            "\(mail["subject"] ?? "")")
                    #expect(mail["structure"] as? String
                            == "multipart/mixed(multipart/related(multipart/alternative(text/plain,text/html),image/png),text/csv)")
                    let parts = mail["parts"] as? [[String: Any]] ?? []
                    let html = parts.first { $0["content_type"] as? String == "text/html" }?["text"] as? String ?? ""
                    let png = parts.first { $0["content_type"] as? String == "image/png" }
                    let csv = parts.first { $0["content_type"] as? String == "text/csv" }
                    let contentID = (png?["content_id"] as? String ?? "?").trimmingCharacters(in: CharacterSet(charactersIn: "<>"))
                    #expect(html.contains("src=\"cid:\(contentID)\""))
                    #expect(html.contains("\(figures.ready)/\(offices.count)"))
                    #expect(png?["width"] as? Int == 1200)
                    let rows = csv?["rows"] as? [[String]] ?? []
                    #expect(rows.count == offices.count + 1, "a header and one row per office")
                    let regressedRow = rows.first { $0.contains(figures.regressed) }
                    #expect(regressedRow?.contains { $0.contains("SERVICE_DOWN:dichvucong") } == true, "\(regressedRow ?? [])")
                    let text = parts.first { $0["content_type"] as? String == "text/plain" }?["text"] as? String ?? ""
                    #expect(text.contains("Không còn sẵn sàng (1)"), "\(text.prefix(600))")
                }
            }
        }
    }
}
