import Foundation
import Mustache
import ReadinessModel

/// How urgent an alert is; routes match on it.
public enum AlertSeverity: String, Sendable, Hashable, Codable, CaseIterable {
    case critical
    case warning
    case info
}

/// One rule of `alerts/*.yaml`: a condition on a site that must hold `for` a while (and, when asked,
/// over several distinct measurements) before the alert fires.
public struct AlertRule: Sendable {
    public var name: String
    public var condition: AlertCondition
    /// How long the condition must hold before the alert fires (0: at once).
    public var forSeconds: Int = 0
    /// How many distinct measurements must show the condition before the alert fires (1: the first).
    public var forChecks: Int = 1
    public var severity: AlertSeverity = .warning
    public var labels: [String: String] = [:]
    public var summary: LocalizedTemplate

    public init(name: String, condition: AlertCondition, forSeconds: Int = 0, forChecks: Int = 1,
                severity: AlertSeverity = .warning, labels: [String: String] = [:], summary: LocalizedTemplate) {
        self.name = name
        self.condition = condition
        self.forSeconds = forSeconds
        self.forChecks = forChecks
        self.severity = severity
        self.labels = labels
        self.summary = summary
    }
}

/// A summary template in Vietnamese and English (Mustache, rendered as plain text).
public struct LocalizedTemplate: Sendable {
    public var vietnamese: MustacheTemplate
    public var english: MustacheTemplate

    /// Parses both templates; the error names the language whose template is broken.
    public init(vietnamese: String, english: String) throws(TemplateProblem) {
        self.vietnamese = try Self.parse(vietnamese, language: "vi")
        self.english = try Self.parse(english, language: "en")
    }

    /// The placeholders a summary can use.
    public static let placeholders = ["site", "site_name", "former_district", "province", "state", "reasons", "subjects",
                                      "value", "rule", "severity"]

    public struct TemplateProblem: Error, Sendable {
        public var language: String
        public var message: String
    }

    private static func parse(_ text: String, language: String) throws(TemplateProblem) -> MustacheTemplate {
        do {
            // Plain text: no HTML escaping of site names or reasons.
            return try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
        } catch {
            throw TemplateProblem(language: language, message: "\(error)")
        }
    }

    /// Empty values are left out, so that a section `{{#value}}…{{/value}}` is skipped when there is no value.
    public func render(_ values: [String: String], vietnameseText: Bool) -> String {
        (vietnameseText ? vietnamese : english).render(values.filter { !$0.value.isEmpty })
    }
}

/// What must hold for a site; every part given must hold (they are joined by "and").
public struct AlertCondition: Sendable, Hashable {
    /// The site's verdict is one of these.
    public var verdicts: Set<VerdictState>?
    /// The verdict carries one of these reasons; a key without subject matches every subject of its code.
    public var reasons: [ReasonKey]?
    /// A measured value from the newest report crosses a threshold.
    public var metric: MetricCondition?
    /// No report has been received for at least this long (or never).
    public var silentForSeconds: Int?

    public init(verdicts: Set<VerdictState>? = nil, reasons: [ReasonKey]? = nil, metric: MetricCondition? = nil,
                silentForSeconds: Int? = nil) {
        self.verdicts = verdicts
        self.reasons = reasons
        self.metric = metric
        self.silentForSeconds = silentForSeconds
    }
}

/// `metric: {series: throughput:wan:download, below: 150}`.
public struct MetricCondition: Sendable, Hashable {
    public var series: MetricSeries
    public var below: Double?
    public var above: Double?

    public init(series: MetricSeries, below: Double? = nil, above: Double? = nil) {
        self.series = series
        self.below = below
        self.above = above
    }

    public func holds(for value: Double) -> Bool {
        if let below, !(value < below) { return false }
        if let above, !(value > above) { return false }
        return true
    }
}

/// A value read from a site's newest report.
public enum MetricSeries: Sendable, Hashable, CustomStringConvertible {
    /// Measured throughput of a link in Mbit/s: `throughput:wan:download`.
    case throughput(LinkRole, ThroughputDirection)
    /// The lowest known speed of a link in Mbit/s: `link:lan`.
    case linkSpeed(LinkRole)
    /// A service check's total time in ms: `service_ms:vneid`.
    case serviceMilliseconds(String)
    /// Days before a service's certificate expires: `cert_days_left:vneid`, or the fewest of all: `cert_days_left`.
    case certificateDaysLeft(String?)
    /// The host clock's offset from NTP, absolute, in ms: `clock_offset_ms`.
    case clockOffsetMilliseconds

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("throughput", 3):
            guard let role = LinkRole(rawValue: parts[1]), let direction = ThroughputDirection(rawValue: parts[2]) else { return nil }
            self = .throughput(role, direction)
        case ("link", 2):
            guard let role = LinkRole(rawValue: parts[1]) else { return nil }
            self = .linkSpeed(role)
        case ("service_ms", 2) where !parts[1].isEmpty:
            self = .serviceMilliseconds(parts[1])
        case ("cert_days_left", 1):
            self = .certificateDaysLeft(nil)
        case ("cert_days_left", 2) where !parts[1].isEmpty:
            self = .certificateDaysLeft(parts[1])
        case ("clock_offset_ms", 1):
            self = .clockOffsetMilliseconds
        default:
            return nil
        }
    }

    public static let forms = ["throughput:<link>:<upload|download>", "link:<link>", "service_ms:<service>",
                               "cert_days_left[:<service>]", "clock_offset_ms"]

    public var description: String {
        switch self {
        case .throughput(let role, let direction): "throughput:\(role.rawValue):\(direction.rawValue)"
        case .linkSpeed(let role): "link:\(role.rawValue)"
        case .serviceMilliseconds(let name): "service_ms:\(name)"
        case .certificateDaysLeft(let name): name.map { "cert_days_left:\($0)" } ?? "cert_days_left"
        case .clockOffsetMilliseconds: "clock_offset_ms"
        }
    }
}
