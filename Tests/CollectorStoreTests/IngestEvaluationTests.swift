import CollectorStore
import Foundation
import ReadinessModel
import SansangAPI
import Testing

/// Issue 17: a report is stored as the agent sent it (no second encoding) and its site's verdict is recorded in the
/// same transaction as the report; both back ends.
@Suite struct IngestEvaluationTests {
    /// Every input as ready, so that the test sees what the store handed to the evaluation.
    static func readyVerdicts(at time: Date) -> SiteEvaluation {
        { inputs in
            EvaluatedSites(verdicts: inputs.map { SiteVerdict(site: $0.site, state: .ready, reasons: [], evaluatedAt: time,
                                                             reportGeneratedAt: $0.latest?.report.generatedAt) },
                           recheckAt: [:])
        }
    }

    @Test(arguments: Backend.allCases) func verdictsAreRecordedWithTheReportsAndOneSitesFailureLeavesTheOthers(_ backend: Backend)
        async throws {
        try await withStore(backend) { store, database in
            switch backend {
            case .sqlite:
                try await database.execute("""
                    CREATE TRIGGER refuse BEFORE INSERT ON verdict WHEN NEW.site = '99999'
                    BEGIN SELECT RAISE(ABORT, 'refused by test'); END
                    """)
            case .postgresql:
                try await database.execute("""
                    CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN IF NEW.site = '99999' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$;
                    CREATE TRIGGER refuse BEFORE INSERT ON verdict FOR EACH ROW EXECUTE FUNCTION refuse();
                    """)
            }
            let result = try await store.ingest([IngestBatch(reports: [report(seq: 1, at: t0)], receivedAt: t0 + 1),
                                                 IngestBatch(reports: [report(site: "99999", seq: 1, at: t0)], receivedAt: t0 + 1)],
                                                evaluate: Self.readyVerdicts(at: t0 + 1))
            #expect(result.outcomes.map(\.stored) == [[ReportKey(bootId: "b1", seq: 1)], [ReportKey(bootId: "b1", seq: 1)]])
            #expect(result.evaluationError != nil, "the refused verdict is reported")
            // The reports are committed, both; the verdict of the site that could be recorded is, the other is not.
            #expect(try await store.reportCount(site: "20242") == 1)
            #expect(try await store.reportCount(site: "99999") == 1)
            #expect(try await store.verdicts(sites: ["20242", "99999"]).keys.sorted() == ["20242"])
            #expect(result.transitions.keys.sorted() == ["20242"])
            #expect(result.verdicts.map(\.site) == ["20242"])
        }
    }

    @Test(arguments: Backend.allCases) func theEvaluationGetsTheSitesNewestReportInHandOrAsStored(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.ingest([IngestBatch(reports: [report(seq: 5, at: t0 + 300, lan: 1000)], receivedAt: t0 + 301)],
                                       evaluate: Self.readyVerdicts(at: t0 + 301))
            // Seq 3, drained late from the spool, is stored but is not the newest: the evaluation gets seq 5 as stored.
            let late = try await store.ingest([IngestBatch(reports: [report(seq: 3, at: t0 + 180)], receivedAt: t0 + 400)],
                                              evaluate: Self.readyVerdicts(at: t0 + 400))
            let input = try #require(late.inputs["20242"])
            #expect(input.latest?.report.seq == 5)
            #expect(input.latest?.report.links.first?.speed.first?.speedMbps == 1000)
            #expect(input.latest?.receivedAt == t0 + 301)
            // A newer one is evaluated from the batch, with the time it was received.
            let newer = try await store.ingest([IngestBatch(reports: [report(seq: 6, at: t0 + 360)], receivedAt: t0 + 401)],
                                               evaluate: Self.readyVerdicts(at: t0 + 401))
            #expect(newer.inputs["20242"]?.latest?.report.seq == 6)
            #expect(newer.inputs["20242"]?.latest?.receivedAt == t0 + 401)
            // A batch of duplicates stores nothing and evaluates nothing.
            let again = try await store.ingest([IngestBatch(reports: [report(seq: 6, at: t0 + 360)], receivedAt: t0 + 402)],
                                               evaluate: Self.readyVerdicts(at: t0 + 402))
            #expect(again.outcomes.first?.duplicates == [ReportKey(bootId: "b1", seq: 6)])
            #expect(again.inputs.isEmpty && again.verdicts.isEmpty)
        }
    }

    /// The JSON is stored as received (any key order, any spacing); a repeat compares by content.
    @Test(arguments: Backend.allCases) func aReportStoredAsReceivedIsComparedByContent(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let original = report(seq: 7, at: t0)
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.prettyPrinted]
            let sent = try encoder.encode(original)
            let canonical = try ReportCoding.encoder().encode(original)
            #expect(sent != canonical, "the bytes as sent differ from the canonical encoding")
            let first = try await store.ingest([IngestBatch(reports: [original], receivedAt: t0 + 1, json: [sent])])
            #expect(first.first?.stored == [ReportKey(bootId: "b1", seq: 7)])
            #expect(try await store.latestReport(site: "20242")?.report == original)
            // The same report again, encoded canonically: a duplicate, not a conflict.
            let again = try await store.ingest([original], receivedAt: t0 + 2)
            #expect(again.duplicates == [ReportKey(bootId: "b1", seq: 7)] && again.conflicts.isEmpty)
            // Other content under the same id: a conflict whose stored digest is the canonical one of the original.
            let clone = report(seq: 7, at: t0, lan: 100)
            let cloneDigest = try reportDigest(of: clone)
            let conflict = try await store.ingest([IngestBatch(reports: [clone], receivedAt: t0 + 3,
                                                               json: [try encoder.encode(clone)])])
            #expect(conflict.first?.conflicts == [ReportConflict(key: ReportKey(bootId: "b1", seq: 7),
                                                                 storedDigest: reportDigest(canonical),
                                                                 receivedDigest: cloneDigest)])
            #expect(try await store.reportCount(site: "20242") == 1)
        }
    }
}
