import AgentProbes
import Foundation
import ReadinessModel
import ServiceChecks

/// `sansang-agent check`: every check once, one report, one verdict — for a field technician on the spot.
public struct FieldCheck: Sendable {
    public struct Configuration: Sendable {
        /// The site this host belongs to; a placeholder site when checking a host not yet in the inventory.
        public var site: Site
        public var profile: Profile
        public var evidence: LinkEvidenceGatherer.Configuration
        /// Run the profile's service checks (false: list them as not run).
        public var runServices: Bool
        /// Limit for each service check, and how many run at once.
        public var serviceTimeout: Duration
        public var serviceConcurrency: Int

        public init(
            site: Site = Site(code: "00000", name: "this host", type: .xa),
            profile: Profile = FieldCheck.builtInProfile,
            evidence: LinkEvidenceGatherer.Configuration = LinkEvidenceGatherer.Configuration(),
            runServices: Bool = true, serviceTimeout: Duration = .seconds(10), serviceConcurrency: Int = 16
        ) {
            self.site = site
            self.profile = profile
            self.evidence = evidence
            self.runServices = runServices
            self.serviceTimeout = serviceTimeout
            self.serviceConcurrency = serviceConcurrency
        }
    }

    /// Used when no inventory is given: the LAN at 10 Gbit/s and nothing else to check.
    public static let builtInProfile = Profile(
        name: "built-in", description: "LAN at 10 Gbit/s; no line or service checks",
        links: [LinkTarget(role: .lan, targetMbps: 10_000)])

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func run(now: Date = Date()) async -> FieldCheckResult {
        let gatherer = LinkEvidenceGatherer(configuration: configuration.evidence)
        let profile = configuration.profile.applying(configuration.site.overrides)
        // Links and services at the same time: a slow service never holds up the link evidence, nor the reverse.
        let targets = configuration.runServices
            ? profile.services.map { ServiceTarget(check: $0, timeout: configuration.serviceTimeout) } : []
        async let gathered = gatherer.gather(profile: profile)
        async let checked = ServiceRunner(maxInFlight: configuration.serviceConcurrency).run(targets)
        let (evidence, services) = await (gathered, checked)
        let report = Report(
            site: configuration.site.code, agent: AgentIdentity.current(), seq: 0, generatedAt: now,
            links: evidence.links, services: services.map(\.result), clock: services.lazy.compactMap(\.clock).first)
        let verdict = ReadinessEvaluator().evaluate(
            site: configuration.site, profile: configuration.profile, latest: report, now: now)
        let nic = gatherer.nicProbe
        let interfaces = ((try? nic.interfaces()) ?? []).compactMap { try? nic.evidence(interface: $0) }
        return FieldCheckResult(
            site: configuration.site, profile: profile, uplink: evidence.uplink, report: report, verdict: verdict,
            interfaces: interfaces, services: services,
            notConfigured: configuration.runServices ? evidence.notConfigured.filter { !$0.hasPrefix("service:") } : evidence.notConfigured)
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
    /// Every service check with its facts (the report carries the results only).
    public var services: [ServiceOutcome]
    /// Checks the profile asks for that this agent did not run, as "kind:name".
    public var notConfigured: [String]

    enum CodingKeys: String, CodingKey {
        case site, profile, uplink, report, verdict, interfaces, services
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
