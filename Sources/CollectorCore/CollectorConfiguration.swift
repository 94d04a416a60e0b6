import Foundation
import Mail
import Presentation
import ReadinessMIB
import SNMP
import SNMPReporting
import YAMLConfig

/// `collector.yaml` (docs/collector.md). Every field has a default, so an empty file is a valid config.
public struct CollectorConfiguration: Sendable {
    public struct Listen: Sendable, Hashable {
        public var host = "127.0.0.1"
        public var port = 8470
        public init() {}
    }

    /// Both files, or neither (then plain HTTP, e.g. behind a TLS-terminating proxy).
    public struct TLS: Sendable, Hashable {
        public var certFile: String
        public var keyFile: String
        /// The private CA that signed the certificate (`tls init` writes ca.pem): enrolled agents pin it.
        public var caFile: String?
        public init(certFile: String, keyFile: String, caFile: String? = nil) {
            self.certFile = certFile
            self.keyFile = keyFile
            self.caFile = caFile
        }
    }

    public var listen = Listen()
    public var tls: TLS?
    /// Fields whose secret is written in the file itself; `load` then refuses a file others can read.
    public var inlineSecrets: [String] = []
    public var sqlitePath = "/var/lib/sansang/collector.sqlite"
    public var inventory = ["/etc/sansang/inventory"]
    /// The report interval agents are told in their plan.
    public var reportIntervalSeconds = 60
    /// How often every site is re-evaluated, so that silence becomes STALE.
    public var evaluationIntervalSeconds = 15
    public var retentionDays = 90
    /// A report's `generated_at` this far from its receipt is `CLOCK_SKEW` (docs/reliability.md).
    public var maxReportSkewSeconds = 120
    /// Open connections beyond this get a 503 and are closed (the unit's LimitNOFILE is far above it).
    public var maxConnections = 4096
    /// A connection that sends nothing (no request, or a request that stopped) for this long is closed.
    public var idleTimeoutSeconds = 30
    /// A request body not whole this long after its head (trickled, each byte within the idle timeout) gets a 408.
    public var bodyTimeoutSeconds = 120
    public var maxBodyBytes = 4 * 1024 * 1024
    public var snmp = SNMPSettings()
    public var alerts = AlertSettings()
    /// `mail:` — SMTP for alert e-mail and the weekly report (docs/email.md); nil: no mail is sent.
    public var mail: MailSettings?
    public var weeklyReport = WeeklyReportSettings()

    public init() {}

    /// `mail:`, decoded by the Mail module (`NodeReader.mailSettings`).
    public typealias MailSettings = Mail.MailSettings

    /// `weekly_report:` — who gets the weekly readiness summary and how (docs/weekly-report.md).
    public struct WeeklyReportSettings: Sendable, Hashable {
        public var to: [String] = []
        public var language: Language = .vi
        /// The report's title, e.g. the province.
        public var title = "Đà Nẵng"
        public init() {}
    }

    /// `alerts:` — the alert engine (docs/alerts.md).
    public struct AlertSettings: Sendable, Hashable {
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

    /// `snmp:` — the notification receiver (docs/snmp-notifications.md) and forwarding to the NOC's managers.
    public struct SNMPSettings: Sendable {
        /// A v3 user notifications are accepted from, and the sites it may speak for (empty: any site).
        public struct User: Sendable {
            public var security: SNMPv3Security
            public var sites: Set<String> = []
            /// Engine IDs of senders whose v3 TRAPs (not INFORMs) are accepted: a trap's sender is authoritative.
            public var trapEngineIDs: [[UInt8]] = []
        }

        public struct Community: Sendable {
            public var community: String
            public var sites: Set<String> = []
        }

        /// A net-snmp transport address; 162 needs CAP_NET_BIND_SERVICE (the unit grants it).
        public var listen = "udp:0.0.0.0:162"
        /// This receiver's engine ID (what INFORM senders discover); nil lets the library derive one.
        public var engineID: [UInt8]?
        public var users: [User] = []
        /// SNMPv2c communities accepted; none by default (v2c refused).
        public var communities: [Community] = []
        public var oidRoot = ReadinessMIB.defaultRoot
        /// How long a notified verdict stands in for missing HTTP reports.
        public var notificationMaxAgeSeconds = 900
        /// Managers told of every site verdict change.
        public var forward: [NotificationTarget] = []

        public init() {}

        /// The receiver runs when someone may send to it.
        public var receives: Bool { !users.isEmpty || !communities.isEmpty }
    }

    public static let defaultPath = "/etc/sansang/collector.yaml"

