import Foundation
import Presentation
import ReadinessModel
import SNMPTypes
import YAMLConfig

/// Everything `alerts/*.yaml` says: rules, routes (by label, in order) and receivers (by name).
public struct AlertConfiguration: Sendable {
    public var rules: [AlertRule] = []
    public var routes: [AlertRoute] = []
    public var receivers: [String: AlertReceiver] = [:]

    public init(rules: [AlertRule] = [], routes: [AlertRoute] = [], receivers: [String: AlertReceiver] = [:]) {
        self.rules = rules
        self.routes = routes
        self.receivers = receivers
    }
}

/// Sends the alerts whose labels equal every `match` entry to `receivers`, grouped by the `group_by` labels; a
/// group is held `group_wait` so that alerts arriving together leave as one message. The first matching route
/// takes an alert unless it says `continue: true`.
public struct AlertRoute: Sendable, Hashable {
    public var match: [String: String] = [:]
    public var receivers: [String]
    public var groupBy: [String] = ["alertname"]
    public var groupWaitSeconds = 30
    public var continueMatching = false

    public init(match: [String: String] = [:], receivers: [String], groupBy: [String] = ["alertname"], groupWaitSeconds: Int = 30,
                continueMatching: Bool = false) {
        self.match = match
        self.receivers = receivers
        self.groupBy = groupBy
        self.groupWaitSeconds = groupWaitSeconds
        self.continueMatching = continueMatching
    }

    public func matches(_ labels: [String: String]) -> Bool { match.allSatisfy { labels[$0.key] == $0.value } }
}

/// Where notifications go (docs/alerts.md).
public struct AlertReceiver: Sendable {
    public enum Kind: Sendable {
        /// Mail through the collector's SMTP settings and outbox.
        case email(to: [String], language: Language)
        /// `POST` of the group as JSON (docs/alerts.md), with a bearer token read from a file if given.
        case webhook(url: String, bearerTokenFile: String?, timeoutSeconds: Int)
        /// Prometheus Alertmanager's `POST /api/v2/alerts` at this base URL.
        case alertmanager(url: String)
        /// A readiness notification (SANSANG-READINESS-MIB) per site of the group to an SNMP manager.
        case snmp(NotificationTarget)
    }

    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// Notices bound for one receiver that leave as one message.
public struct NoticeGroup: Sendable, Hashable, Codable {
    public var receiver: String
    /// Receiver, state and the values of the route's `group_by` labels: equal keys are merged.
    public var key: String
    public var state: AlertInstance.State
    public var labels: [String: String]
    public var notices: [AlertNotice]
    public var waitSeconds: Int

    public init(receiver: String, key: String, state: AlertInstance.State, labels: [String: String], notices: [AlertNotice],
                waitSeconds: Int) {
        self.receiver = receiver
        self.key = key
        self.state = state
        self.labels = labels
        self.notices = notices
        self.waitSeconds = waitSeconds
    }

    enum CodingKeys: String, CodingKey {
        case receiver, key, state, labels, notices
        case waitSeconds = "wait_seconds"
    }
}

extension AlertConfiguration {
    /// Notices routed to receivers and grouped, one group per receiver, state and `group_by` values, in a stable order.
    public func route(_ notices: [AlertNotice]) -> [NoticeGroup] {
        var groups: [String: NoticeGroup] = [:]
        for notice in notices {
            for route in routes where route.matches(notice.labels) {
                let labels = Dictionary(uniqueKeysWithValues: route.groupBy.map { ($0, notice.labels[$0] ?? "") })
                for receiver in route.receivers {
                    let values = route.groupBy.map { "\($0)=\(labels[$0]!)" }.joined(separator: ",")
                    let key = "\(receiver)|\(notice.state.rawValue)|\(values)"
                    groups[key, default: NoticeGroup(receiver: receiver, key: key, state: notice.state, labels: labels,
                                                     notices: [], waitSeconds: route.groupWaitSeconds)].notices.append(notice)
                }
                if !route.continueMatching { break }
            }
        }
        return groups.keys.sorted().map { groups[$0]! }
    }

