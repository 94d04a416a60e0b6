import AgentProbes
import CertificateTools
import Foundation
import ReadinessMIB
import SNMP
import SNMPReporting
import Spool
import YAMLConfig
import Yams

/// `/etc/sansang/agent.yaml` (docs/agent.md). Every key but `site` and `collector.url` has a default.
public struct AgentConfiguration: Sendable {
    public struct Collector: Sendable {
        /// http:// or https://, without the /api/v1 part.
        public var url: URL
        public var tokenFile: String = "/etc/sansang/agent.token"
        /// An extra CA (PEM) trusted for the collector's certificate, beside the system's.
        public var caFile: String?
        /// The collector's CA (PEM) pinned by `enroll`: when set, only it is trusted, not the system's CAs.
        public var pinnedCAFile: String?
        /// SHA-256 fingerprints (`sha256:AB:…`) of the collector's public key (its certificate's SubjectPublicKeyInfo),
        /// pinned by `enroll`: the collector must present one of these keys, in a certificate that verifies as
        /// usual. With a pinned CA, a new key in a certificate of that CA is accepted too (and logged): a key rotation
        /// signed by the province's own CA. Empty: no key is pinned.
        public var pinnedPublicKeys: [String] = []
        /// Allows http:// to a collector that is not on loopback (the token then crosses the network in clear).
        public var allowInsecureHTTP = false
        public var timeout: Duration = .seconds(30)

        public init(url: URL) {
            self.url = url
        }
    }

    public struct Send: Sendable {
        public var batchSize = 50
        public var backoffInitial: Duration = .seconds(1)
        public var backoffMax: Duration = .seconds(300)

        public init() {}
    }

    public var site: String
    public var collector: Collector
    public var uplink = "auto"
    public var stateDirectory = URL(fileURLWithPath: "/var/lib/sansang-agent")
    public var spool = SpoolBounds()
    public var send = Send()
    public var upstreamSwitch: SwitchConfiguration?
    /// The plan's service checks and throughput tests, as the daemon schedules them.
    public var checks = Checks()
    /// SNMP notifications to the collector and the NOC's managers; nil (no `notifications` key) sends none.
    public var notifications: Notifications?
    /// How long each report listens for the LLDP neighbour on the uplink; zero turns the LLDP source off.
    public var lldpWait: Duration = .seconds(5)
    /// For tests and the lab: report this often instead of the plan's interval.
    public var reportIntervalOverride: Duration?
    /// How often the plan is fetched again.
    public var planRefresh: Duration = .seconds(300)
    /// Fields whose secret is written in the file itself; `load` then refuses a file others can read.
    public var inlineSecrets: [String] = []
    /// `metrics.listen`: where `/metrics` is served; nil (the default) serves none.
    public var metricsListen: Listen?

    public struct Listen: Sendable, Hashable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// When a loop counts as stuck and the systemd watchdog is no longer fed (not in agent.yaml).
    public var watchdog = Watchdog()

    public struct Watchdog: Sendable {
        /// The longest a report cycle (gather the evidence, spool the report) may take.
        public var reporterLimit: Duration = .seconds(300)
        /// A send may take twice the collector timeout plus this (compression, spool work).
        public var senderSlack: Duration = .seconds(30)

        public init() {}
    }

    public init(site: String, collector: Collector) {
        self.site = site
        self.collector = collector
    }

    /// `checks:` — how the daemon runs the plan's service checks and throughput tests.
    public struct Checks: Sendable {
        public var services = true
        /// Each service check runs this often; nil: at the plan's report interval.
        public var serviceInterval: Duration?
        public var serviceTimeout: Duration = .seconds(10)
        /// A failed check runs once more after this, sooner than its interval (a transient failure is not kept for a
        /// whole interval); nil: the plan's report interval. Never later than the interval.
        public var retryInterval: Duration?
        /// PEM file of the CA(s) the tls/https service checks trust instead of the system store (e.g. a lab's CA).
        public var caFile: String?
        public var throughput = true
        /// How often the throughput policy is asked whether a test may start.
        public var throughputPoll: Duration = .seconds(60)

        public init() {}
    }

    /// `notifications:` — where the agent's INFORMs go, the heartbeat, retries and the MIB's OID root.
    public struct Notifications: Sendable {
        public var targets: [NotificationTarget] = []
        public var heartbeat: Duration = .seconds(300)
        public var delivery = DeliveryPolicy()
        public var oidRoot = ReadinessMIB.defaultRoot

