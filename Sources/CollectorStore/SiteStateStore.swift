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
    /// evidence (empty) and impact `unknown`; `evaluatedAt` is the time of the verdict. `sites` nil: every site.
    func verdictSummaries(sites: [String]?) async throws -> [String: SiteVerdict]
    /// The sites with a verdict transition whose id is above `after` and at most `upTo`: what a copy of the verdict
    /// summaries made as of transition `after` must read again to be as of `upTo` (a transition is recorded in the
    /// same transaction as the verdict whenever a site's state or reason keys change).
    func sitesWithTransitions(after: Int64, upTo: Int64) async throws -> Set<String>

    /// Stores batches of reports as `ingest(_:)` does and, in the same transaction (one commit), evaluates every site
    /// that got a new report with `evaluate` and records the verdicts as `recordVerdicts(_:recheckAt:)` does. The
    /// reports are stored even when recording the verdicts fails (`evaluationError`; the sites are then tried one by
    /// one, so that one site's failure leaves the others' verdicts recorded). `evaluate` is pure and called once per
    /// group of sites, inside the transaction: it must not block.
    func ingest(_ batches: [IngestBatch], evaluate: @escaping SiteEvaluation) async throws -> IngestEvaluation
}

extension SiteStateStore {
    /// Every site's verdict summary.
    public func verdictSummaries() async throws -> [String: SiteVerdict] { try await verdictSummaries(sites: nil) }
}

/// What the evaluation of one site reads: its newest report (by the store's rule, `ReadinessStore.latestReport`)
/// and its newest SNMP notification.
public struct SiteInputs: Sendable {
    public var site: String
    public var latest: StoredReport?
    public var notification: SiteNotification?

    public init(site: String, latest: StoredReport?, notification: SiteNotification?) {
        self.site = site
        self.latest = latest
        self.notification = notification
    }
}

/// The verdicts an evaluation gives and when each site must be evaluated again without a new report.
public struct EvaluatedSites: Sendable {
    public var verdicts: [SiteVerdict]
    public var recheckAt: [String: Date]

    public init(verdicts: [SiteVerdict], recheckAt: [String: Date]) {
        self.verdicts = verdicts
        self.recheckAt = recheckAt
    }
}

/// Evaluates sites from their inputs (pure: no I/O).
public typealias SiteEvaluation = @Sendable ([SiteInputs]) -> EvaluatedSites

/// What `ingest(_:evaluate:)` did: one outcome per batch, the inputs and verdicts of the sites evaluated, the
/// transitions recorded, and the error of the sites whose verdicts could not be recorded.
public struct IngestEvaluation: Sendable {
    public var outcomes: [IngestedKeys]
    public var inputs: [String: SiteInputs]
    public var verdicts: [SiteVerdict]
    public var transitions: [String: VerdictTransition]
    public var evaluationError: (any Error)?

    public init(outcomes: [IngestedKeys], inputs: [String: SiteInputs] = [:], verdicts: [SiteVerdict] = [],
                transitions: [String: VerdictTransition] = [:], evaluationError: (any Error)? = nil) {
        self.outcomes = outcomes
        self.inputs = inputs
        self.verdicts = verdicts
        self.transitions = transitions
        self.evaluationError = evaluationError
    }
}

extension IngestBatch {
    /// For each site with a report stored now (`outcome` is this batch's), its reports by key: what an evaluation can
    /// take in hand instead of decoding the stored copy.
    func storedReports(_ outcome: IngestedKeys, into held: inout [String: [ReportKey: Report]]) {
        let stored = Set(outcome.stored)
        for report in reports where stored.contains(ReportKey(report)) {
            held[report.site, default: [:]][ReportKey(report)] = report
        }
    }
}

extension SiteStateStore where Self: ReadinessStore {
    /// Two transactions: the reports, then the verdicts (what a store without its own implementation does).
    public func ingest(_ batches: [IngestBatch], evaluate: @escaping SiteEvaluation) async throws -> IngestEvaluation {
        let outcomes = try await ingest(batches)
        var held: [String: [ReportKey: Report]] = [:]
        for (batch, outcome) in zip(batches, outcomes) { batch.storedReports(outcome, into: &held) }
        var result = IngestEvaluation(outcomes: outcomes)
        guard !held.isEmpty else { return result }
        do {
            let sites = held.keys.sorted()
            let keys = try await latestReportKeys(sites: sites)
            var latest: [String: StoredReport] = [:]
            var toRead: [String] = []
            for (site, key) in keys {
                if let report = held[site]?[key.key] {
                    latest[site] = StoredReport(report: report, receivedAt: key.receivedAt)
                } else {
                    toRead.append(site)
                }
            }
            if !toRead.isEmpty { latest.merge(try await latestReports(sites: toRead)) { _, read in read } }
            let notified = try await latestNotifications(sites: sites)
            let inputs = sites.map { SiteInputs(site: $0, latest: latest[$0], notification: notified[$0]) }
            let evaluated = evaluate(inputs)
            result.inputs = Dictionary(uniqueKeysWithValues: inputs.map { ($0.site, $0) })
            do {
                result.transitions = try await recordVerdicts(evaluated.verdicts, recheckAt: evaluated.recheckAt)
                result.verdicts = evaluated.verdicts
            } catch where evaluated.verdicts.count > 1 {
                // Site by site: one site's failure does not keep the others' verdicts out.
                for verdict in evaluated.verdicts {
                    do {
                        let recorded = try await recordVerdicts([verdict], recheckAt: evaluated.recheckAt.filter { $0.key == verdict.site })
                        result.transitions.merge(recorded) { _, new in new }
                        result.verdicts.append(verdict)
                    } catch {
                        result.evaluationError = error
                    }
                }
            }
        } catch {
            result.evaluationError = error
        }
        return result
    }
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
