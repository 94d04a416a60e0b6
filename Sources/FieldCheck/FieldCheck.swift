import AgentProbes
import Foundation
import ReadinessModel

/// `sansang-agent check`: every check once, one report, one verdict — for a field technician on the spot.
public struct FieldCheck: Sendable {
    public struct Configuration: Sendable {
        /// The site this host belongs to; a placeholder site when checking a host not yet in the inventory.
        public var site: Site
        public var profile: Profile
        /// The uplink interface, or `auto` for the interface of the default route.
        public var uplink: String
        public var nic: NICProbe.Configuration

        public init(
            site: Site = Site(code: "00000", name: "this host", type: .xa),
            profile: Profile = FieldCheck.builtInProfile, uplink: String = "auto",
            nic: NICProbe.Configuration = NICProbe.Configuration()
        ) {
            self.site = site
            self.profile = profile
            self.uplink = uplink
            self.nic = nic
        }
    }

    /// Used when no inventory is given: the LAN target of DESIGN.md and nothing else to check.
    public static let builtInProfile = Profile(
        name: "built-in", description: "LAN at 10 Gbit/s; no line or service checks",
        links: [LinkTarget(role: .lan, targetMbps: 10_000)])

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func run(now: Date = Date()) async -> FieldCheckResult {
        let nicProbe = NICProbe(configuration: configuration.nic)
        let uplink = (try? nicProbe.resolve(configuration.uplink)) ?? configuration.uplink
        let profile = configuration.profile.applying(configuration.site.overrides)
        let probes: [any SpeedEvidenceProbe] = [nicProbe]
        var notConfigured: [String] = []

        var links: [LinkReport] = []
        for link in profile.links {
            var readings: [SpeedReading] = []
            // The host's NIC is evidence for the LAN only: the line to the province sits behind a router.
            if link.role == .lan {
                for probe in probes { readings.append(await probe.reading(interface: uplink)) }
                for source in SpeedSource.allCases where !probes.contains(where: { $0.source == source }) {
                    readings.append(.unknown(source, error: "not configured"))
                }
            } else {
                notConfigured.append("throughput:\(link.role.rawValue)")
            }
            links.append(LinkReport(role: link.role, interface: link.role == .lan ? uplink : nil, speed: readings))
        }
        notConfigured += profile.services.map { "service:\($0.name)" }

        let report = Report(
            site: configuration.site.code, agent: AgentIdentity.current(), seq: 0, generatedAt: now,
            links: links, services: [])
        let verdict = ReadinessEvaluator().evaluate(
            site: configuration.site, profile: configuration.profile, latest: report, now: now)
        let interfaces = ((try? nicProbe.interfaces()) ?? []).compactMap { try? nicProbe.evidence(interface: $0) }
        return FieldCheckResult(
            site: configuration.site, profile: profile, uplink: uplink, report: report, verdict: verdict,
            interfaces: interfaces, notConfigured: notConfigured)
    }
}

/// Everything `sansang-agent check` found, for the table and for `--json`.
public struct FieldCheckResult: Sendable, Codable {
    public var site: Site
    public var profile: Profile
    public var uplink: String
    public var report: Report
    /// Nil only for a site without an office, which is never evaluated.
    public var verdict: SiteVerdict?
    public var interfaces: [NICEvidence]
    /// Checks the profile asks for that this agent does not run yet, as "kind:name".
    public var notConfigured: [String]

    enum CodingKeys: String, CodingKey {
        case site, profile, uplink, report, verdict, interfaces
        case notConfigured = "not_configured"
    }

    /// The monitoring-plugin exit code: 0 OK, 1 WARNING (degraded), 2 CRITICAL (not ready), 3 UNKNOWN.
    public var exitCode: Int32 {
        switch verdict?.state {
        case .ready: 0
        case .degraded: 1
        case .notReady: 2
        case .unknown, nil: 3
        }
    }
}

extension AgentIdentity {
    /// This process: the package version, the host name and the kernel's boot id.
    public static func current() -> AgentIdentity {
        let bootId = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? UUID().uuidString.lowercased()
        return AgentIdentity(version: SansangVersion.current, hostname: ProcessInfo.processInfo.hostName, bootId: bootId)
    }
}

public enum SansangVersion {
    public static let current = "0.1.0"
}
