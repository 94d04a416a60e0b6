import Foundation
import ReadinessModel

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
