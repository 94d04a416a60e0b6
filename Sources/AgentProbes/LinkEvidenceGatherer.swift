import ReadinessModel

/// Gathers the speed evidence of every link of a profile, once. Used by `sansang-agent check` and, each
/// report interval, by the agent daemon.
public struct LinkEvidenceGatherer: Sendable {
    public struct Configuration: Sendable {
        /// The uplink interface, or `auto` for the interface of the default route.
        public var uplink: String
        public var nic: NICProbe.Configuration
        /// The upstream switch; nil when the office has not configured one.
        public var upstreamSwitch: SwitchConfiguration?

        public init(uplink: String = "auto", nic: NICProbe.Configuration = NICProbe.Configuration(),
                    upstreamSwitch: SwitchConfiguration? = nil) {
            self.uplink = uplink
            self.nic = nic
            self.upstreamSwitch = upstreamSwitch
        }
    }

    /// The evidence of one round: a report per link, and the checks the profile asks for that this agent
    /// does not run (as "kind:name"), so that they are shown as not configured rather than failing.
    public struct Evidence: Sendable {
        public var uplink: String
        public var links: [LinkReport]
        public var notConfigured: [String]
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public var nicProbe: NICProbe { NICProbe(configuration: configuration.nic) }

    public func gather(profile: Profile) async -> Evidence {
        let nic = nicProbe
        let uplink = (try? nic.resolve(configuration.uplink)) ?? configuration.uplink
        let probes: [any SpeedEvidenceProbe] = [nic]
        var notConfigured: [String] = []
        var links: [LinkReport] = []
        for link in profile.links {
            var readings: [SpeedReading] = []
            // The host's NIC and its switch port are evidence for the LAN only: the line to the province
            // sits behind a router.
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
        return Evidence(uplink: uplink, links: links, notConfigured: notConfigured)
    }
}
