import Foundation
import ReadinessModel

/// What the alert engine knows of one site when it evaluates the rules.
public struct SiteObservation: Sendable {
    public var site: Site
    public var verdict: SiteVerdict?
    /// What the rules read of the site's newest report.
    public var latest: ReportFacts?
    /// When the newest report was received; nil when none ever was.
    public var lastReceivedAt: Date?

    public init(site: Site, verdict: SiteVerdict?, latest: ReportFacts?, lastReceivedAt: Date?) {
        self.site = site
        self.verdict = verdict
        self.latest = latest
        self.lastReceivedAt = lastReceivedAt
    }

    public init(site: Site, verdict: SiteVerdict?, latest: Report?, lastReceivedAt: Date?) {
        self.init(site: site, verdict: verdict, latest: latest.map(ReportFacts.init), lastReceivedAt: lastReceivedAt)
    }
}

/// What alert rules read of a report: each measurement's value and when it was taken, in the report's order, without
/// the rest (phases, evidence, addresses, servers). The alert engine keeps these per site between rounds instead of the
/// decoded reports, which were most of a national collector's memory (about 0.6 GiB at 33,210 sites).
public struct ReportFacts: Sendable, Hashable {
    public struct Link: Sendable, Hashable {
        public var role: LinkRole
        /// The lowest known speed in Mbit/s.
        public var lowestSpeedMbps: Int?
        public var throughputAt: Date?
        /// Mbit/s per direction of the last throughput test; empty when it failed.
        public var mbps: [ThroughputDirection: Double]
    }

    public struct Service: Sendable, Hashable {
        public var name: String
        public var checkedAt: Date
        public var totalMilliseconds: Double?
        public var certificateDaysLeft: Int?
    }

    public var generatedAt: Date
    public var links: [Link]
    public var services: [Service]
    public var clockOffsetMilliseconds: Double?

    public init(_ report: Report) {
        generatedAt = report.generatedAt
        links = report.links.map { link in
            Link(role: link.role, lowestSpeedMbps: link.speed.compactMap(\.speedMbps).min(), throughputAt: link.throughput?.measuredAt,
                 mbps: link.throughput.map { $0.error == nil ? $0.mbps : [:] } ?? [:])
        }
        services = report.services.map {
            Service(name: $0.name, checkedAt: $0.checkedAt, totalMilliseconds: $0.totalMilliseconds, certificateDaysLeft: $0.certificateDaysLeft)
        }
        clockOffsetMilliseconds = report.clock?.offsetMilliseconds
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
            return report.links.first { $0.role.rawValue == reason.subject }?.throughputAt ?? report.generatedAt
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
    /// The value of this series in a report's facts and when it was measured; nil when the report has none.
    public func reading(in report: ReportFacts) -> (value: Double, at: Date)? {
        switch self {
        case .throughput(let role, let direction):
            guard let link = report.links.first(where: { $0.role == role }), let at = link.throughputAt,
                  let mbps = link.mbps[direction] else { return nil }
            return (mbps, at)
        case .linkSpeed(let role):
            guard let speed = report.links.first(where: { $0.role == role })?.lowestSpeedMbps else { return nil }
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
            guard let offset = report.clockOffsetMilliseconds else { return nil }
            return (abs(offset), report.generatedAt)
        }
    }
}
