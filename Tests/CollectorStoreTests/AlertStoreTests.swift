import Alerting
import CollectorStore
import Foundation
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

/// The alert engine's storage: instances, the notification log with group waits, silences, service tallies.
@Suite struct AlertStoreTests {
    func notice(_ site: String, _ state: AlertInstance.State = .firing) -> AlertNotice {
        AlertNotice(rule: "service_down", site: site, siteName: "Phường \(site)", state: state, severity: .critical,
                    labels: ["alertname": "service_down", "province": "Đà Nẵng"], summaryVietnamese: "vi", summaryEnglish: "en",
                    activeSince: t0, firedAt: t0, resolvedAt: nil, match: ConditionMatch(evidenceAt: t0))
    }

    func group(_ sites: [String], wait: Int = 30) -> NoticeGroup {
        NoticeGroup(receiver: "mail", key: "mail|firing|alertname=service_down", state: .firing,
                    labels: ["alertname": "service_down"], notices: sites.map { notice($0) }, waitSeconds: wait)
    }

    @Test(arguments: Backend.allCases) func instancesAreStoredReplacedAndRemovedInOneRound(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let key = AlertKey(rule: "service_down", site: "20242")
            var instance = AlertInstance(key: key, state: .pending, activeSince: t0, checks: 1, lastEvidenceAt: t0,
                                         match: ConditionMatch(evidenceAt: t0, subjects: ["SERVICE_DOWN:vneid"]))
            try await store.commitAlertRound(upsert: [instance], remove: [], groups: [], now: t0)
            instance.state = .firing
            instance.notified = .firing
            try await store.commitAlertRound(upsert: [instance], remove: [], groups: [], now: t0 + 60)
            #expect(try await store.alertInstances() == [instance])
            try await store.commitAlertRound(upsert: [], remove: [key], groups: [], now: t0 + 120)
            #expect(try await store.alertInstances().isEmpty)
        }
    }

    @Test(arguments: Backend.allCases) func aGroupJoinsTheQueuedOneUntilItsWaitEndsThenANewOneOpens(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await store.commitAlertRound(upsert: [], remove: [], groups: [group(["20242"])], now: t0)
            try await store.commitAlertRound(upsert: [], remove: [], groups: [group(["20257", "20242"])], now: t0 + 10)
            #expect(try await store.dueAlertNotifications(now: t0 + 29, limit: 10).isEmpty, "still waiting")
            let due = try await store.dueAlertNotifications(now: t0 + 30, limit: 10)
            #expect(due.count == 1)
            #expect(due.first?.group.notices.map(\.site).sorted() == ["20242", "20257"], "joined, each site once")
            // After its wait, a new group opens.
            try await store.commitAlertRound(upsert: [], remove: [], groups: [group(["20209"])], now: t0 + 31)
            #expect(try await store.alertNotificationLog(limit: 10).count == 2)
        }
    }

    @Test(arguments: Backend.allCases) func aFailedGroupIsRetriedLaterAndASentOneIsNotDueAgain(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await store.commitAlertRound(upsert: [], remove: [], groups: [group(["20242"], wait: 0)], now: t0)
            let first = try #require(try await store.dueAlertNotifications(now: t0, limit: 10).first)
            try await store.deferAlertNotification(id: first.id, retryAt: t0 + 60, error: "http_status: 503")
            #expect(try await store.dueAlertNotifications(now: t0 + 59, limit: 10).isEmpty)
            let retried = try #require(try await store.dueAlertNotifications(now: t0 + 60, limit: 10).first)
            #expect(retried.attempts == 1 && retried.lastError == "http_status: 503")
            // A tried group takes no newcomers: they open a group of their own.
            try await store.commitAlertRound(upsert: [], remove: [], groups: [group(["20257"])], now: t0 + 61)
            #expect(try await store.alertNotificationLog(limit: 10).count == 2)
            try await store.markAlertNotificationSent(id: retried.id, at: t0 + 62)
            #expect(try await store.dueAlertNotifications(now: t0 + 1000, limit: 10).map(\.id) != [retried.id])
            #expect(try await store.alertNotificationLog(limit: 10).first { $0.id == retried.id }?.sentAt == t0 + 62)
        }
    }

    @Test(arguments: Backend.allCases) func silencesAreListedUntilTheyEndAndExpireEarly(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let silence = Silence(id: "s1", site: "20242", startsAt: t0, endsAt: t0 + 3600, author: "trực ban", comment: "Thay switch",
                                  createdAt: t0)
            try await store.insertSilence(silence)
            #expect(try await store.silences(endingAfter: t0 + 10).map(\.id) == ["s1"])
            #expect(try await store.expireSilence(id: "s1", at: t0 + 600))
            #expect(try await store.silences(endingAfter: t0 + 601).isEmpty)
            #expect(try await store.silences(endingAfter: t0).first?.endsAt == t0 + 600)
            #expect(try await store.expireSilence(id: "nosuch", at: t0) == false)
        }
    }

    @Test(arguments: Backend.allCases) func eachServiceCheckIsCountedOnceThoughReportsRepeatIt(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            func reportWith(seq: UInt64, at: Date, checkedAt: Date, ok: Bool) -> Report {
                Report(site: "20242", agent: AgentIdentity(version: "t", hostname: "h", bootId: "b"), seq: seq, generatedAt: at,
                       services: [ServiceResult(name: "vneid", kind: .https, ok: ok, checkedAt: checkedAt)])
            }
            // Three reports carry the check of t0 (down), two the check of t0+300 (up).
            _ = try await store.ingest([
                reportWith(seq: 1, at: t0, checkedAt: t0, ok: false), reportWith(seq: 2, at: t0 + 60, checkedAt: t0, ok: false),
                reportWith(seq: 3, at: t0 + 120, checkedAt: t0, ok: false),
                reportWith(seq: 4, at: t0 + 300, checkedAt: t0 + 300, ok: true), reportWith(seq: 5, at: t0 + 360, checkedAt: t0 + 300, ok: true),
            ], receivedAt: t0 + 400)
            let tallies = try await store.serviceTallies(from: t0 - 86400, to: t0 + 86400)
            #expect(tallies == [ServiceTally(service: "vneid", ok: 1, total: 2)])
        }
    }

    /// A check at 20:00 UTC is on the next day in Vietnam: the configured office clock decides the day it counts for.
    @Test(arguments: Backend.allCases) func aServiceCheckCountsForTheDayOfTheConfiguredOfficeClock(_ backend: Backend) async throws {
        let checked = Date(timeIntervalSince1970: 1_800_000_000 + 12 * 3600)  // 2027-01-15 20:00 UTC, 2027-01-16 03:00 in Vietnam
        let utcDay = (from: Date(timeIntervalSince1970: 1_800_000_000 + 16 * 3600), to: Date(timeIntervalSince1970: 1_800_000_000 + 40 * 3600))
        let report = Report(site: "20242", agent: AgentIdentity(version: "t", hostname: "h", bootId: "b"), seq: 1, generatedAt: checked,
                            services: [ServiceResult(name: "vneid", kind: .https, ok: true, checkedAt: checked)])
        for (zone, counted) in [("Asia/Ho_Chi_Minh", true), ("UTC", false)] {
            try await withStore(backend, officeTimeZone: try #require(TimeZone(identifier: zone))) { store, _ in
                _ = try await store.ingest([report], receivedAt: checked)
                // 2027-01-16 00:00 to 2027-01-17 00:00 UTC: day 16 in Vietnam holds the check, day 16 in UTC does not.
                let tallies = try await store.serviceTallies(from: utcDay.from, to: utcDay.to)
                #expect(tallies == (counted ? [ServiceTally(service: "vneid", ok: 1, total: 1)] : []), "\(zone)")
            }
        }
    }

    @Test(arguments: Backend.allCases) func transitionsUpToATimeBySite(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.recordVerdicts([SiteVerdict(site: "20242", state: .notReady, reasons: [], evaluatedAt: t0, reportGeneratedAt: t0)])
            _ = try await store.recordVerdicts([SiteVerdict(site: "20242", state: .ready, reasons: [], evaluatedAt: t0 + 100, reportGeneratedAt: t0)])
            _ = try await store.recordVerdicts([SiteVerdict(site: "20257", state: .ready, reasons: [], evaluatedAt: t0 + 200, reportGeneratedAt: t0)])
            let upTo = try await store.allTransitions(upTo: t0 + 150)
            #expect(upTo["20242"]?.map(\.to) == [.notReady, .ready])
            #expect(upTo["20257"] == nil)
        }
    }
}