        public init() {}
    }

    public var spoolDirectory: URL { stateDirectory.appendingPathComponent("spool") }
    /// The SNMP notifications waiting for their targets, one subdirectory per target (docs/snmp-notifications.md).
    public var notificationQueueDirectory: URL { stateDirectory.appendingPathComponent("notifications") }
    public var planFile: URL { stateDirectory.appendingPathComponent("plan.json") }
    public var throughputHistoryFile: URL { stateDirectory.appendingPathComponent("throughput-history.json") }

    public static let defaultPath = "/etc/sansang/agent.yaml"

    /// Reads and decodes the file at `path`; every problem comes back with file:line:column and field.
    public static func load(path: String) throws(ConfigErrors) -> AgentConfiguration {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw ConfigErrors([ConfigError(.unreadableFile, "not UTF-8 text", at: .start(of: path), field: "")])
            }
            text = decoded
        } catch let error as ConfigErrors {
            throw error
        } catch {
            throw ConfigErrors([ConfigError(.unreadableFile, "cannot read: \(error.localizedDescription)",
                                            at: .start(of: path), field: "")])
        }
        let configuration = try decode(yaml: text, file: path)
        try NodeReader.checkPrivate(path, inlineSecrets: configuration.inlineSecrets)
        return configuration
    }

    /// Decodes the text of an agent.yaml (pure).
    public static func decode(yaml: String, file: String) throws(ConfigErrors) -> AgentConfiguration {
        let root: Node?
        switch composeYAML(yaml, file: file) {
        case .success(let node): root = node
        case .failure(let error): throw ConfigErrors([error])
        }
        guard let root else {
            throw ConfigErrors([ConfigError(.missingKey, "empty file: \"site\" and \"collector.url\" are required",
                                            at: .start(of: file), field: "")])
        }
        var decoder = AgentConfigurationDecoder(reader: NodeReader(file: file))
        let configuration = decoder.configuration(Field(node: root, path: ""))
        guard decoder.reader.errors.isEmpty, var configuration else {
            throw ConfigErrors(decoder.reader.errors.sorted { $0.location < $1.location })
        }
        configuration.inlineSecrets = decoder.reader.inlineSecrets
        return configuration
    }
}

enum AgentConfigurationKeys {
    static let top = ["site", "collector", "uplink", "state_directory", "spool", "send", "switch", "lldp_wait_s",
                      "report_interval_s", "checks", "notifications", "metrics"]
    static let checks = ["services", "service_interval_s", "service_timeout_s", "retry_interval_s", "ca_file", "throughput",
                         "throughput_poll_s"]
    static let notifications = ["targets", "heartbeat_s", "backoff_initial_s", "backoff_max_s", "expire_s", "queue_limit",
                                "oid_root"]
    static let collector = ["url", "token_file", "ca_file", "pinned_ca_file", "pinned_public_keys", "allow_insecure_http", "timeout_s"]
    static let spool = ["max_bytes", "max_age_hours"]
    static let send = ["batch_size", "backoff_initial_s", "backoff_max_s"]
    static let upstreamSwitch = ["address", "timeout_ms", "retries", "port_name", "port_alias"] + SNMPConfigKeys.credentials
}

private struct AgentConfigurationDecoder {
    var reader: NodeReader

