import YAMLConfig

/// `alerts:` of collector.yaml — where the rule files are and how the engine runs (docs/alerts.md); decoded here,
/// next to the rules, and composed by `CollectorConfiguration`.
public struct AlertEngineSettings: Sendable, Hashable {
    /// A directory of `*.yaml` rule/route files, or one file.
    public var path = "/etc/sansang/alerts"
    /// How often every rule is evaluated on every site.
    public var evaluationIntervalSeconds = 15
    /// How often firing alerts are sent again to Alertmanager receivers (it ends alerts not re-sent).
    public var alertmanagerResendSeconds = 60
    /// The dashboard's address as the NOC reaches it, for links in messages.
    public var externalURL: String?

    public init() {}
}

extension NodeReader {
    /// The `alerts:` mapping; problems are reported with file:line and field, and leave the defaults.
    public mutating func alertEngineSettings(_ field: Field) -> AlertEngineSettings? {
        guard let entries = mapping(field, allowed: ["path", "evaluation_interval_s", "alertmanager_resend_s", "external_url"]) else {
            return nil
        }
        var settings = AlertEngineSettings()
        if let path = entries["path"].flatMap({ nonEmptyString($0) }) { settings.path = path }
        if let value = entries["evaluation_interval_s"].flatMap({ int($0, in: 1...3600) }) {
            settings.evaluationIntervalSeconds = value
        }
        if let value = entries["alertmanager_resend_s"].flatMap({ int($0, in: 10...3600) }) {
            settings.alertmanagerResendSeconds = value
        }
        settings.externalURL = entries["external_url"].flatMap { nonEmptyString($0) }
        return settings
    }
}
