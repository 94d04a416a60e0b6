import Foundation

/// What a site's agent last said about itself over SNMP (a verdict-change or heartbeat notification): the
/// verdict it computed from its own checks, for when its HTTP reports do not arrive.
public struct NotifiedVerdict: Sendable, Hashable {
    public var receivedAt: Date
    public var state: VerdictState
    public var reasons: [ReasonKey]

    public init(receivedAt: Date, state: VerdictState, reasons: [ReasonKey]) {
        self.receivedAt = receivedAt
        self.state = state
        self.reasons = reasons
    }
}

extension ReadinessEvaluator {
    /// The verdict from the latest report; but when that report is missing or stale and the agent notified a
    /// verdict over SNMP since, within `policy.notificationMaxAgeSeconds`, the notified verdict stands in, its
    /// reasons marked as notified, and `SiteVerdict.notifiedAt` set.
    public func evaluate(site: Site, profile: Profile, latest: Report?, receivedAt: Date? = nil, notified: NotifiedVerdict?,
                         now: Date) -> SiteVerdict? {
        guard let fromReport = evaluate(site: site, profile: profile, latest: latest, receivedAt: receivedAt, now: now) else { return nil }
        let reportMissing = fromReport.reasons.contains { [.stale, .noData].contains($0.code) && $0.subject == nil }
        guard reportMissing, let notified, now.timeIntervalSince(notified.receivedAt) <= policy.notificationMaxAgeSeconds,
              latest.map({ notified.receivedAt > (receivedAt ?? $0.generatedAt) }) ?? true
        else { return fromReport }
        let evidence = "notified by the agent over SNMP at \(timestamp(notified.receivedAt)); no current HTTP report"
        let reasons = notified.reasons.map { Reason(code: $0.code, subject: $0.subject, impact: notified.state, evidence: evidence) }
        var verdict = SiteVerdict(site: site.code, state: notified.state, reasons: reasons, evaluatedAt: now,
                                  reportGeneratedAt: latest?.generatedAt)
        verdict.notifiedAt = notified.receivedAt
        return verdict
    }
}
