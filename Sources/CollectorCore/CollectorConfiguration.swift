import Alerting
import CollectorStore
import Foundation
import Mail
import ReadinessModel
import SNMPReporting
import WeeklyReport
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
    /// `database.postgresql_url` and friends (docs/scale-out.md): when set, the store is PostgreSQL and several
    /// collectors may share it; `sqlitePath` is then unused.
    public var postgresql: PostgresStoreConfiguration?
    /// `database.password_file`, as written (read by `load`).
    public var postgresqlPasswordFile: String?
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
    /// `office_time_zone:` — the offices' wall clock (IANA name): alert times in messages, the weekly report's
    /// weeks. Vietnam has one zone, the default.
    public var officeTimeZone = OfficeTime.zone
    public var snmp = SNMPSettings()
    public var alerts = AlertSettings()
    /// `mail:` — SMTP for alert e-mail and the weekly report (docs/email.md); nil: no mail is sent.
    public var mail: MailSettings?
    public var weeklyReport = WeeklyReportSettings()

    public init() {}

    /// `mail:`, decoded by the Mail module (`NodeReader.mailSettings`).
    public typealias MailSettings = Mail.MailSettings

    /// `weekly_report:`, decoded by the WeeklyReport module (`NodeReader.weeklyReportSettings`).
    public typealias WeeklyReportSettings = WeeklyReport.WeeklyReportSettings

    /// `alerts:`, decoded by the Alerting module (`NodeReader.alertEngineSettings`).
    public typealias AlertSettings = AlertEngineSettings

    /// `snmp:`, decoded by the SNMPReporting module (`NodeReader.snmpReceiverSettings`).
    public typealias SNMPSettings = SNMPReceiverSettings

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
        configuration.snmp.resolveForwardQueue(sqlitePath: configuration.postgresql == nil ? configuration.sqlitePath : nil, resolve: resolve)
        if var postgresql = configuration.postgresql {
            postgresql.caFile = postgresql.caFile.map(resolve)
            if let file = configuration.postgresqlPasswordFile.map(resolve) {
                configuration.postgresqlPasswordFile = file
                do {
                    postgresql.password = try SecretFile.read(file)
                } catch {
                    throw ConfigErrors([ConfigError(.unreadableFile, "the PostgreSQL password file: \(error)",
                                                    at: .start(of: file), field: "database.password_file")])
                }
            }
            // The service-day tallies are cut by the offices' clock, as every other use of it.
            postgresql.officeTimeZone = configuration.officeTimeZone
            configuration.postgresql = postgresql
        }
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
                    "retention_days", "max_report_skew_s", "max_connections", "idle_timeout_s", "body_timeout_s", "max_body_bytes",
                    "snmp", "alerts", "mail", "weekly_report", "office_time_zone"]
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
            if let field = entries["database"] { databaseSettings(field, &reader, into: &configuration) }
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
            if let field = entries["office_time_zone"], let name = reader.nonEmptyString(field) {
                if let zone = TimeZone(identifier: name) {
                    configuration.officeTimeZone = zone
                } else {
                    reader.report(.badValue, "\"\(name)\" is not a time zone name (e.g. \(OfficeTime.zoneIdentifier))", at: field)
                }
            }
            if let field = entries["snmp"], let snmp = reader.snmpReceiverSettings(field) { configuration.snmp = snmp }
            if let field = entries["mail"] { configuration.mail = reader.mailSettings(field) }
            if let field = entries["weekly_report"],
               let weekly = reader.weeklyReportSettings(field, isAddress: { MailAddress(parsing: $0) != nil }) {
                configuration.weeklyReport = weekly
            }
            if let field = entries["alerts"], let alerts = reader.alertEngineSettings(field) { configuration.alerts = alerts }
        }
        guard reader.errors.isEmpty else { throw ConfigErrors(reader.errors) }
        configuration.inlineSecrets = reader.inlineSecrets
        return configuration
    }

    /// `database:` — `sqlite_path`, or `postgresql_url` with `password_file`, `tls` and `max_connections`.
    private static func databaseSettings(_ field: Field, _ reader: inout NodeReader, into configuration: inout CollectorConfiguration) {
        let keys = ["sqlite_path", "postgresql_url", "password_file", "tls", "max_connections", "connect_timeout_s"]
        guard let database = reader.mapping(field, allowed: keys) else { return }
        if let path = database["sqlite_path"].flatMap({ reader.nonEmptyString($0) }) { configuration.sqlitePath = path }
        guard let urlField = database["postgresql_url"] else {
            for key in keys.dropFirst(2) {
                if let other = database[key] { reader.report(.badValue, "applies to PostgreSQL only: add postgresql_url", at: other) }
            }
            return
        }
        if let sqlite = database["sqlite_path"] {
            reader.report(.badValue, "give sqlite_path or postgresql_url, not both", at: sqlite)
        }
        // The other keys are checked even when the URL is wrong: every problem at once.
        var postgresql = PostgresStoreConfiguration()
        if let text = reader.nonEmptyString(urlField) {
            do {
                postgresql = try PostgresStoreConfiguration(url: text)
                if postgresql.password != nil {
                    reader.report(.badValue, "put the password in password_file, not in the URL", at: urlField)
                }
            } catch {
                reader.report(.badValue, error.message, at: urlField)
            }
        }
        configuration.postgresqlPasswordFile = database["password_file"].flatMap { reader.nonEmptyString($0) }
        if let tls = database["tls"], let entries = reader.mapping(tls, allowed: ["mode", "ca_file"], required: ["mode"]) {
            if let mode = entries["mode"].flatMap({ reader.enumeration($0, PostgresStoreConfiguration.TLSMode.self) }) {
                postgresql.tls = mode
            }
            if let ca = entries["ca_file"] {
                postgresql.caFile = reader.nonEmptyString(ca)
                if postgresql.tls == .disable { reader.report(.badValue, "a CA file needs mode prefer or require", at: ca) }
            }
        }
        if let value = database["max_connections"].flatMap({ reader.int($0, in: 1...1000) }) { postgresql.maximumConnections = value }
        if let value = database["connect_timeout_s"].flatMap({ reader.int($0, in: 1...300) }) { postgresql.connectTimeoutSeconds = value }
        configuration.postgresql = postgresql
    }
}
