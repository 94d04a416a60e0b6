import Foundation
import ReadinessModel
import Testing

/// A verdict the agent notified over SNMP stands in only while its HTTP reports are missing, and not for ever.
@Suite struct NotifiedVerdictTests {
    let evaluator = ReadinessEvaluator()
    let notifiedDown = NotifiedVerdict(receivedAt: Fleet.now.addingTimeInterval(-60), state: .notReady,
                                       reasons: [ReasonKey(code: .serviceDown, subject: "dichvucong")])

    func evaluate(_ report: Report?, _ notified: NotifiedVerdict?) -> SiteVerdict? {
        evaluator.evaluate(site: Fleet.haiChau, profile: Fleet.urban, latest: report, notified: notified, now: Fleet.now)
    }

    @Test func aCurrentReportWinsOverANotification() async throws {
        let verdict = try #require(evaluate(Fleet.goodReport(), notifiedDown))
        #expect(verdict.state == .ready)
        #expect(verdict.notifiedAt == nil)
    }

    @Test func withNoReportTheNotifiedVerdictStandsInWithItsReasons() async throws {
        let verdict = try #require(evaluate(nil, notifiedDown))
        #expect(verdict.state == .notReady)
        #expect(verdict.reasons.map(\.description) == ["SERVICE_DOWN:dichvucong"])
        #expect(verdict.reasons.allSatisfy { $0.evidence.contains("SNMP") && $0.impact == .notReady })
        #expect(verdict.notifiedAt == notifiedDown.receivedAt)
    }

    @Test func aStaleReportGivesWayToANewerNotification() async throws {
        let stale = Fleet.goodReport { $0.generatedAt = Fleet.now.addingTimeInterval(-3600) }
        let verdict = try #require(evaluate(stale, notifiedDown))
        #expect(verdict.state == .notReady)
        #expect(verdict.reportGeneratedAt == stale.generatedAt)
        // A notification older than the stale report does not.
        var older = notifiedDown
        older.receivedAt = Fleet.now.addingTimeInterval(-7200)
        #expect(evaluate(stale, older)?.reasons.map(\.code) == [.stale])
    }

    @Test func anOldNotificationNoLongerCounts() {
        var old = notifiedDown
        old.receivedAt = Fleet.now.addingTimeInterval(-(evaluator.policy.notificationMaxAgeSeconds + 1))
        #expect(evaluate(nil, old)?.reasons.map(\.code) == [.noData])
    }

    @Test func aNotifiedReadyVerdictHasNoReasons() async throws {
        let ready = NotifiedVerdict(receivedAt: Fleet.now, state: .ready, reasons: [])
        let verdict = try #require(evaluate(nil, ready))
        #expect(verdict.state == .ready && verdict.reasons.isEmpty && verdict.notifiedAt == Fleet.now)
    }
}
