import CollectorStore
import Foundation
import GRDB
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

func report(site: String = "20242", boot: String = "b1", seq: UInt64, at: Date, lan: Int? = 10000,
            serviceMs: Double? = 120, gap: GapRecord? = nil) -> Report {
    Report(site: site, agent: AgentIdentity(version: "test", hostname: "h", bootId: boot), seq: seq, generatedAt: at,
           links: [LinkReport(role: .lan, speed: [SpeedReading(source: .nic, speedMbps: lan)])],
           services: [ServiceResult(name: "vneid", kind: .https, ok: true, totalMilliseconds: serviceMs, checkedAt: at)],
           gap: gap)
}

func withStore<T>(officeTimeZone: TimeZone = OfficeTime.zone, _ body: (SQLiteStore, String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { dir in
        let path = dir.appendingPathComponent("collector.sqlite").path
        let store = try SQLiteStore(path: path, officeTimeZone: officeTimeZone)
        try await store.migrate()
        return try await body(store, path)
    }
}

let t0 = Date(timeIntervalSince1970: 1_780_000_000)

@Suite struct SQLiteStoreTests {
    @Test func migrationsAreIdempotentAndUseWAL() async throws {
        try await withStore { store, path in
            try await store.migrate()
            #expect(try await store.appliedMigrations() == ["v1-reports-verdicts-series-tokens", "v2-gap-lost-boot", "v3-snmp-notifications",
                                                        "v4-alerts-silences-service-days", "v5-enrolment-codes",
                                                        "v6-report-digest", "v7-notification-key",
                                                        "v8-dashboard-users-sessions", "v9-verdict-columns", "v10-mail-claims",
                                                        "v11-transition-at"])
            let mode = try await DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            try await store.ping()
        }
    }

    @Test(arguments: Backend.allCases) func repeatedReportIsADuplicateAndStoredOnce(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let first = try await store.ingest([report(seq: 1, at: t0), report(seq: 2, at: t0 + 60)], receivedAt: t0 + 61)
            #expect(first.stored == [ReportKey(bootId: "b1", seq: 1), ReportKey(bootId: "b1", seq: 2)])
            #expect(first.duplicates.isEmpty)
            // A replay of seq 2 with new seq 3, and seq 3 twice in one batch.
            let second = try await store.ingest([report(seq: 2, at: t0 + 60), report(seq: 3, at: t0 + 120),
                                                 report(seq: 3, at: t0 + 120)], receivedAt: t0 + 121)
            #expect(second.stored == [ReportKey(bootId: "b1", seq: 3)])
            #expect(second.duplicates == [ReportKey(bootId: "b1", seq: 2), ReportKey(bootId: "b1", seq: 3)])
            #expect(try await store.reportCount(site: "20242") == 3)
            // Same seq under a new boot id is a new report.
            #expect(try await store.ingest([report(boot: "b2", seq: 1, at: t0 + 180)], receivedAt: t0 + 181).stored.count == 1)
            #expect(try await store.reportCount(site: "20242") == 4)
        }
    }

    @Test(arguments: Backend.allCases) func aFailingBatchStoresNothing(_ backend: Backend) async throws {
        try await withStore(backend) { store, database in
            // A real database failure part-way through the batch: a trigger refuses site 99999's series point.
            switch backend {
            case .sqlite:
                try await database.execute("""
                    CREATE TRIGGER refuse BEFORE INSERT ON point WHEN NEW.site = '99999'
                    BEGIN SELECT RAISE(ABORT, 'refused by test'); END
                    """)
            case .postgresql:
                try await database.execute("""
                    CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN IF NEW.site = '99999' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$;
                    CREATE TRIGGER refuse BEFORE INSERT ON point FOR EACH ROW EXECUTE FUNCTION refuse();
                    """)
            }
            await #expect(throws: (any Error).self) {
                try await store.ingest([report(seq: 1, at: t0), report(site: "99999", seq: 1, at: t0)], receivedAt: t0)
            }
            #expect(try await store.reportCount(site: "20242") == 0)
            #expect(try await store.latestReport(site: "20242") == nil)
            #expect(try await store.points(site: "20242", from: .distantPast, to: .distantFuture).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases) func latestReportIsTheNewestGeneratedAndSeriesAndGapsAreKept(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let gap = GapRecord(count: 3, firstSeq: 4, lastSeq: 6, from: t0, to: t0 + 180)
            _ = try await store.ingest([report(seq: 10, at: t0 + 600, lan: 1000, gap: gap)], receivedAt: t0 + 601)
            // An older report drained late does not hide the newer one.
            _ = try await store.ingest([report(seq: 9, at: t0 + 540)], receivedAt: t0 + 602)
            let latest = try #require(try await store.latestReport(site: "20242"))
            #expect(latest.report.seq == 10)
            #expect(latest.receivedAt == t0 + 601)
            #expect(try await store.latestReports().keys.sorted() == ["20242"])
            #expect(try await store.latestReceivedAt() == ["20242": t0 + 601])
            let points = try await store.points(site: "20242", from: .distantPast, to: .distantFuture)
            #expect(points.map(\.series) == ["link:lan:nic", "service:vneid", "link:lan:nic", "service:vneid"])
            #expect(points.first?.value == 10000)
            #expect(points.last?.value == 120)
            // A gap without a boot id lost reports of the carrying report's own boot: stored with that boot.
            var stored = gap
            stored.bootId = "b1"
            #expect(try await store.gaps(site: "20242", from: .distantPast, to: .distantFuture) == [stored])
        }
    }

    @Test(arguments: Backend.allCases) func transitionsAreRecordedOnlyWhenStateOrReasonsChange(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            func verdict(_ state: VerdictState, _ reasons: [Reason], at: Date) -> SiteVerdict {
                SiteVerdict(site: "20242", state: state, reasons: reasons, evaluatedAt: at, reportGeneratedAt: nil)
            }
            let noData = Reason(code: .noData, impact: .unknown, evidence: "no report")
            let slow = Reason(code: .serviceSlow, subject: "vneid", impact: .degraded, evidence: "3000 ms")
            let slower = Reason(code: .serviceSlow, subject: "vneid", impact: .degraded, evidence: "4000 ms")
            let down = Reason(code: .serviceDown, subject: "dvc", impact: .degraded, evidence: "refused")
            #expect(try await store.recordVerdicts([verdict(.unknown, [noData], at: t0)]).count == 1)
            #expect(try await store.recordVerdicts([verdict(.unknown, [noData], at: t0 + 15)]).isEmpty)
            #expect(try await store.recordVerdicts([verdict(.degraded, [slow], at: t0 + 30)])["20242"]?.from == .unknown)
            // Same state and reason keys, other evidence: no transition, but the current verdict is updated.
            #expect(try await store.recordVerdicts([verdict(.degraded, [slower], at: t0 + 45)]).isEmpty)
            #expect(try await store.currentVerdicts()["20242"]?.reasons == [slower])
            // Same state, another reason set: a transition.
            #expect(try await store.recordVerdicts([verdict(.degraded, [slower, down], at: t0 + 60)]).count == 1)
            let history = try await store.transitions(site: "20242", from: .distantPast, to: .distantFuture)
            #expect(history.map(\.to) == [.unknown, .degraded, .degraded])
            #expect(history.map(\.from) == [nil, .unknown, .degraded])
            #expect(history.last?.reasons == [slower, down])
            #expect(try await store.transitions(site: "20242", from: t0 + 31, to: t0 + 59).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases) func pruneDeletesOldReportsAndPointsButKeepsTransitionsAndLatest(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.ingest([report(seq: 1, at: t0)], receivedAt: t0)
            _ = try await store.ingest([report(seq: 2, at: t0 + 86400 * 100)], receivedAt: t0 + 86400 * 100)
            _ = try await store.recordVerdicts([SiteVerdict(site: "20242", state: .ready, reasons: [], evaluatedAt: t0,
                                                            reportGeneratedAt: t0)])
            let pruned = try await store.prune(before: t0 + 86400 * 10)
            #expect(pruned == PruneOutcome(reports: 1, points: 2))
            #expect(try await store.reportCount(site: "20242") == 1)
            #expect(try await store.points(site: "20242", from: .distantPast, to: .distantFuture).count == 2)
            #expect(try await store.transitions(site: "20242", from: .distantPast, to: .distantFuture).count == 1)
            #expect(try await store.latestReport(site: "20242")?.report.seq == 2)
        }
    }

    @Test(arguments: Backend.allCases) func tokensAreStoredAndRevokedOnce(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let record = TokenRecord(id: "0123456789ab", kind: .noc, site: nil, name: "alice", role: .admin,
                                     sha256: String(repeating: "a", count: 64), createdAt: t0)
            try await store.insertToken(record)
            #expect(try await store.token(id: "0123456789ab") == record)
            #expect(try await store.revokeToken(id: "0123456789ab", at: t0 + 10))
            #expect(try await store.revokeToken(id: "0123456789ab", at: t0 + 20))
            #expect(try await store.token(id: "0123456789ab")?.revokedAt == t0 + 10)
            #expect(try await !store.revokeToken(id: "ffffffffffff", at: t0))
            #expect(try await store.tokens().map(\.id) == ["0123456789ab"])
        }
    }
}

