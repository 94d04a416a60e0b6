import Foundation
import Presentation
import ReadinessModel
import SansangAPI

/// What receivers are told of one alert instance: it fired, or it resolved.
public struct AlertNotice: Sendable, Hashable, Codable {
    public var rule: String
    public var site: String
    public var siteName: String
    public var state: AlertInstance.State
    public var severity: AlertSeverity
    public var labels: [String: String]
    public var summaryVietnamese: String
    public var summaryEnglish: String
    public var activeSince: Date
    public var firedAt: Date?
    public var resolvedAt: Date?
    public var match: ConditionMatch

    public init(rule: String, site: String, siteName: String, state: AlertInstance.State, severity: AlertSeverity,
                labels: [String: String], summaryVietnamese: String, summaryEnglish: String, activeSince: Date, firedAt: Date?,
                resolvedAt: Date?, match: ConditionMatch) {
        self.rule = rule
        self.site = site
        self.siteName = siteName
        self.state = state
        self.severity = severity
        self.labels = labels
        self.summaryVietnamese = summaryVietnamese
        self.summaryEnglish = summaryEnglish
        self.activeSince = activeSince
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.match = match
    }

    public var key: AlertKey { AlertKey(rule: rule, site: site) }

    public func summary(_ language: Language) -> String { language.pick(summaryVietnamese, summaryEnglish) }

    enum CodingKeys: String, CodingKey {
        case rule, site, state, severity, labels, match
        case siteName = "site_name"
        case summaryVietnamese = "summary_vi"
        case summaryEnglish = "summary_en"
        case activeSince = "active_since"
        case firedAt = "fired_at"
        case resolvedAt = "resolved_at"
    }
}

/// The outcome of one evaluation round: every instance to keep, those to forget, what to tell receivers.
public struct AlertRound: Sendable {
    public var instances: [AlertKey: AlertInstance] = [:]
    public var removed: [AlertKey] = []
    public var notices: [AlertNotice] = []
    /// Instances whose condition holds but which are muted (silence or maintenance), for the API.
    public var muted: Set<AlertKey> = []
}

/// Evaluates every rule on every site and advances each instance's state machine (pure).
public struct AlertEvaluator: Sendable {
    public var rules: [AlertRule]
    /// The offices' local time, for weekly maintenance windows.
    public var timeZone: TimeZone

    public init(rules: [AlertRule], timeZone: TimeZone = OfficeTime.zone) {
        self.rules = rules
        self.timeZone = timeZone
    }

    public func evaluate(_ observations: [SiteObservation], previous: [AlertKey: AlertInstance], silences: [Silence],
                         now: Date) -> AlertRound {
        var round = AlertRound()
        let activeSilences = silences.filter { $0.isActive(at: now) }
        var seen = Set<AlertKey>()
        for rule in rules {
            for observation in observations where observation.site.hasOffice {
                let key = AlertKey(rule: rule.name, site: observation.site.code)
                seen.insert(key)
                let stepped: AlertInstance?
                if observation.isStale, rule.condition.needsFreshReports, let held = previous[key], held.state != .resolved {
                    // The agent is silent: what the condition looks at is unknown, so the alert neither resolves
                    // (a false recovery) nor advances; `agent_silent` tells the NOC about the silence itself.
                    stepped = held
                } else {
                    let match = rule.condition.match(observation, now: now)
                    stepped = AlertTransition.step(previous[key], rule: rule, key: key, match: match, now: now)
                }
                guard var instance = stepped else {
                    if previous[key] != nil { round.removed.append(key) }
                    continue
                }
                let muted = isMuted(rule: rule, site: observation.site, silences: activeSilences, now: now)
                if muted, instance.state != .resolved { round.muted.insert(key) }
                if let told = AlertTransition.notice(for: instance, muted: muted) {
                    instance.notified = told
                    round.notices.append(notice(instance, rule: rule, site: observation.site, verdict: observation.verdict))
                }
                round.instances[key] = instance
            }
        }
        // Rules or sites that are gone (alerts or inventory reloaded): forget their instances.
        round.removed += previous.keys.filter { !seen.contains($0) }
        round.removed.sort()
        return round
    }

    /// Whether a silence active at `now` or a maintenance window of the site mutes the rule's alert there.
    public func isMuted(rule: AlertRule, site: Site, silences: [Silence], now: Date) -> Bool {
        let labels = AlertLabels.of(rule, site: site)
        return silences.contains { $0.isActive(at: now) && $0.matches(labels) }
            || site.maintenance.contains { $0.contains(now, timeZone: timeZone) }
    }

    /// An instance as receivers and the API see it, its summary rendered in both languages.
    public func notice(_ instance: AlertInstance, rule: AlertRule, site: Site, verdict: SiteVerdict?) -> AlertNotice {
        let labels = AlertLabels.of(rule, site: site)
        func summary(_ language: Language) -> String {
            let wording = ReasonWording(language: language)
            let reasons = instance.match.subjects.compactMap { ReasonKey($0) }
                .map { wording.phrase(Reason(code: $0.code, subject: $0.subject, impact: .notReady, evidence: "")) }
            let values: [String: String] = [
                "site": site.code, "site_name": site.name, "former_district": site.formerDistrict, "province": site.province,
                "state": verdict.map { wording.state($0.state) } ?? "",
                "reasons": reasons.joined(separator: "; "),
                "subjects": instance.match.subjects.joined(separator: ", "),
                "value": instance.match.value.map { $0 == $0.rounded() ? String(Int($0)) : String(format: "%.1f", $0) } ?? "",
                "rule": rule.name, "severity": rule.severity.rawValue,
            ]
            return rule.summary.render(values, vietnameseText: language == .vi)
        }
        return AlertNotice(rule: rule.name, site: site.code, siteName: site.name, state: instance.state, severity: rule.severity,
                           labels: labels, summaryVietnamese: summary(.vi), summaryEnglish: summary(.en),
                           activeSince: instance.activeSince, firedAt: instance.firedAt, resolvedAt: instance.resolvedAt,
                           match: instance.match)
    }
}
