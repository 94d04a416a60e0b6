import YAMLConfig

/// `mail:` of collector.yaml — SMTP for alert e-mail and the weekly report (docs/email.md).
public struct MailSettings: Sendable {
    public var smtp = SMTPSettings()
    /// Read at load time; the YAML names only the file.
    public var passwordFile: String?
    public var from: MailAddress
    /// The durable outbox directory.
    public var outbox = "/var/lib/sansang/outbox"

    public init(from: MailAddress) {
        self.from = from
    }
}

extension NodeReader {
    /// The `mail:` mapping: `url` and `from` required; every problem reported at once; nil when any.
    public mutating func mailSettings(_ field: Field) -> MailSettings? {
        let keys = ["url", "security", "username", "password_file", "ca_file", "verify_peer", "connect_timeout_s", "timeout_s",
                    "from", "helo_name", "outbox"]
        guard let entries = mapping(field, allowed: keys, required: ["url", "from"]) else { return nil }
        let before = errors.count
        let fromText = entries["from"].flatMap { nonEmptyString($0) }
        let from = fromText.flatMap { MailAddress(parsing: $0) }
        if let fromText, from == nil {
            report(.badValue, "\"\(fromText)\" is not an address: write \"Name <noc@example.vn>\" or \"noc@example.vn\"",
                   at: entries["from"]!)
        }
        // Every other key is still checked when `from` is wrong, so that all problems are reported at once.
        var settings = MailSettings(from: from ?? MailAddress("invalid@invalid"))
        if let url = entries["url"].flatMap({ nonEmptyString($0) }) {
            if url.hasPrefix("smtp://") || url.hasPrefix("smtps://") {
                settings.smtp.url = url
            } else {
                report(.badValue, "\"\(url)\" is not an smtp:// or smtps:// URL", at: entries["url"]!)
            }
        }
        if let security = entries["security"].flatMap({ enumeration($0, SMTPSettings.Security.self) }) {
            settings.smtp.security = security
        }
        settings.smtp.username = entries["username"].flatMap { nonEmptyString($0) }
        settings.passwordFile = entries["password_file"].flatMap { nonEmptyString($0) }
        settings.smtp.caFile = entries["ca_file"].flatMap { nonEmptyString($0) }
        if let verify = entries["verify_peer"].flatMap({ bool($0) }) { settings.smtp.verifyPeer = verify }
        if let seconds = entries["connect_timeout_s"].flatMap({ int($0, in: 1...600) }) {
            settings.smtp.connectTimeout = .seconds(seconds)
        }
        if let seconds = entries["timeout_s"].flatMap({ int($0, in: 1...3600) }) { settings.smtp.timeout = .seconds(seconds) }
        settings.smtp.heloName = entries["helo_name"].flatMap { nonEmptyString($0) }
        if let outbox = entries["outbox"].flatMap({ nonEmptyString($0) }) { settings.outbox = outbox }
        return errors.count == before && from != nil ? settings : nil
    }
}