    public static let rulesSample = "alerts/default.yaml"

    /// Reads every `*.yaml` file of a directory (or one file), in name order (`YAMLFiles.read`); every problem
    /// is reported with file, line, column and field.
    public static func load(path: String) throws(ConfigErrors) -> AlertConfiguration {
        try parse(YAMLFiles.read(path: path))
    }

    /// Parses alert files given as text (pure). Names of rules and receivers are unique across all files.
    public static func parse(_ documents: [(text: String, file: String)]) throws(ConfigErrors) -> AlertConfiguration {
        var configuration = AlertConfiguration()
        var errors: [ConfigError] = []
        var ruleLocations: [String: SourceLocation] = [:]
        var receiverLocations: [String: SourceLocation] = [:]
        var routeReferences: [(name: String, location: SourceLocation, field: String)] = []
        for (text, file) in documents {
            var reader = AlertFileReader(reader: NodeReader(file: file))
            let top: Field
            switch composeYAML(text, file: file) {
            case .success(let node?): top = Field(node: node, path: "")
            case .success(nil): continue
            case .failure(let error):
                errors.append(error)
                continue
            }
            guard let entries = reader.reader.mapping(top, allowed: ["rules", "routes", "receivers"]) else {
                errors += reader.reader.errors
                continue
            }
            for item in entries["rules"].flatMap({ reader.reader.list($0) }) ?? [] {
                guard let (rule, location) = reader.rule(item) else { continue }
                if let first = ruleLocations[rule.name] {
                    reader.reader.report(.badValue, "rule \"\(rule.name)\" is already defined at \(first)", at: item.node,
                                         field: item.child("name"))
                    continue
                }
                ruleLocations[rule.name] = location
                configuration.rules.append(rule)
            }
            for item in entries["routes"].flatMap({ reader.reader.list($0) }) ?? [] {
                guard let (route, references) = reader.route(item) else { continue }
                configuration.routes.append(route)
                routeReferences += references
            }
            for item in entries["receivers"].flatMap({ reader.reader.list($0) }) ?? [] {
                guard let (receiver, location) = reader.receiver(item) else { continue }
                if let first = receiverLocations[receiver.name] {
                    reader.reader.report(.badValue, "receiver \"\(receiver.name)\" is already defined at \(first)",
                                         at: item.node, field: item.child("name"))
                    continue
                }
                receiverLocations[receiver.name] = location
                configuration.receivers[receiver.name] = receiver
            }
            errors += reader.reader.errors
        }
        for reference in routeReferences where configuration.receivers[reference.name] == nil {
            errors.append(ConfigError(.badValue, "no receiver named \"\(reference.name)\""
                                      + suggestion(for: reference.name, among: Array(configuration.receivers.keys)),
                                      at: reference.location, field: reference.field))
        }
        guard errors.isEmpty else { throw ConfigErrors(errors.sorted { $0.location < $1.location }) }
        return configuration
    }
}

/// Reads the parts of one alert file.
struct AlertFileReader {
    var reader: NodeReader

    mutating func rule(_ field: Field) -> (AlertRule, SourceLocation)? {
        let keys = ["name", "when", "for", "for_checks", "severity", "labels", "summary"]
        guard let entries = reader.mapping(field, allowed: keys, required: ["name", "when", "summary"]) else { return nil }
        let before = reader.errors.count
        let name = entries["name"].flatMap { ruleName($0) }
        let condition = entries["when"].flatMap { self.condition($0) }
        let forSeconds = entries["for"].flatMap { reader.duration($0, in: 0...(30 * 86400)) } ?? 0
        let forChecks = entries["for_checks"].flatMap { reader.int($0, in: 1...100) } ?? 1
        let severity = entries["severity"].flatMap { reader.enumeration($0, AlertSeverity.self) } ?? .warning
        let labels = entries["labels"].flatMap { self.labels($0) } ?? [:]
        let summary = entries["summary"].flatMap { self.summary($0) }
        guard reader.errors.count == before, let name, let condition, let summary else { return nil }
        return (AlertRule(name: name, condition: condition, forSeconds: forSeconds, forChecks: forChecks, severity: severity,
                          labels: labels, summary: summary), reader.location(field.node))
    }

