import ReadinessMIB
import ReadinessModel
import SNMP

extension ReadinessNotification {
    /// The notification of a site's verdict: its state, reasons, and failing services (the SERVICE_DOWN subjects).
    /// A previous verdict goes with a verdict change only.
    public init(kind: Kind, verdict: SiteVerdict, previous: VerdictState?, links: [Link] = [], agentVersion: String,
                reportSeq: UInt64 = 0, bootId: String = "", undeliveredInforms: Int = 0) {
        self.init(
            kind: kind, siteCode: verdict.site, verdict: verdict.state, previousVerdict: kind == .verdictChange ? previous : nil,
            reasons: verdict.reasons.map(\.key),
            failingServices: verdict.reasons.filter { $0.code == .serviceDown }.compactMap(\.subject),
            links: links, agentVersion: agentVersion, reportSeq: reportSeq, bootId: bootId,
            undeliveredInforms: UInt32(clamping: undeliveredInforms))
    }

    /// What the agent notifies about its site: the verdict it computed from `report` with its plan's profile.
    /// A link's measured speed is the lowest known reading (the one the verdict trusts), else, for links judged
    /// by throughput, the lower direction of the last test.
    public init(kind: Kind, report: Report, verdict: SiteVerdict, previous: VerdictState?, profile: Profile,
                undeliveredInforms: Int) {
        let links = profile.links.map { target -> Link in
            let linkReport = report.link(target.role)
            let reading = linkReport?.speed.compactMap(\.speedMbps).min()
                ?? linkReport?.throughput.flatMap { $0.error == nil ? $0.mbps.values.min().map { Int($0) } : nil }
            return Link(role: target.role.rawValue, measuredMbps: reading.map { UInt32(clamping: $0) },
                        targetMbps: UInt32(clamping: target.targetMbps))
        }
        self.init(kind: kind, verdict: verdict, previous: previous, links: links, agentVersion: report.agent.version,
                  reportSeq: report.seq, bootId: report.agent.bootId, undeliveredInforms: undeliveredInforms)
    }
}

extension ReadinessMIB {
    /// What goes on the wire: the trap OID of the notification's kind and its objects; `uptime` is the sender's.
    public func notification(_ content: ReadinessNotification, uptime: Duration) -> SNMPNotification {
        SNMPNotification(trapOID: trapOID(content.kind), uptime: UInt32(clamping: uptime.components.seconds * 100),
                         varBinds: varBinds(content))
    }
}
