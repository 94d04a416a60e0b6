import Alerting
import Foundation
import Presentation
import Testing

@Suite("Alert messages")
struct NoticeMessageTests {
    func notice(_ site: String, name: String, state: AlertInstance.State = .firing, severity: AlertSeverity = .critical) -> AlertNotice {
        AlertNotice(rule: "service_down", site: site, siteName: name, state: state, severity: severity,
                    labels: ["alertname": "service_down", "former_district": "Hải Châu"],
                    summaryVietnamese: "\(name): dịch vụ vneid không truy cập được", summaryEnglish: "\(name): service vneid unreachable",
                    activeSince: t0, firedAt: t0, resolvedAt: state == .resolved ? t0 + 600 : nil,
                    match: ConditionMatch(evidenceAt: t0, subjects: ["SERVICE_DOWN:vneid"]))
    }

    func group(_ notices: [AlertNotice], state: AlertInstance.State = .firing) -> NoticeGroup {
        NoticeGroup(receiver: "mail", key: "k", state: state, labels: [:], notices: notices, waitSeconds: 30)
    }

    @Test func oneAlertIsItsSummaryAndManyAreCountedWithTheFirstNames() {
        let one = NoticeGroupMessage(group: group([notice("20242", name: "Phường Hải Châu")]), language: .vi)
        #expect(one.subject == "[KHẨN] Phường Hải Châu: dịch vụ vneid không truy cập được")
        let many = NoticeGroupMessage(group: group((0..<5).map { notice("2020\($0)", name: "Xã \($0)", severity: .warning) }), language: .en)
        #expect(many.subject == "[WARNING] service_down: 5 sites — Xã 0, Xã 1, Xã 2, …")
        let resolved = NoticeGroupMessage(group: group([notice("20242", name: "Phường Hải Châu", state: .resolved)], state: .resolved),
                                          language: .vi)
        #expect(resolved.subject.hasPrefix("[ĐÃ KHẮC PHỤC] "))
        #expect(resolved.text.contains("từ 2027-01-15 15:00 +07:00, hết lúc 2027-01-15 15:10 +07:00"), "local time of the offices")
    }

    @Test func htmlEscapesSiteNamesAndDeclaresItsLanguage() {
        let message = NoticeGroupMessage(group: group([notice("20242", name: "<script>alert(1)</script>")]), language: .en)
        #expect(!message.html.contains("<script>"))
        #expect(message.html.contains("&lt;script&gt;"))
        #expect(message.html.contains("<html lang=\"en\">"))
    }

    @Test func alertmanagerAlertsCarryLabelsBothSummariesAndTheEndWhenResolved() {
        let firing = AlertmanagerAlert(notice("20242", name: "Phường Hải Châu"))
        #expect(firing.endsAt == nil && firing.startsAt == t0)
        #expect(firing.annotations["summary"] == "Phường Hải Châu: dịch vụ vneid không truy cập được")
        #expect(firing.annotations["summary_en"] == "Phường Hải Châu: service vneid unreachable")
        let resolved = AlertmanagerAlert(notice("20242", name: "Phường Hải Châu", state: .resolved))
        #expect(resolved.endsAt == t0 + 600)
    }
}