    mutating func configuration(_ root: Field) -> AgentConfiguration? {
        guard let top = reader.mapping(root, allowed: AgentConfigurationKeys.top, required: ["site", "collector"]) else {
            return nil
        }
        let site = top["site"].flatMap { reader.nonEmptyString($0) }
        let collector = top["collector"].flatMap { collectorSection($0) }
        // Placeholders when site or collector are wrong, so that the other keys are still checked.
        var configuration = AgentConfiguration(site: site ?? "", collector: collector ?? AgentConfiguration.Collector(url: URL(fileURLWithPath: "/")))
        if let field = top["uplink"], let uplink = reader.nonEmptyString(field) { configuration.uplink = uplink }
        if let field = top["state_directory"], let path = absolutePath(field) {
            configuration.stateDirectory = URL(fileURLWithPath: path)
        }
        if let field = top["spool"], let keys = reader.mapping(field, allowed: AgentConfigurationKeys.spool) {
            if let bytes = keys["max_bytes"].flatMap({ reader.int($0, in: 65_536...(1 << 40)) }) { configuration.spool.maxBytes = bytes }
            if let hours = keys["max_age_hours"].flatMap({ reader.double($0, in: 0.01...8760) }) { configuration.spool.maxAge = hours * 3600 }
        }
        if let field = top["send"], let keys = reader.mapping(field, allowed: AgentConfigurationKeys.send) {
            if let size = keys["batch_size"].flatMap({ reader.int($0, in: 1...1000) }) { configuration.send.batchSize = size }
            if let initial = keys["backoff_initial_s"].flatMap({ reader.double($0, in: 0.01...3600) }) {
                configuration.send.backoffInitial = .seconds(initial)
            }
            if let maximum = keys["backoff_max_s"].flatMap({ reader.double($0, in: 0.01...86400) }) {
                configuration.send.backoffMax = .seconds(maximum)
            }
            if configuration.send.backoffMax < configuration.send.backoffInitial, let field = keys["backoff_max_s"] {
                reader.report(.outOfRange, "must not be less than send.backoff_initial_s", at: field)
            }
        }
        if let field = top["switch"] { configuration.upstreamSwitch = upstreamSwitch(field) }
        if let field = top["lldp_wait_s"], let seconds = reader.double(field, in: 0...300) {
            configuration.lldpWait = .seconds(seconds)
        }
        if let field = top["report_interval_s"], let seconds = reader.double(field, in: 0.01...86400) {
            configuration.reportIntervalOverride = .seconds(seconds)
        }
        if let field = top["checks"], let keys = reader.mapping(field, allowed: AgentConfigurationKeys.checks) {
            if let on = keys["services"].flatMap({ reader.bool($0) }) { configuration.checks.services = on }
            if let seconds = keys["service_interval_s"].flatMap({ reader.double($0, in: 0.1...86400) }) {
                configuration.checks.serviceInterval = .seconds(seconds)
            }
            if let seconds = keys["service_timeout_s"].flatMap({ reader.double($0, in: 0.1...300) }) {
                configuration.checks.serviceTimeout = .seconds(seconds)
            }
            if let seconds = keys["retry_interval_s"].flatMap({ reader.double($0, in: 0.1...86400) }) {
                configuration.checks.retryInterval = .seconds(seconds)
            }
            if let field = keys["ca_file"], let path = absolutePath(field) { configuration.checks.caFile = path }
            if let on = keys["throughput"].flatMap({ reader.bool($0) }) { configuration.checks.throughput = on }
            if let seconds = keys["throughput_poll_s"].flatMap({ reader.double($0, in: 0.1...3600) }) {
                configuration.checks.throughputPoll = .seconds(seconds)
            }
        }
        if let field = top["notifications"] { configuration.notifications = notifications(field) }
        if let field = top["metrics"], let keys = reader.mapping(field, allowed: ["listen"], required: ["listen"]),
           let listen = keys["listen"], let text = reader.nonEmptyString(listen) {
            configuration.metricsListen = Self.listen(text)
            if configuration.metricsListen == nil {
                reader.report(.badValue, "\"\(text)\" is not HOST:PORT (e.g. 127.0.0.1:9477, [::1]:9477)", at: listen)
            }
        }
        return site == nil || collector == nil ? nil : configuration
    }

