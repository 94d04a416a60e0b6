import Foundation
import ReadinessModel
import SansangAPI

/// What incremental evaluation needs from the store (issue 17: the cost of a report must not grow with the number of
/// sites): per-site reads of the newest report and verdict, cheap version columns that say what changed without
/// decoding anything, the time each verdict must be looked at again without a new report, and compact verdict rows for
/// roll-ups. Every method reads or writes the listed sites only, or compact columns of all sites; none decodes every
/// site's report. The database is the source of truth: a replica's in-memory copies are checked against these versions.
public protocol SiteStateStore: Sendable {
    /// Which report is each site's newest and when it was received, read from columns (no report is decoded).
    /// `sites` nil: every site that has a report.
    func latestReportKeys(sites: [String]?) async throws -> [String: LatestReportKey]
    /// The newest report of each listed site that has one (decodes those only).
    func latestReports(sites: [String]) async throws -> [String: StoredReport]
    /// The newest SNMP notification of each listed site that has one.
    func latestNotifications(sites: [String]) async throws -> [String: SiteNotification]

    /// As `recordVerdicts(_:)`, and saves for each site when its verdict must be evaluated again although no report
    /// came (the report turns stale, a throughput measurement too old): a site absent from `recheckAt` is looked at
    /// again only when a report or notification arrives (or by a full evaluation).
    func recordVerdicts(_ verdicts: [SiteVerdict], recheckAt: [String: Date]) async throws -> [String: VerdictTransition]
    /// The sites whose recheck time is at or before `now`, by code.
    func sitesDueForEvaluation(at now: Date) async throws -> [String]

    /// The revision of every site's current verdict: it grows at every write of that site's verdict.
    func verdictRevisions() async throws -> [String: Int64]
    /// The current verdicts of the listed sites that have one.
    func verdicts(sites: [String]) async throws -> [String: SiteVerdict]
    /// Every site's current verdict as roll-ups count it: state and reason keys, from columns. The reasons carry no
    /// evidence (empty) and impact `unknown`; `evaluatedAt` is the time of the verdict.
    func verdictSummaries() async throws -> [String: SiteVerdict]
}

/// Which report is a site's newest and when the collector received it.
public struct LatestReportKey: Sendable, Hashable {
    public var key: ReportKey
    public var receivedAt: Date

    public init(key: ReportKey, receivedAt: Date) {
        self.key = key
        self.receivedAt = receivedAt
    }
}

/// The compact form of a verdict's reason keys in the store: "CODE" or "CODE:subject", one per line.
public enum ReasonKeyList {
    public static func encode(_ reasons: [Reason]) -> String {
        reasons.map(\.key.description).joined(separator: "\n")
    }

    /// Reasons with the keys of `text` (unknown codes skipped), impact `unknown`, no evidence.
    public static func decode(_ text: String) -> [Reason] {
        text.split(separator: "\n").compactMap { ReasonKey($0) }
            .map { Reason(code: $0.code, subject: $0.subject, impact: .unknown, evidence: "") }
    }
}
