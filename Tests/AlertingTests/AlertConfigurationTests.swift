import Alerting
import Foundation
import Testing
import YAMLConfig

@Suite("alerts/*.yaml")
struct AlertConfigurationTests {
    func errors(_ yaml: String, file: String = "alerts/x.yaml") -> [ConfigError] {
        do {
            _ = try AlertConfiguration.parse([(yaml, file)])
            return []
        } catch {
            return error.errors
        }
    }

    @Test func theShippedRulesAndRoutesAreValid() async throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../alerts").path
        let configuration = try AlertConfiguration.load(path: directory)
        #expect(configuration.rules.map(\.name).contains("service_down"))
        #expect(configuration.rules.map(\.name).contains("agent_silent"))
        #expect(configuration.rules.first { $0.name == "wan_throughput_low" }?.forChecks == 2)
        #expect(configuration.rules.first { $0.name == "service_down" }?.forSeconds == 600)
        #expect(configuration.receivers["noc-email"] != nil)
        #expect(!configuration.routes.isEmpty)
        // agent_silent words a site that never reported differently from one silent for a while.
        let silent = try #require(configuration.rules.first { $0.name == "agent_silent" })
        let values = ["site": "20242", "site_name": "Phường Hải Châu"]
        #expect(silent.summary.render(values.merging(["value": "17"]) { a, _ in a }, vietnameseText: true)
                == "Phường Hải Châu (20242): agent im lặng 17 phút")
        #expect(silent.summary.render(values.merging(["value": ""]) { a, _ in a }, vietnameseText: true)
                == "Phường Hải Châu (20242): agent chưa từng gửi báo cáo")
        #expect(silent.summary.render(values, vietnameseText: false) == "Phường Hải Châu (20242): no report ever received")
    }

    @Test func errorsNameFileLineAndField() {
        let found = errors("""
        rules:
          - name: down
            when:
              reason: SERVCE_DOWN
            for: 10 minutes
            severity: urgent
            summary: {vi: "x", en: "y"}
        """)
        #expect(found.map(\.location.line) == [4, 5, 6])
        #expect(found.map(\.field) == ["rules[0].when.reason", "rules[0].for", "rules[0].severity"])
        #expect(found[0].message.contains("did you mean \"SERVICE_DOWN\""))
        #expect(found.allSatisfy { $0.location.file == "alerts/x.yaml" })
    }

    @Test func unknownKeysMissingPartsAndBadTemplatesAreReported() {
        #expect(errors("rules:\n  - name: a\n    when: {verdict: not_ready}\n    sumary: {vi: x, en: y}\n").map(\.code)
                == [.missingKey, .unknownKey], "sorted by place: the missing key is reported at its mapping (line 2)")
        #expect(errors("rules:\n  - name: a\n    when: {}\n    summary: {vi: x, en: y}\n").first?.field == "rules[0].when")
        let template = errors("rules:\n  - name: a\n    when: {verdict: not_ready}\n    summary: {vi: \"{{#x}}\", en: y}\n")
        #expect(template.first?.field == "rules[0].summary.vi")
        #expect(errors("rules:\n  - name: a\n    when: {metric: {series: throughput:wan:sideways, below: 1}}\n    summary: {vi: x, en: y}\n")
            .first?.field == "rules[0].when.metric.series")
    }

    @Test func duplicatesAcrossFilesAndUnknownReceiversAreReported() {
        let rule = "rules:\n  - name: a\n    when: {verdict: not_ready}\n    summary: {vi: x, en: y}\n"
        do {
            _ = try AlertConfiguration.parse([(rule, "alerts/1.yaml"), (rule + "routes:\n  - receivers: [nco]\n", "alerts/2.yaml")])
            Issue.record("expected errors")
        } catch {
            let messages = error.errors.map(\.description)
            #expect(messages.contains { $0.hasPrefix("alerts/2.yaml:2:") && $0.contains("already defined at alerts/1.yaml:2") })
            #expect(messages.contains { $0.hasPrefix("alerts/2.yaml:6:") && $0.contains("no receiver named \"nco\"") })
        }
    }

    @Test func receiversOfEveryKindParse() async throws {
        let configuration = try AlertConfiguration.parse([("""
        receivers:
          - name: mail
            email: {to: ["noc@sansang.example"], lang: en}
          - name: hook
            webhook: {url: "https://198.18.0.10/hook", bearer_token_file: /etc/sansang/hook.token}
          - name: am
            alertmanager: {url: "http://127.0.0.1:9093"}
          - name: trapsink
            snmp: {address: "udp:198.18.0.20:162", user: noc, auth_passphrase: "authpass12", privacy_passphrase: "privpass12"}
        """, "alerts/r.yaml")])
        #expect(configuration.receivers.keys.sorted() == ["am", "hook", "mail", "trapsink"])
        guard case .email(let to, let language)? = configuration.receivers["mail"]?.kind else { Issue.record("mail"); return }
        #expect(to == ["noc@sansang.example"] && language == .en)
        #expect(errors("receivers:\n  - name: x\n    email: {to: [nobody]}\n").first?.message.contains("not an e-mail address") == true)
        #expect(errors("receivers:\n  - name: x\n    webhook: {url: ftp://a}\n").first?.field == "receivers[0].webhook.url")
    }
}