    /// `127.0.0.1:9477`, `[::1]:9477`, `localhost:9477`.
    static func listen(_ text: String) -> AgentConfiguration.Listen? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : AgentConfiguration.Listen(host: host, port: port)
    }

    mutating func collectorSection(_ field: Field) -> AgentConfiguration.Collector? {
        guard let keys = reader.mapping(field, allowed: AgentConfigurationKeys.collector, required: ["url"]) else { return nil }
        guard let urlField = keys["url"], let text = reader.nonEmptyString(urlField) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host?.isEmpty == false else {
            reader.report(.badValue, "\"\(text)\" is not an http:// or https:// URL", at: urlField)
            return nil
        }
        var collector = AgentConfiguration.Collector(url: url)
        if let field = keys["token_file"], let path = absolutePath(field) { collector.tokenFile = path }
        if let field = keys["ca_file"], let path = absolutePath(field) { collector.caFile = path }
        if let field = keys["pinned_ca_file"], let path = absolutePath(field) { collector.pinnedCAFile = path }
        if let field = keys["pinned_public_keys"], let items = reader.list(field) {
            for item in items {
                guard let text = reader.nonEmptyString(item) else { continue }
                guard let fingerprint = CollectorTLS.normalizedFingerprint(text) else {
                    reader.report(.badValue, "\"\(text)\" is not a SHA-256 fingerprint (sha256: and 32 hex pairs)", at: item)
                    continue
                }
                collector.pinnedPublicKeys.append(fingerprint)
            }
            if !collector.pinnedPublicKeys.isEmpty, url.scheme?.lowercased() != "https" {
                reader.report(.badValue, "a pinned public key needs an https:// collector", at: field)
            }
        }
        if let on = keys["allow_insecure_http"].flatMap({ reader.bool($0) }) { collector.allowInsecureHTTP = on }
        if collector.isInsecure, !collector.allowInsecureHTTP {
            reader.report(.badValue, "plain http:// sends the site token in clear to \(url.host ?? "the collector"); use https://, "
                          + "or set collector.allow_insecure_http: true if you must", at: urlField)
            return nil
        }
        if let seconds = keys["timeout_s"].flatMap({ reader.double($0, in: 0.1...3600) }) { collector.timeout = .seconds(seconds) }
        return collector
    }

    mutating func upstreamSwitch(_ field: Field) -> SwitchConfiguration? {
        guard let keys = reader.mapping(field, allowed: AgentConfigurationKeys.upstreamSwitch, required: ["address"]) else {
            return nil
        }
        var snmp = SNMPSessionConfiguration()
        if let address = keys["address"].flatMap({ reader.nonEmptyString($0) }) { snmp.peer = address }
        if let ms = keys["timeout_ms"].flatMap({ reader.int($0, in: 10...60_000) }) { snmp.timeout = .milliseconds(ms) }
        if let retries = keys["retries"].flatMap({ reader.int($0, in: 0...10) }) { snmp.retries = retries }
        if let version = reader.snmpVersion(keys, in: field, defaultCommunity: "public") { snmp.version = version }
        var port = PortSelector()
        port.ifName = keys["port_name"].flatMap { reader.nonEmptyString($0) }
        port.ifAlias = keys["port_alias"].flatMap { reader.nonEmptyString($0) }
        return SwitchConfiguration(snmp: snmp, port: port)
    }

    mutating func notifications(_ field: Field) -> AgentConfiguration.Notifications? {
        guard let keys = reader.mapping(field, allowed: AgentConfigurationKeys.notifications, required: ["targets"]) else {
            return nil
        }
        var notifications = AgentConfiguration.Notifications()
        if let targets = keys["targets"].flatMap({ reader.notificationTargets($0) }) { notifications.targets = targets }
        if let seconds = keys["heartbeat_s"].flatMap({ reader.double($0, in: 0.1...86400) }) { notifications.heartbeat = .seconds(seconds) }
        if let seconds = keys["backoff_initial_s"].flatMap({ reader.double($0, in: 0.01...3600) }) {
            notifications.delivery.backoffInitial = .seconds(seconds)
        }
        if let seconds = keys["backoff_max_s"].flatMap({ reader.double($0, in: 0.01...86400) }) {
            notifications.delivery.backoffMax = .seconds(seconds)
        }
        if let seconds = keys["expire_s"].flatMap({ reader.double($0, in: 1...(7 * 86400)) }) {
            notifications.delivery.expireAfter = .seconds(seconds)
        }
        if let limit = keys["queue_limit"].flatMap({ reader.int($0, in: 1...100_000) }) { notifications.delivery.queueLimit = limit }
        if let root = keys["oid_root"].flatMap({ reader.oid($0) }) { notifications.oidRoot = root }
        return notifications
    }

    mutating func absolutePath(_ field: Field) -> String? {
        guard let path = reader.nonEmptyString(field) else { return nil }
        guard path.hasPrefix("/") else {
            reader.report(.badValue, "\"\(path)\" is not an absolute path", at: field)
            return nil
        }
        return path
    }
}

extension AgentConfiguration.Collector {
    /// Plain http:// to a host that is not on loopback: refused unless `allow_insecure_http`, warned about at start.
    public var isInsecure: Bool {
        url.scheme?.lowercased() == "http" && !Self.isLoopback(url.host ?? "")
    }

    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}
