import Alerting
import CollectorStore
import Foundation
import ReadinessModel
import SansangAPI
import Synchronization

/// What the alert engine knows of each site between rounds: its current verdict and what the rules read of its newest
/// report (`ReportFacts`, not the report), decoded once and kept until the store says they changed. Each round reads only version columns of every site (the verdict's
/// revision, the newest report's key) and decodes the verdicts and reports of the sites whose version moved, so a
/// round costs what changed since the last one, not a decode of the whole fleet. The store is the source of truth:
/// on a replica whose own ingest never saw a site's reports (they landed on another replica), the versions still move.
final class ObservedSites: Sendable {
    struct Site: Sendable {
        var revision: Int64?
        var verdict: SiteVerdict?
        var received: LatestReportKey?
        var latest: ReportFacts?
    }

    private let sites = Mutex<[String: Site]>([:])
    /// Verdicts and reports decoded by refreshes so far (tests check that an unchanged fleet decodes nothing).
    let decoded = Atomic<Int>(0)

    /// Brings every site up to date with the store and returns them.
    func refresh(from store: any ReadinessStore) async throws -> [String: Site] {
        async let revisions = store.verdictRevisions()
        async let keys = store.latestReportKeys(sites: nil)
        let (revisionMap, keyMap) = try await (revisions, keys)
        let known = sites.withLock { $0 }
        let plan = ObservationRefresh.plan(known: known.mapValues { ($0.revision, $0.received?.key) },
                                           revisions: revisionMap, reportKeys: keyMap.mapValues(\.key))
        async let verdicts = plan.verdicts.isEmpty ? [:] : store.verdicts(sites: plan.verdicts)
        async let reports = plan.reports.isEmpty ? [:] : store.latestReports(sites: plan.reports)
        let (newVerdicts, newReports) = try await (verdicts, reports)
        decoded.add(newVerdicts.count + newReports.count, ordering: .relaxed)
        var next: [String: Site] = [:]
        next.reserveCapacity(max(revisionMap.count, keyMap.count))
        for code in Set(revisionMap.keys).union(keyMap.keys) {
            var site = known[code] ?? Site()
            if let verdict = newVerdicts[code] {
                site.verdict = verdict
                site.revision = revisionMap[code]
            } else if revisionMap[code] == nil {
                site.verdict = nil
                site.revision = nil
            }
            if let report = newReports[code] {
                site.latest = ReportFacts(report.report)
                site.received = keyMap[code]
            } else if keyMap[code] == nil {
                site.latest = nil
                site.received = nil
            }
            next[code] = site
        }
        sites.withLock { $0 = next }
        return next
    }
}

/// Which sites a refresh must read again (pure): those whose verdict revision or newest report key differs from what
/// is held.
enum ObservationRefresh {
    static func plan(known: [String: (revision: Int64?, report: ReportKey?)], revisions: [String: Int64],
                     reportKeys: [String: ReportKey]) -> (verdicts: [String], reports: [String]) {
        let verdicts = revisions.filter { known[$0.key]?.revision != $0.value }.keys.sorted()
        let reports = reportKeys.filter { known[$0.key]?.report != $0.value }.keys.sorted()
        return (verdicts, reports)
    }
}
