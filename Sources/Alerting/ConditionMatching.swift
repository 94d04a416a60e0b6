import Foundation
import ReadinessModel

/// What the alert engine knows of one site when it evaluates the rules.
public struct SiteObservation: Sendable {
    public var site: Site
    public var verdict: SiteVerdict?
    /// The site's newest report.
    public var latest: Report?
    /// When the newest report was received; nil when none ever was.
    public var lastReceivedAt: Date?

    public init(site: Site, verdict: SiteVerdict?, latest: Report?, lastReceivedAt: Date?) {
        self.site = site
        self.verdict = verdict
        self.latest = latest
        self.lastReceivedAt = lastReceivedAt
    }
}

extension SiteObservation {
    /// The verdict says the agent's reports stopped (STALE): the measurements behind it are unknown.
    public var isStale: Bool { verdict?.reasons.contains { $0.code == .stale } ?? false }
}

extension AlertCondition {
    /// Whether the condition reads what fresh reports say (reasons other than STALE/NO_DATA, metrics, a verdict
    /// other than unknown): while a site's reports are missing it can be neither confirmed nor cleared.
    public var needsFreshReports: Bool {
        if metric != nil { return true }
        if let reasons, reasons.contains(where: { $0.code != .stale && $0.code != .noData }) { return true }
        if let verdicts, !verdicts.contains(.unknown) { return true }
        return false
    }
}

/// A condition holding for a site, with what made it hold.
public struct ConditionMatch: Sendable, Hashable, Codable {
    /// When the evidence behind the match was measured; a new time counts as a new check (`for_checks`).
    public var evidenceAt: Date?
    /// The matched reasons ("SERVICE_DOWN:vneid") or the metric's series.
    public var subjects: [String]
    /// The metric's value, or the minutes of silence.
    public var value: Double?

    public init(evidenceAt: Date?, subjects: [String] = [], value: Double? = nil) {
        self.evidenceAt = evidenceAt
        self.subjects = subjects
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case subjects, value
        case evidenceAt = "evidence_at"
    }
}

extension AlertCondition {
    /// The match when every part of the condition holds for the site at `now`, else nil.
    public func match(_ observation: SiteObservation, now: Date) -> ConditionMatch? {
        var evidence: [Date] = []
        var subjects: [String] = []
        var value: Double?
        if let verdicts {
            guard let verdict = observation.verdict, verdicts.contains(verdict.state) else { return nil }
            evidence.append(verdict.reportGeneratedAt ?? verdict.evaluatedAt)
            // What makes the verdict, for the summary; a `reason` part below narrows it.
            if reasons == nil { subjects += verdict.reasons.map(\.description) }
        }
        if let reasons {
            let matched = (observation.verdict?.reasons ?? []).filter { reason in
                reasons.contains { $0.code == reason.code && ($0.subject == nil || $0.subject == reason.subject) }
            }
            guard !matched.isEmpty else { return nil }
            subjects += matched.map(\.description)
            evidence += matched.compactMap { Self.measuredAt(of: $0, in: observation) }
        }
        if let metric {
            guard let report = observation.latest, let reading = metric.series.reading(in: report),
                  metric.holds(for: reading.value) else { return nil }
            subjects.append(metric.series.description)
            value = reading.value
            evidence.append(reading.at)
        }
        if let silentForSeconds {
            let silence = observation.lastReceivedAt.map { now.timeIntervalSince($0) }
            if let silence, silence < Double(silentForSeconds) { return nil }
            value = silence.map { ($0 / 60).rounded() }
            evidence.append(observation.lastReceivedAt ?? .distantPast)
        }
        return ConditionMatch(evidenceAt: evidence.max(), subjects: subjects, value: value)
    }

    /// When the measurement behind a reason was taken: a throughput test, a service check, else the report.
    private static func measuredAt(of reason: Reason, in observation: SiteObservation) -> Date? {
        guard let report = observation.latest else { return observation.verdict?.evaluatedAt }
        switch reason.code {
        case .throughputLow:
            return report.links.first { $0.role.rawValue == reason.subject }?.throughput?.measuredAt ?? report.generatedAt
        case .serviceDown, .serviceSlow, .certExpiring:
            return report.services.first { $0.name == reason.subject }?.checkedAt ?? report.generatedAt
        case .stale, .noData:
            return observation.verdict?.evaluatedAt
        default:
            return report.generatedAt
        }
    }
}

extension MetricSeries {
    /// The value of this series in a report and when it was measured; nil when the report has none.
    public func reading(in report: Report) -> (value: Double, at: Date)? {
        switch self {
        case .throughput(let role, let direction):
            guard let measurement = report.links.first(where: { $0.role == role })?.throughput, measurement.error == nil,
                  let mbps = measurement.mbps[direction] else { return nil }
            return (mbps, measurement.measuredAt)
        case .linkSpeed(let role):
            guard let speed = report.links.first(where: { $0.role == role })?.speed.compactMap(\.speedMbps).min() else { return nil }
            return (Double(speed), report.generatedAt)
        case .serviceMilliseconds(let name):
            guard let service = report.services.first(where: { $0.name == name }), let total = service.totalMilliseconds else { return nil }
            return (total, service.checkedAt)
        case .certificateDaysLeft(let name):
            let services = report.services.filter { name == nil || $0.name == name }
            guard let fewest = services.compactMap({ service in service.certificateDaysLeft.map { ($0, service.checkedAt) } })
                .min(by: { $0.0 < $1.0 }) else { return nil }
            return (Double(fewest.0), fewest.1)
        case .clockOffsetMilliseconds:
            guard let clock = report.clock else { return nil }
            return (abs(clock.offsetMilliseconds), report.generatedAt)
        }
    }
}