@Suite struct NotificationStoreTests {
    func notification(_ site: String, at: Date, verdict: VerdictState, seq: UInt64) -> SiteNotification {
        SiteNotification(site: site, receivedAt: at, kind: .heartbeat, verdict: verdict, reasons: ["SERVICE_DOWN:vneid"],
                         links: [.init(role: "lan", measuredMbps: nil, targetMbps: 10_000)], agentVersion: "test",
                         reportSeq: seq, bootId: "b1", sender: "v3:u", source: "127.0.0.1:40000")
    }

    @Test(arguments: Backend.allCases) func aBatchIsStoredAndReadBackPerSiteOldestFirstAndTheNewestPerSite(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let batch = [notification("20242", at: t0, verdict: .ready, seq: 1),
                         notification("20257", at: t0 + 1, verdict: .notReady, seq: 7),
                         notification("20242", at: t0 + 2, verdict: .degraded, seq: 2)]
            try await store.recordNotifications(batch)
            let haiChau = try await store.notifications(site: "20242", from: t0, to: t0 + 10)
            #expect(haiChau == [batch[0], batch[2]])
            #expect(try await store.notifications(site: "20242", from: t0 + 1, to: t0 + 1).isEmpty)
            let newest = try await store.latestNotifications()
            #expect(newest.mapValues(\.reportSeq) == ["20242": 2, "20257": 7])
            #expect(newest["20242"]?.site == "20242")
        }
    }

    /// Issue 14, item 21: an INFORM replayed within USM's time window was stored again each time.
    @Test(arguments: Backend.allCases) func aReplayedNotificationIsStoredOnce(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let first = notification("20242", at: t0, verdict: .notReady, seq: 5)
            let firstDuplicates = try await store.recordNotifications([first])
            #expect(firstDuplicates == 0)
            var replayed = first
            replayed.receivedAt = t0 + 30
            let replayDuplicates = try await store.recordNotifications([replayed, replayed])
            #expect(replayDuplicates == 2)
            let stored = try await store.notifications(site: "20242", from: t0 - 1, to: t0 + 100)
            #expect(stored == [first])
            // The next report's notification, another boot's same seq, and a verdict change are new.
            var change = first
            change.kind = .verdictChange
            var otherBoot = first
            otherBoot.bootId = "b2"
            let newDuplicates = try await store.recordNotifications([notification("20242", at: t0 + 60, verdict: .ready, seq: 6),
                                                                     change, otherBoot])
            #expect(newDuplicates == 0)
            let all = try await store.notifications(site: "20242", from: t0 - 1, to: t0 + 100)
            #expect(all.count == 4)
        }
    }

    @Test(arguments: Backend.allCases) func retentionPrunesOldNotifications(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await store.recordNotifications([notification("20242", at: t0, verdict: .ready, seq: 1),
                                                 notification("20242", at: t0 + 100, verdict: .ready, seq: 2)])
            _ = try await store.prune(before: t0 + 50)
            #expect(try await store.notifications(site: "20242", from: t0 - 1, to: t0 + 200).map(\.reportSeq) == [2])
        }
    }
}