    private mutating func ruleName(_ field: Field) -> String? {
        guard let name = reader.nonEmptyString(field) else { return nil }
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            reader.report(.badValue, "a rule name uses letters, digits, _ and - only, e.g. \"service_down\"", at: field)
            return nil
        }
        return name
    }

    private mutating func condition(_ field: Field) -> AlertCondition? {
        guard let entries = reader.mapping(field, allowed: ["verdict", "reason", "metric", "silent_for"]) else { return nil }
        guard !entries.isEmpty else {
            reader.report(.badValue, "needs at least one of verdict, reason, metric, silent_for", at: field)
            return nil
        }
        var condition = AlertCondition()
        if let field = entries["verdict"] {
            condition.verdicts = oneOrMany(field) { reader, item in reader.enumeration(item, VerdictState.self) }.map(Set.init)
        }
        if let field = entries["reason"] {
            condition.reasons = oneOrMany(field) { reader, item in
                guard let text = reader.nonEmptyString(item) else { return nil }
                guard let key = ReasonKey(text) else {
                    let codes = ReasonCode.allCases.map(\.rawValue)
                    reader.report(.badEnumValue, "\"\(text)\" is not a reason code (\(codes.joined(separator: ", ")))"
                                  + suggestion(for: String(text.prefix { $0 != ":" }), among: codes), at: item)
                    return nil
                }
                return key
            }
        }
        if let field = entries["metric"], let metric = reader.mapping(field, allowed: ["series", "below", "above"], required: ["series"]) {
            let seriesText = metric["series"].flatMap { reader.nonEmptyString($0) }
            let series = seriesText.flatMap { MetricSeries($0) }
            if let seriesText, series == nil {
                reader.report(.badValue, "unknown series \"\(seriesText)\": one of \(MetricSeries.forms.joined(separator: ", "))",
                              at: metric["series"]!)
            }
            let below = metric["below"].flatMap { reader.double($0, in: -1e12...1e12) }
            let above = metric["above"].flatMap { reader.double($0, in: -1e12...1e12) }
            if below == nil, above == nil, metric["below"] == nil, metric["above"] == nil {
                reader.report(.missingKey, "a metric condition needs below or above", at: field)
            }
            if let series { condition.metric = MetricCondition(series: series, below: below, above: above) }
        }
        if let field = entries["silent_for"] {
            condition.silentForSeconds = reader.duration(field, in: 60...(30 * 86400))
        }
        return condition
    }

    /// A scalar or a list of them.
    private mutating func oneOrMany<T>(_ field: Field, _ read: (inout NodeReader, Field) -> T?) -> [T]? {
        if case .sequence = field.node {
            guard let items = reader.list(field), !items.isEmpty else {
                reader.report(.badValue, "must list at least one value", at: field)
                return nil
            }
            let values = items.compactMap { read(&reader, $0) }
            return values.count == items.count ? values : nil
        }
        return read(&reader, field).map { [$0] }
    }

    private mutating func labels(_ field: Field) -> [String: String]? {
        guard let pairs = reader.pairs(field) else { return nil }
        var labels: [String: String] = [:]
        for (key, _, value) in pairs {
            if let text = reader.string(value) { labels[key] = text }
        }
        return labels
    }

    private mutating func summary(_ field: Field) -> LocalizedTemplate? {
        guard let entries = reader.mapping(field, allowed: ["vi", "en"], required: ["vi", "en"]),
              let vietnamese = entries["vi"].flatMap({ reader.nonEmptyString($0) }),
              let english = entries["en"].flatMap({ reader.nonEmptyString($0) }) else { return nil }
        do {
            return try LocalizedTemplate(vietnamese: vietnamese, english: english)
        } catch {
            reader.report(.badValue, "bad template: \(error.message)", at: entries[error.language]!)
            return nil
        }
    }

