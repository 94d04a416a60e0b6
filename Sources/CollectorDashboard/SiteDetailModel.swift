import Foundation
import Presentation
import ReadinessModel
import SansangAPI

/// The site page: verdict with every reason in words, each link's speed evidence side by side, each service's last
/// result with phases, history charts as SVG, state changes and gaps, its alerts and silences. Pure.
public struct SiteDetailModel: Sendable {
    public struct ReasonRow: Sendable, Hashable {
        public var text: String
        public var code: String
        public var evidence: String
        public var impact: String
        public var impactClass: String
    }

    public struct LinkRow: Sendable, Hashable {
        public var role: String
        public var interface: String
        public var target: String
        public var nic: String
        public var lldp: String
        public var snmp: String
        public var throughput: String
        public var mismatch: Bool
    }

    public struct ServiceRow: Sendable, Hashable {
        public var name: String
        public var kind: String
        public var ok: Bool
        public var result: String
        public var total: String
        public var phases: String
        public var certificate: String
        public var checkedAt: String
    }

    public struct TransitionRow: Sendable, Hashable {
        public var time: String
        public var from: String
        public var to: String
        public var toClass: String
        public var reasons: String
    }

    public struct GapRow: Sendable, Hashable {
        public var from: String
        public var to: String
        public var count: Int
    }

    public struct AlertRow: Sendable, Hashable {
        public var state: String
        public var severity: String
        public var rule: String
        public var summary: String
        public var since: String
        public var muted: Bool
    }

    public var code: String
    public var name: String
    public var type: String
    public var district: String
    public var province: String
    public var profile: String
    public var hasOffice: Bool
    public var state: String
    public var stateClass: String
    public var since: String
    public var lastReport: String
    public var agent: String
    public var reasons: [ReasonRow]
    public var links: [LinkRow]
    public var services: [ServiceRow]
    public var stateChart: String
    public var throughputChart: String?
    public var latencyChart: String?
    public var transitions: [TransitionRow]
    public var gaps: [GapRow]
    public var alerts: [AlertRow]
    public var silences: [SilenceListModel.Row]
    public var hasReport: Bool
    public var hasReasons: Bool
    public var hasLinks: Bool
    public var hasServices: Bool
    public var hasGaps: Bool
    public var hasAlerts: Bool
    public var hasSilences: Bool

    public init(site: Site, profile: Profile?, verdict: SiteVerdict?, latest: Report?, lastReportAt: Date?,
                history: SiteHistoryBody, alerts: [AlertBody], silences: [Silence], now: Date, language: Language, timeZone: TimeZone) {
        let format = Formatting(language: language, timeZone: timeZone)
        let words = { DashboardWording.text($0, language) }
        code = site.code
        name = site.name
        type = format.siteType(site.type)
        district = site.formerDistrict
        province = site.province
        self.profile = site.profile
        hasOffice = site.hasOffice
        let current = verdict?.state ?? .unknown
        state = site.hasOffice ? format.state(current) : "–"
        stateClass = site.hasOffice ? CollectorDashboard.stateClass(current) : "st-none"
        since = history.transitions.last.map { format.time($0.at) } ?? "–"
        lastReport = format.time(lastReportAt)
        agent = latest.map { "\($0.agent.hostname) · sansang-agent \($0.agent.version)" } ?? ""
        hasReport = latest != nil
        let verdictReasons = verdict?.reasons ?? (site.hasOffice ? [Reason(code: .noData, impact: .unknown, evidence: "")] : [])
        reasons = verdictReasons.map { reason in
            ReasonRow(text: format.reason(reason), code: reason.description, evidence: reason.evidence,
                      impact: format.state(reason.impact), impactClass: CollectorDashboard.stateClass(reason.impact))
        }
        let targets = Dictionary((profile?.links ?? []).map { ($0.role, $0.targetMbps) }) { a, _ in a }
        links = (latest?.links ?? []).map { link in
            func reading(_ source: SpeedSource) -> (text: String, mbps: Int?) {
                guard let reading = link.speed.first(where: { $0.source == source }) else { return ("–", nil) }
                if let mbps = reading.speedMbps { return ("\(mbps) Mbit/s", mbps) }
                return (reading.error.map { "? (\($0))" } ?? "?", nil)
            }
            let readings = [reading(.nic), reading(.lldp), reading(.snmp)]
            let known = Set(readings.compactMap(\.mbps))
            var throughput = "–"
            if let measurement = link.throughput {
                if let error = measurement.error {
                    throughput = "? (\(error))"
                } else {
                    let down = measurement.mbps[.download].map { format.number($0) } ?? "?"
                    let up = measurement.mbps[.upload].map { format.number($0) } ?? "?"
                    throughput = "↓ \(down) / ↑ \(up) Mbit/s · \(format.time(measurement.measuredAt))"
                }
            }
            return LinkRow(role: link.role.rawValue, interface: link.interface ?? "–",
                           target: targets[link.role].map { "\($0) Mbit/s" } ?? "–", nic: readings[0].text, lldp: readings[1].text,
                           snmp: readings[2].text, throughput: throughput, mismatch: known.count > 1)
        }
        services = (latest?.services ?? []).map { service in
            let phases = service.phases.sorted { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }
                .map { "\($0.key) \(format.number($0.value)) ms" }.joined(separator: " · ")
            return ServiceRow(name: service.name, kind: service.kind.rawValue, ok: service.ok,
                              result: service.ok ? words("ok") : words("failed") + (service.reason.map { " (\($0))" } ?? ""),
                              total: service.totalMilliseconds.map { format.number($0) + " ms" } ?? "–",
                              phases: phases.isEmpty ? "–" : phases,
                              certificate: service.certificateDaysLeft.map { "\($0) \(words("daysLeft"))" } ?? "–",
                              checkedAt: format.time(service.checkedAt))
        }
        stateChart = Charts.states(history.transitions, from: history.from, to: history.to, format: format,
                                   title: words("stateHistory"))
        throughputChart = Charts.optionalLines(history.points.filter { $0.series.hasPrefix("throughput:") }, from: history.from,
                                       to: history.to, format: format, title: words("throughputChart"), unit: "Mbit/s")
        latencyChart = Charts.optionalLines(history.points.filter { $0.series.hasPrefix("service:") }, from: history.from, to: history.to,
                                    format: format, title: words("latencyChart"), unit: "ms")
        transitions = history.transitions.suffix(20).reversed().map { transition in
            TransitionRow(time: format.time(transition.at), from: transition.from.map(format.state) ?? "–",
                          to: format.state(transition.to), toClass: CollectorDashboard.stateClass(transition.to),
                          reasons: transition.reasons.map(format.reason).joined(separator: "; "))
        }
        gaps = history.gaps.suffix(20).reversed().map { GapRow(from: format.time($0.from), to: format.time($0.to), count: $0.count) }
        self.alerts = alerts.filter { $0.site == site.code && $0.state != "resolved" }.map { alert in
            AlertRow(state: alert.state, severity: alert.severity, rule: alert.rule, summary: alert.summary,
                     since: format.time(alert.firedAt ?? alert.activeSince), muted: alert.muted)
        }
        self.silences = silences.filter { $0.isActive(at: now) && ($0.site == nil || $0.site == site.code) }
            .map { SilenceListModel.row($0, format: format, canExpire: false) }
        hasReasons = !reasons.isEmpty
        hasLinks = !links.isEmpty
        hasServices = !services.isEmpty
        hasGaps = !gaps.isEmpty
        hasAlerts = !self.alerts.isEmpty
        hasSilences = !self.silences.isEmpty
    }
}
