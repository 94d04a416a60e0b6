import Foundation
import ReadinessModel

/// Mutes the alerts it matches from `startsAt` until `endsAt` (or until expired early). Matchers are joined by
/// "and"; a silence has at least one.
public struct Silence: Sendable, Hashable, Codable {
    public var id: String
    /// A site code (the `site` label).
    public var site: String?
    /// A rule name (the `alertname` label).
    public var rule: String?
    /// Other labels that must all be equal.
    public var labels: [String: String]
    public var startsAt: Date
    public var endsAt: Date
    public var author: String
    public var comment: String
    public var createdAt: Date

    public init(id: String, site: String? = nil, rule: String? = nil, labels: [String: String] = [:], startsAt: Date,
                endsAt: Date, author: String, comment: String, createdAt: Date) {
        self.id = id
        self.site = site
        self.rule = rule
        self.labels = labels
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.author = author
        self.comment = comment
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, site, rule, labels, author, comment
        case startsAt = "starts_at"
        case endsAt = "ends_at"
        case createdAt = "created_at"
    }

    public var hasMatchers: Bool { site != nil || rule != nil || !labels.isEmpty }

    public func isActive(at now: Date) -> Bool { startsAt <= now && now < endsAt }

    public func matches(_ labels: [String: String]) -> Bool {
        guard hasMatchers else { return false }
        if let site, labels["site"] != site { return false }
        if let rule, labels["alertname"] != rule { return false }
        return self.labels.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// The labels of an alert instance, what routes and silences match: the rule's own labels plus
/// `alertname`, `severity`, `site`, `province`, `former_district`, `site_type` and `profile`.
public enum AlertLabels {
    public static func of(_ rule: AlertRule, site: Site) -> [String: String] {
        rule.labels.merging([
            "alertname": rule.name, "severity": rule.severity.rawValue, "site": site.code, "province": site.province,
            "former_district": site.formerDistrict, "site_type": site.type.rawValue, "profile": site.profile,
        ]) { _, fixed in fixed }
    }
}