    mutating func route(_ field: Field) -> (AlertRoute, [(name: String, location: SourceLocation, field: String)])? {
        let keys = ["match", "receivers", "group_by", "group_wait", "continue"]
        guard let entries = reader.mapping(field, allowed: keys, required: ["receivers"]) else { return nil }
        let before = reader.errors.count
        var references: [(name: String, location: SourceLocation, field: String)] = []
        var route = AlertRoute(receivers: [])
        if let match = entries["match"].flatMap({ labels($0) }) { route.match = match }
        if let items = entries["receivers"].flatMap({ reader.list($0) }) {
            if items.isEmpty { reader.report(.badValue, "must name at least one receiver", at: entries["receivers"]!) }
            for item in items {
                guard let name = reader.nonEmptyString(item) else { continue }
                route.receivers.append(name)
                references.append((name, reader.location(item.node), item.path))
            }
        }
        if let items = entries["group_by"].flatMap({ reader.list($0) }) {
            route.groupBy = items.compactMap { reader.nonEmptyString($0) }
        }
        if let seconds = entries["group_wait"].flatMap({ reader.duration($0, in: 0...3600) }) { route.groupWaitSeconds = seconds }
        if let value = entries["continue"].flatMap({ reader.bool($0) }) { route.continueMatching = value }
        return reader.errors.count == before ? (route, references) : nil
    }

    mutating func receiver(_ field: Field) -> (AlertReceiver, SourceLocation)? {
        let kinds = ["email", "webhook", "alertmanager", "snmp"]
        guard let entries = reader.mapping(field, allowed: ["name"] + kinds, required: ["name"]),
              let name = entries["name"].flatMap({ reader.nonEmptyString($0) }) else { return nil }
        let given = kinds.filter { entries[$0] != nil }
        guard given.count == 1, let kindName = given.first, let body = entries[kindName] else {
            reader.report(.badValue, "a receiver has exactly one of \(kinds.joined(separator: ", "))", at: field)
            return nil
        }
        let before = reader.errors.count
        var kind: AlertReceiver.Kind?
        switch kindName {
        case "email":
            if let keys = reader.mapping(body, allowed: ["to", "lang"], required: ["to"]) {
                let to = keys["to"].flatMap { reader.list($0) }?.compactMap { item -> String? in
                    guard let address = reader.nonEmptyString(item) else { return nil }
                    guard address.contains("@") else {
                        reader.report(.badValue, "\"\(address)\" is not an e-mail address", at: item)
                        return nil
                    }
                    return address
                } ?? []
                let language = keys["lang"].flatMap { reader.enumeration($0, Language.self) } ?? .vi
                if to.isEmpty, reader.errors.count == before { reader.report(.badValue, "needs at least one address", at: keys["to"]!) }
                kind = .email(to: to, language: language)
            }
        case "webhook":
            if let keys = reader.mapping(body, allowed: ["url", "bearer_token_file", "timeout_s"], required: ["url"]),
               let url = keys["url"].flatMap({ httpURL($0) }) {
                let timeout = keys["timeout_s"].flatMap { reader.int($0, in: 1...300) } ?? 10
                kind = .webhook(url: url, bearerTokenFile: keys["bearer_token_file"].flatMap { reader.nonEmptyString($0) },
                                timeoutSeconds: timeout)
            }
        case "alertmanager":
            if let keys = reader.mapping(body, allowed: ["url"], required: ["url"]), let url = keys["url"].flatMap({ httpURL($0) }) {
                kind = .alertmanager(url: url)
            }
        default:
            if let target = reader.notificationTarget(body) { kind = .snmp(target) }
        }
        guard reader.errors.count == before, let kind else { return nil }
        return (AlertReceiver(name: name, kind: kind), reader.location(field.node))
    }

    private mutating func httpURL(_ field: Field) -> String? {
        guard let text = reader.nonEmptyString(field) else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            reader.report(.badValue, "\"\(text)\" is not an http(s) URL", at: field)
            return nil
        }
        return text
    }
}
