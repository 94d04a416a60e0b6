import CollectorCore
import Foundation
import Mail
import Testing
import TestSupport
import YAMLConfig

/// `alerts:`, `mail:` and `weekly_report:` in collector.yaml.
@Suite struct MailConfigurationTests {
    @Test func sectionsDecodeWithTheirDefaults() async throws {
        let parsed = try CollectorConfiguration.parse(yaml: """
            alerts: {path: rules, evaluation_interval_s: 5, alertmanager_resend_s: 30, external_url: "https://noc.example/"}
            mail:
              url: smtps://mail.danang.gov.vn:465
              security: opportunistic
              username: canhbao
              from: "Sở KH&CN Đà Nẵng <noc@sansang.example>"
              timeout_s: 20
            weekly_report: {to: ["lanhdao@sansang.example"], lang: en, title: Quảng Nam}
            """, file: "c.yaml")
        #expect(parsed.alerts.path == "rules" && parsed.alerts.evaluationIntervalSeconds == 5)
        #expect(parsed.alerts.alertmanagerResendSeconds == 30 && parsed.alerts.externalURL == "https://noc.example/")
        let mail = try #require(parsed.mail)
        #expect(mail.smtp.url == "smtps://mail.danang.gov.vn:465" && mail.smtp.security == .opportunistic)
        #expect(mail.smtp.username == "canhbao" && mail.smtp.timeout == .seconds(20) && mail.smtp.connectTimeout == .seconds(10))
        #expect(mail.from.name == "Sở KH&CN Đà Nẵng" && mail.from.address == "noc@sansang.example")
        #expect(mail.outbox == "/var/lib/sansang/outbox")
        #expect(parsed.weeklyReport.to == ["lanhdao@sansang.example"] && parsed.weeklyReport.language == .en)
        #expect(parsed.weeklyReport.title == "Quảng Nam")
        let defaults = try CollectorConfiguration.parse(yaml: "", file: "c.yaml")
        #expect(defaults.mail == nil && defaults.alerts.path == "/etc/sansang/alerts" && defaults.weeklyReport.language == .vi)
    }

    @Test func errorsNameTheirPlace() {
        do {
            _ = try CollectorConfiguration.parse(yaml: """
                mail:
                  url: http://mail.example
                  from: nobody
                  security: tls
                weekly_report: {to: [lanhdao]}
                alerts: {evaluation_interval_s: 0}
                """, file: "c.yaml")
            Issue.record("accepted")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains { $0.hasPrefix("c.yaml:3:9: mail.from:") && $0.contains("not an address") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("c.yaml:5:22: weekly_report.to[0]:") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("c.yaml:6:33: alerts.evaluation_interval_s:") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("c.yaml:2:8: mail.url:") && $0.contains("smtp://") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("c.yaml:4:13: mail.security:") && $0.contains("starttls") }, "\(lines)")
            #expect(lines.count == 5, "\(lines)")
        }
    }

    @Test func thePasswordFileIsReadAndRelativePathsResolved() async throws {
        try await withTemporaryDirectory { directory in
            try "mật-khẩu\n".write(to: directory.appendingPathComponent("smtp-password"), atomically: true, encoding: .utf8)
            // A secret file others may read is refused (docs/reliability.md).
            chmod(directory.appendingPathComponent("smtp-password").path, 0o600)
            let file = directory.appendingPathComponent("collector.yaml")
            try """
                alerts: {path: alerts}
                mail: {url: "smtp://127.0.0.1:25", from: noc@sansang.example, password_file: smtp-password, outbox: outbox}
                """.write(to: file, atomically: true, encoding: .utf8)
            let loaded = try CollectorConfiguration.load(file: file.path)
            #expect(loaded.mail?.smtp.password == "mật-khẩu")
            #expect(loaded.mail?.outbox == directory.appendingPathComponent("outbox").path)
            #expect(loaded.alerts.path == directory.appendingPathComponent("alerts").path)
            try "mail: {url: \"smtp://127.0.0.1:25\", from: noc@sansang.example, password_file: missing}\n"
                .write(to: file, atomically: true, encoding: .utf8)
            let error = try #require(throws: ConfigErrors.self) { try CollectorConfiguration.load(file: file.path) }
            #expect(error.errors.first?.field == "mail.password_file")
        }
    }
}
