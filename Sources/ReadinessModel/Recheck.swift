import Foundation

extension ReadinessEvaluator {
    /// When the verdict `evaluate` gives for these inputs at `now` can next change with time alone, no report arriving:
    /// the moment the report turns stale, or a throughput measurement grows too old. A verdict judged from nothing time
    /// can change (no report, a report that cannot be judged, a stale report) gets `now + refresh`, so that the evidence
    /// of a silent site ("last report … 2 h ago") keeps being refreshed; nil `refresh`: never. A periodic evaluation
    /// re-evaluates only the sites whose time has come, so its cost follows the sites that change, not the fleet.
    public func recheckAt(site: Site, profile: Profile, latest: Report?, receivedAt: Date?, now: Date,
                          refresh: TimeInterval?) -> Date? {
        let refreshAt = refresh.map { now + $0 }
        guard site.hasOffice else { return nil }
        guard let report = latest, report.limitProblems().isEmpty else { return refreshAt }
        let received = receivedAt ?? report.generatedAt
        // `evaluate` calls a report stale when its age is strictly above the limit: look just after it.
        let staleAt = received + Double(policy.staleAfterIntervals) * Double(report.intervalSeconds) + 0.001
        guard staleAt > now else { return refreshAt }
        var next = staleAt
        for link in profile.applying(site.overrides).links where link.role.judgedBy == .throughput {
            guard let measurement = report.link(link.role)?.throughput, measurement.error == nil else { continue }
            let tooOldAt = measurement.measuredAt + Double(link.maxMeasurementAgeHours) * 3600 + 0.001
            if tooOldAt > now { next = min(next, tooOldAt) }
        }
        return next
    }
}
