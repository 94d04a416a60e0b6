import Foundation

/// A site's readiness, worst first when compared.
public enum VerdictState: String, Sendable, Hashable, Codable, CaseIterable {
    case ready
    case degraded
    case notReady = "not_ready"
    case unknown

    /// How bad the state is, for ordering: ready 0 < degraded 1 < unknown 2 < not_ready 3.
    /// Unknown ranks below not_ready because a site proven short of its target is the firmer finding.
    public var severity: Int {
        switch self {
        case .ready: 0
        case .degraded: 1
        case .unknown: 2
        case .notReady: 3
        }
    }

    /// The name NOC staff and field technicians read.
    public var vietnameseName: String {
        switch self {
        case .ready: "sẵn sàng"
        case .degraded: "suy giảm"
        case .notReady: "chưa sẵn sàng"
        case .unknown: "không rõ"
        }
    }
}

/// Machine-readable reason codes (docs/readiness.md, "Reason codes"); rendered as `CODE` or `CODE:subject`.
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
    /// The office could resolve no name at all: one reason instead of one `SERVICE_DOWN` per service.
    case dnsUnavailable = "DNS_UNAVAILABLE"
    /// Every service and the throughput test failed together: the line is down.
    case wanDown = "WAN_DOWN"
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
    public var description: String { key.description }

    public var key: ReasonKey { ReasonKey(code: code, subject: subject) }
}

/// A reason without its impact and evidence: what roll-ups count and filters match.
public struct ReasonKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var code: ReasonCode
    public var subject: String?

    public init(code: ReasonCode, subject: String? = nil) {
        self.code = code
        self.subject = subject
    }

    /// Parses "CODE" or "CODE:subject"; nil for an unknown code.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let code = ReasonCode(rawValue: String(parts[0])) else { return nil }
        self.init(code: code, subject: parts.count == 2 ? String(parts[1]) : nil)
    }

    public var description: String { subject.map { "\(code.rawValue):\($0)" } ?? code.rawValue }

    /// By code, then subject (none first).
    public static func < (a: ReasonKey, b: ReasonKey) -> Bool {
        if a.code != b.code { return a.code.rawValue < b.code.rawValue }
        switch (a.subject, b.subject) {
        case let (x?, y?): return x < y
        case (nil, _?): return true
        default: return false
        }
    }
}

/// The verdict on one site at one moment, with every reason behind it.
public struct SiteVerdict: Sendable, Hashable, Codable {
    public var site: String
    public var state: VerdictState
    public var reasons: [Reason]
    public var evaluatedAt: Date
    /// The report the verdict was drawn from, if any.
    public var reportGeneratedAt: Date?
    /// When the verdict is the one the agent notified over SNMP (its HTTP reports missing): when it arrived.
    public var notifiedAt: Date?

    public init(site: String, state: VerdictState, reasons: [Reason], evaluatedAt: Date, reportGeneratedAt: Date?,
                notifiedAt: Date? = nil) {
        self.site = site
        self.state = state
        self.reasons = reasons
        self.evaluatedAt = evaluatedAt
        self.reportGeneratedAt = reportGeneratedAt
        self.notifiedAt = notifiedAt
    }

    /// The reasons as "CODE:subject" strings, in verdict order.
    public var reasonStrings: [String] { reasons.map(\.description) }

    enum CodingKeys: String, CodingKey {
        case site, state, reasons
        case evaluatedAt = "evaluated_at"
        case reportGeneratedAt = "report_generated_at"
        case notifiedAt = "notified_at"
    }
}
