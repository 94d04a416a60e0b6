import CollectorStore
import Foundation
import GRDB
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

/// The compact verdict columns and version reads of `SiteStateStore` (issue 17), on both back ends where they apply.
@Suite struct SiteStateStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    func verdict(_ site: String, _ state: VerdictState, _ reasons: [Reason], at: Date) -> SiteVerdict {
        SiteVerdict(site: site, state: state, reasons: reasons, evaluatedAt: at, reportGeneratedAt: nil)
    }

    @Test func reasonKeyListRoundTripsKeysAndDropsEvidence() {
        let reasons = [Reason(code: .serviceDown, subject: "vneid", impact: .notReady, evidence: "refused"),
                       Reason(code: .stale, impact: .unknown, evidence: "5 min")]
        let text = ReasonKeyList.encode(reasons)
        #expect(text == "SERVICE_DOWN:vneid\nSTALE")
        #expect(ReasonKeyList.decode(text).map(\.key) == reasons.map(\.key))
        #expect(ReasonKeyList.decode(text).allSatisfy { $0.evidence.isEmpty })
        #expect(ReasonKeyList.decode("").isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func summariesRevisionsAndRecheckTimesFollowEachWrite(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let down = Reason(code: .serviceDown, subject: "vneid", impact: .notReady, evidence: "refused")
            var transitions = try await store.recordVerdicts([verdict("1", .notReady, [down], at: t0), verdict("2", .ready, [], at: t0)],
                                                             recheckAt: ["1": t0 + 180])
            #expect(transitions.keys.sorted() == ["1", "2"])
            #expect(try await store.verdictRevisions() == ["1": 1, "2": 1])
            #expect(try await store.sitesDueForEvaluation(at: t0 + 179).isEmpty)
            #expect(try await store.sitesDueForEvaluation(at: t0 + 180) == ["1"])

            // Same state and keys, other evidence: a new revision, no transition; the recheck time is replaced.
            var again = down
            again.evidence = "timeout"
            transitions = try await store.recordVerdicts([verdict("1", .notReady, [again], at: t0 + 60)], recheckAt: [:])
            #expect(transitions.isEmpty)
            #expect(try await store.verdictRevisions() == ["1": 2, "2": 1])
            #expect(try await store.sitesDueForEvaluation(at: t0 + 10_000).isEmpty)
            let summaries = try await store.verdictSummaries()
            #expect(summaries["1"]?.state == .notReady)
            #expect(summaries["1"]?.reasons.map(\.key) == [down.key])
            #expect(summaries["2"]?.reasons == [])
            #expect(try await store.verdicts(sites: ["1", "3"]).mapValues(\.reasons) == ["1": [again]])

            transitions = try await store.recordVerdicts([verdict("1", .ready, [], at: t0 + 120)], recheckAt: [:])
            #expect(transitions["1"]?.from == .notReady)
            #expect(try await store.verdictSummaries()["1"]?.state == .ready)
        }
    }

    @Test(arguments: Backend.allCases)
    func theSitesChangedSinceATransitionIdAreTheOnesToReadAgain(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let down = Reason(code: .serviceDown, subject: "vneid", impact: .notReady, evidence: "refused")
            _ = try await store.recordVerdicts([verdict("1", .ready, [], at: t0), verdict("2", .ready, [], at: t0),
                                                verdict("3", .ready, [], at: t0)], recheckAt: [:])
            let first = try await store.latestTransitionID()
            #expect(try await store.sitesWithTransitions(after: first, upTo: first).isEmpty)
            // New evidence, same state and keys: no transition, nothing to read again.
            _ = try await store.recordVerdicts([verdict("1", .ready, [], at: t0 + 60)], recheckAt: [:])
            #expect(try await store.latestTransitionID() == first)
            _ = try await store.recordVerdicts([verdict("2", .notReady, [down], at: t0 + 120)], recheckAt: [:])
            let second = try await store.latestTransitionID()
            _ = try await store.recordVerdicts([verdict("3", .notReady, [down], at: t0 + 180),
                                                verdict("2", .ready, [], at: t0 + 180)], recheckAt: [:])
            let third = try await store.latestTransitionID()
            #expect(try await store.sitesWithTransitions(after: first, upTo: second) == ["2"])
            #expect(try await store.sitesWithTransitions(after: second, upTo: third) == ["2", "3"])
            #expect(try await store.sitesWithTransitions(after: 0, upTo: first) == ["1", "2", "3"])

            let some = try await store.verdictSummaries(sites: ["3", "nope"])
            #expect(some.keys.sorted() == ["3"])
            #expect(some["3"]?.reasons.map(\.key) == [down.key])
            #expect(try await store.verdictSummaries(sites: []).isEmpty)
            #expect(try await store.verdictSummaries().count == 3)
        }
    }

    @Test func latestKeysAndPerSiteReadsDecodeOnlyTheListedSites() async throws {
        try await withTemporaryDirectory { dir in
            let store = try SQLiteStore(path: dir.appendingPathComponent("s.sqlite").path)
            try await store.migrate()
            let sites = (0..<700).map { String(40_000 + $0) }
            for (i, site) in sites.enumerated() {
                let report = Report(site: site, agent: AgentIdentity(version: "t", hostname: "h", bootId: "b"), seq: UInt64(i + 1),
                                    generatedAt: t0, intervalSeconds: 60, links: [], services: [])
                _ = try await store.ingest([report], receivedAt: t0 + Double(i))
            }
            let before = store.decodedReports
            let keys = try await store.latestReportKeys(sites: nil)
            #expect(keys.count == 700)
            #expect(keys["40003"] == LatestReportKey(key: ReportKey(bootId: "b", seq: 4), receivedAt: t0 + 3))
            #expect(try await store.latestReportKeys(sites: ["40003", "nope"]).keys.sorted() == ["40003"])
            #expect(store.decodedReports == before, "keys are read from columns")
            // More sites than one chunk of parameters.
            let some = Array(sites.prefix(600))
            #expect(try await store.latestReports(sites: some).count == 600)
            #expect(store.decodedReports == before + 600)
        }
    }

    @Test(arguments: Backend.allCases)
    func upgradeFillsTheColumnsOfVerdictsStoredBefore(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            // Back to the v8 schema, with a verdict stored by a v8 collector.
            let down = Reason(code: .serviceDown, subject: "vneid", impact: .notReady, evidence: "refused")
            let stale = Reason(code: .stale, impact: .unknown, evidence: "5 min")
            let json = try ReportCoding.encoder().encode(verdict("1", .notReady, [down, stale], at: t0))
            let hex = json.map { String(format: "%02x", $0) }.joined()
            switch backend {
            case .sqlite:
                try await database.execute("""
                    DROP INDEX verdict_recheck;
                    ALTER TABLE verdict DROP COLUMN reason_keys;
                    ALTER TABLE verdict DROP COLUMN revision;
                    ALTER TABLE verdict DROP COLUMN recheck_at;
                    DELETE FROM grdb_migrations WHERE identifier = 'v9-verdict-columns';
                    INSERT INTO verdict (site, state, evaluated_at, json) VALUES ('1', 'not_ready', \(t0.timeIntervalSince1970), x'\(hex)');
                    """)
            case .postgresql:
                try await database.execute("""
                    DROP INDEX verdict_recheck;
                    ALTER TABLE verdict DROP COLUMN reason_keys, DROP COLUMN revision, DROP COLUMN recheck_at;
                    DELETE FROM sansang_migrations WHERE identifier = 'v9-verdict-columns';
                    INSERT INTO verdict (site, state, evaluated_at, json)
                        VALUES ('1', 'not_ready', \(t0.timeIntervalSince1970), decode('\(hex)', 'hex'));
                    """)
            }
            try await store.migrate()
            #expect(try await store.verdictSummaries()["1"]?.reasons.map(\.key) == [down.key, stale.key])
            #expect(try await store.verdictRevisions() == ["1": 1])
            #expect(try await store.sitesDueForEvaluation(at: t0) == ["1"], "looked at again by the next evaluation round")
        }
    }
}