    /// Reads and validates a config file; relative inventory and database paths are taken relative to
    /// the file's directory. Every problem is reported with file:line:column and its field.
    public static func load(file: String) throws(ConfigErrors) -> CollectorConfiguration {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigErrors([ConfigError(.unreadableFile, "cannot read the file", at: .start(of: file), field: "")])
        }
        var configuration = try parse(yaml: String(decoding: data, as: UTF8.self), file: file)
        try NodeReader.checkPrivate(file, inlineSecrets: configuration.inlineSecrets)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
        }
        configuration.inventory = configuration.inventory.map(resolve)
        configuration.sqlitePath = resolve(configuration.sqlitePath)
        configuration.alerts.path = resolve(configuration.alerts.path)
        if var mail = configuration.mail {
            mail.outbox = resolve(mail.outbox)
            if let file = mail.passwordFile.map(resolve) {
                do {
                    mail.smtp.password = try SecretFile.read(file)
                } catch {
                    throw ConfigErrors([ConfigError(.unreadableFile, "the SMTP password file: \(error)",
                                                    at: .start(of: file), field: "mail.password_file")])
                }
            }
            mail.smtp.caFile = mail.smtp.caFile.map(resolve)
            configuration.mail = mail
        }
        configuration.tls = configuration.tls.map {
            TLS(certFile: resolve($0.certFile), keyFile: resolve($0.keyFile), caFile: $0.caFile.map(resolve))
        }
        if let key = configuration.tls?.keyFile {
            var status = stat()
            do {
                if stat(key, &status) == 0 { try SecretFile.checkPrivate(key, mode: status.st_mode) }
            } catch {
                throw ConfigErrors([ConfigError(.badValue, "\(error)", at: .start(of: key), field: "tls.key_file")])
            }
        }
        return configuration
    }

    /// Parses config text. Pure: no file system access, paths as written.
    public static func parse(yaml: String, file: String) throws(ConfigErrors) -> CollectorConfiguration {
        var configuration = CollectorConfiguration()
        var reader = NodeReader(file: file)
        let top: Field
        switch composeYAML(yaml, file: file) {
        case .success(let node?): top = Field(node: node, path: "")
        case .success(nil): return configuration
        case .failure(let error): throw ConfigErrors([error])
        }
        let keys = ["listen", "tls", "database", "inventory", "report_interval_s", "evaluation_interval_s",
                    "retention_days", "max_report_skew_s", "max_connections", "idle_timeout_s", "body_timeout_s", "max_body_bytes", "snmp", "alerts", "mail", "weekly_report"]
        if let entries = reader.mapping(top, allowed: keys) {
            if let field = entries["listen"], let listen = reader.mapping(field, allowed: ["host", "port"]) {
                if let host = listen["host"].flatMap({ reader.nonEmptyString($0) }) { configuration.listen.host = host }
                if let port = listen["port"].flatMap({ reader.int($0, in: 1...65535) }) { configuration.listen.port = port }
            }
            if let field = entries["tls"],
               let tls = reader.mapping(field, allowed: ["cert_file", "key_file", "ca_file"], required: ["cert_file", "key_file"]),
               let cert = tls["cert_file"].flatMap({ reader.nonEmptyString($0) }),
               let key = tls["key_file"].flatMap({ reader.nonEmptyString($0) }) {
                configuration.tls = TLS(certFile: cert, keyFile: key, caFile: tls["ca_file"].flatMap({ reader.nonEmptyString($0) }))
            }
            if let field = entries["database"], let database = reader.mapping(field, allowed: ["sqlite_path"]),
               let path = database["sqlite_path"].flatMap({ reader.nonEmptyString($0) }) {
                configuration.sqlitePath = path
            }
            if let field = entries["inventory"], let items = reader.list(field) {
                let paths = items.compactMap { reader.nonEmptyString($0) }
                if items.isEmpty {
                    reader.report(.badValue, "needs at least one inventory file or directory", at: field)
                } else if paths.count == items.count {
                    configuration.inventory = paths
                }
            }
            if let value = entries["report_interval_s"].flatMap({ reader.int($0, in: 1...86400) }) {
                configuration.reportIntervalSeconds = value
            }
            if let value = entries["evaluation_interval_s"].flatMap({ reader.int($0, in: 1...3600) }) {
                configuration.evaluationIntervalSeconds = value
            }
            if let value = entries["retention_days"].flatMap({ reader.int($0, in: 1...36500) }) {
                configuration.retentionDays = value
            }
            if let value = entries["max_report_skew_s"].flatMap({ reader.int($0, in: 1...86400) }) {
                configuration.maxReportSkewSeconds = value
            }
            if let value = entries["max_connections"].flatMap({ reader.int($0, in: 1...1_000_000) }) {
                configuration.maxConnections = value
            }
            if let value = entries["idle_timeout_s"].flatMap({ reader.int($0, in: 1...3600) }) {
                configuration.idleTimeoutSeconds = value
            }
            if let value = entries["body_timeout_s"].flatMap({ reader.int($0, in: 1...3600) }) {
                configuration.bodyTimeoutSeconds = value
            }
            if let value = entries["max_body_bytes"].flatMap({ reader.int($0, in: 1024...(1 << 30)) }) {
                configuration.maxBodyBytes = value
            }
            if let field = entries["snmp"], let snmp = snmpSettings(field, &reader) { configuration.snmp = snmp }
            if let field = entries["mail"] { configuration.mail = reader.mailSettings(field) }
            if let field = entries["weekly_report"], let weekly = reader.mapping(field, allowed: ["to", "lang", "title"]) {
                if let items = weekly["to"].flatMap({ reader.list($0) }) {
                    configuration.weeklyReport.to = items.compactMap { item in
                        guard let address = reader.nonEmptyString(item) else { return nil }
                        guard MailAddress(parsing: address) != nil else {
                            reader.report(.badValue, "\"\(address)\" is not an e-mail address", at: item)
                            return nil
                        }
                        return address
                    }
                }
                if let language = weekly["lang"].flatMap({ reader.enumeration($0, Language.self) }) {
                    configuration.weeklyReport.language = language
                }
                if let title = weekly["title"].flatMap({ reader.nonEmptyString($0) }) { configuration.weeklyReport.title = title }
            }
            if let field = entries["alerts"],
               let alerts = reader.mapping(field, allowed: ["path", "evaluation_interval_s", "alertmanager_resend_s", "external_url"]) {
                if let path = alerts["path"].flatMap({ reader.nonEmptyString($0) }) { configuration.alerts.path = path }
                if let value = alerts["evaluation_interval_s"].flatMap({ reader.int($0, in: 1...3600) }) {
                    configuration.alerts.evaluationIntervalSeconds = value
                }
                if let value = alerts["alertmanager_resend_s"].flatMap({ reader.int($0, in: 10...3600) }) {
                    configuration.alerts.alertmanagerResendSeconds = value
                }
                configuration.alerts.externalURL = alerts["external_url"].flatMap { reader.nonEmptyString($0) }
            }
        }
        guard reader.errors.isEmpty else { throw ConfigErrors(reader.errors) }
        configuration.inlineSecrets = reader.inlineSecrets
        return configuration
    }

    private static func snmpSettings(_ field: Field, _ reader: inout NodeReader) -> SNMPSettings? {
        let keys = ["listen", "engine_id", "users", "communities", "oid_root", "notification_max_age_s", "forward"]
        guard let entries = reader.mapping(field, allowed: keys) else { return nil }
        var settings = SNMPSettings()
        let errors = reader.errors.count
        if let listen = entries["listen"].flatMap({ reader.nonEmptyString($0) }) { settings.listen = listen }
        if let field = entries["engine_id"] { settings.engineID = reader.engineID(field) }
        if let root = entries["oid_root"].flatMap({ reader.oid($0) }) { settings.oidRoot = root }
        if let seconds = entries["notification_max_age_s"].flatMap({ reader.int($0, in: 1...(7 * 86400)) }) {
            settings.notificationMaxAgeSeconds = seconds
        }
        if let field = entries["users"], let items = reader.list(field) {
            settings.users = items.compactMap { item in
                let userKeys = SNMPConfigKeys.credentials.filter { $0 != "version" && $0 != "community" } + ["sites", "trap_engine_ids"]
                guard let keys = reader.mapping(item, allowed: userKeys, required: ["user"]),
                      let security = reader.usmSecurity(keys, in: item) else { return nil }
                var user = SNMPSettings.User(security: security)
                user.sites = Set(keys["sites"].flatMap { reader.list($0) }?.compactMap { reader.nonEmptyString($0) } ?? [])
                user.trapEngineIDs = keys["trap_engine_ids"].flatMap { reader.list($0) }?.compactMap { reader.engineID($0) } ?? []
                return user
            }
        }
        if let field = entries["communities"], let items = reader.list(field) {
            settings.communities = items.compactMap { item in
                guard let keys = reader.mapping(item, allowed: ["community", "sites"], required: ["community"]),
                      let community = keys["community"].flatMap({ reader.nonEmptyString($0) }) else { return nil }
                let sites = Set(keys["sites"].flatMap { reader.list($0) }?.compactMap { reader.nonEmptyString($0) } ?? [])
                return SNMPSettings.Community(community: community, sites: sites)
            }
        }
        if let field = entries["forward"], let targets = reader.notificationTargets(field) { settings.forward = targets }
        return reader.errors.count == errors ? settings : nil
    }
}
