import Foundation

/// A site's readiness, worst first when compared.
public enum VerdictState: String, Sendable, Hashable, Codable, CaseIterable {
    case ready
    case degraded
    case notReady = "not_ready"
    case unknown
}

/// Machine-readable reason codes (DESIGN.md); rendered as `CODE` or `CODE:subject`.
public enum ReasonCode: String, Sendable, Hashable, Codable, CaseIterable {
    case linkBelowTarget = "LINK_BELOW_TARGET"
    case throughputLow = "THROUGHPUT_LOW"
    case serviceDown = "SERVICE_DOWN"
    case serviceSlow = "SERVICE_SLOW"
    case certExpiring = "CERT_EXPIRING"
    case speedMismatch = "SPEED_MISMATCH"
    case stale = "STALE"
    case noData = "NO_DATA"
    case clockSkew = "CLOCK_SKEW"
}

/// One reason behind a verdict, with its subject (a link role or service name) and the evidence.
public struct Reason: Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: ReasonCode
    public var subject: String?
    /// The verdict this reason alone would give the site.
    public var impact: VerdictState
    /// The facts behind the reason, for a human ("nic 10000 Mbit/s, snmp 1000 Mbit/s; trusted snmp").
    public var evidence: String

    public init(code: ReasonCode, subject: String? = nil, impact: VerdictState, evidence: String) {
        self.code = code
        self.subject = subject
        self.impact = impact
        self.evidence = evidence
    }

    /// "LINK_BELOW_TARGET:lan", "STALE".
    public var description: String { subject.map { "\(code.rawValue):\($0)" } ?? code.rawValue }
}

/// The verdict on one site at one moment, with every reason behind it.
public struct SiteVerdict: Sendable, Hashable, Codable {
    public var site: String
    public var state: VerdictState
    public var reasons: [Reason]
    public var evaluatedAt: Date
    /// The report the verdict was drawn from, if any.
    public var reportGeneratedAt: Date?

    public init(site: String, state: VerdictState, reasons: [Reason], evaluatedAt: Date, reportGeneratedAt: Date?) {
        self.site = site
        self.state = state
        self.reasons = reasons
        self.evaluatedAt = evaluatedAt
        self.reportGeneratedAt = reportGeneratedAt
    }

    enum CodingKeys: String, CodingKey {
        case site, state, reasons
        case evaluatedAt = "evaluated_at"
        case reportGeneratedAt = "report_generated_at"
    }
}
