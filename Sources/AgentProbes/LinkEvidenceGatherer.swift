import Foundation
import PacketCapture
import ReadinessModel
import SystemSupport

/// Gathers the speed evidence of every link of a profile, once. Used by `sansang-agent check` and, each
/// report interval, by the agent daemon.
///
/// For the LAN the sources run concurrently, each under its own deadline: the NIC (sysfs), the LLDP neighbour
/// (a capture on the uplink for up to `lldp.wait`), the switch port over SNMP (which uses the LLDP neighbour to
/// find its port when no name is configured), and, when configured, the passive traffic meter. A slow or
/// silent switch gives an unknown SNMP reading at its deadline and never delays the other readings.
public struct LinkEvidenceGatherer: Sendable {
    public struct Configuration: Sendable {
        /// The uplink interface, or `auto` for the interface of the default route.
        public var uplink: String
        public var nic: NICProbe.Configuration
        /// The upstream switch; nil when the office has not configured one.
        public var upstreamSwitch: SwitchConfiguration?
        /// How long to listen for an LLDP neighbour; zero turns the LLDP source off.
        public var lldp: LLDPProbe.Configuration
        /// Time between the two counter polls of the switch port (utilisation); zero skips it.
        public var switchUtilisationInterval: Duration
        /// The most any one source may take (the SNMP source especially) before it is reported unknown.
        public var sourceTimeout: Duration
        /// The passive traffic meter on the uplink; nil turns it off.
        public var traffic: TrafficMeter.Configuration?

        public init(uplink: String = "auto", nic: NICProbe.Configuration = NICProbe.Configuration(),
                    upstreamSwitch: SwitchConfiguration? = nil, lldp: LLDPProbe.Configuration = LLDPProbe.Configuration(),
                    switchUtilisationInterval: Duration = .seconds(2), sourceTimeout: Duration = .seconds(20),
                    traffic: TrafficMeter.Configuration? = nil) {
            self.uplink = uplink
            self.nic = nic
            self.upstreamSwitch = upstreamSwitch
            self.lldp = lldp
            self.switchUtilisationInterval = switchUtilisationInterval
            self.sourceTimeout = sourceTimeout
            self.traffic = traffic
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
        var notConfigured: [String] = []
        var links: [LinkReport] = []
        for link in profile.links {
            // The host's NIC and its switch port are evidence for the LAN only: the line to the province
            // sits behind a router.
            if link.role == .lan {
                links.append(await lanEvidence(uplink: uplink))
            } else {
                notConfigured.append("throughput:\(link.role.rawValue)")
                links.append(LinkReport(role: link.role))
            }
        }
        notConfigured += profile.services.map { "service:\($0.name)" }
        return Evidence(uplink: uplink, links: links, notConfigured: notConfigured)
    }

    /// The LAN's readings from every source, gathered concurrently.
    public func lanEvidence(uplink: String) async -> LinkReport {
        let configuration = self.configuration
        let nic = nicProbe
        let limit = configuration.sourceTimeout
        let lldpOn = configuration.lldp.wait > .zero

        let lldp = Task { () -> Result<LLDPNeighbour?, CaptureError>? in
            guard lldpOn else { return nil }
            return await withDeadline(configuration.lldp.wait + .seconds(2)) {
                do throws(CaptureError) {
                    return .success(try await LLDPProbe(configuration: configuration.lldp).neighbour(interface: uplink))
                } catch {
                    return .failure(error)
                }
            } ?? .success(nil)
        }
        async let nicReading = withDeadline(limit) { await nic.reading(interface: uplink) }
        async let switchReading: SpeedReading? = Self.switchReading(configuration, uplink: uplink, nic: nic) {
            if case .success(let neighbour)? = await lldp.value { return neighbour }
            return nil
        }
        async let traffic: TrafficSummary? = Self.traffic(configuration, uplink: uplink, nic: nic)

        let lldpReading: SpeedReading = switch await lldp.value {
        case nil: .unknown(.lldp, error: "not configured")
        case .failure(let error): .unknown(.lldp, error: "\(error)")
        case .success(let neighbour?): neighbour.reading
        case .success(nil): .unknown(.lldp, error: "no LLDP frame within \(LLDPProbe.seconds(configuration.lldp.wait)) s on \(uplink)")
        }
        let readings = [
            await nicReading ?? .unknown(.nic, error: "no answer within \(LLDPProbe.seconds(limit)) s"),
            lldpReading,
            await switchReading ?? .unknown(.snmp, error: "not configured"),
        ]
        return LinkReport(role: .lan, interface: uplink, speed: readings, traffic: await traffic)
    }

    private static func switchReading(_ configuration: Configuration, uplink: String, nic: NICProbe,
                                      neighbour: @escaping @Sendable () async -> LLDPNeighbour?) async -> SpeedReading? {
        guard let upstream = configuration.upstreamSwitch else { return nil }
        let probe = SwitchPortProbe(configuration: .init(upstreamSwitch: upstream, utilisationInterval: configuration.switchUtilisationInterval))
        let host = SwitchPortProbe.host(interface: uplink, nic: nic)
        let limit = configuration.sourceTimeout
        return await withDeadline(limit) { await probe.reading(host: host, neighbour: neighbour) }
            ?? .unknown(.snmp, error: "\(upstream.snmp.peer): no complete answer within \(LLDPProbe.seconds(limit)) s (per-source timeout)",
                        facts: ["switch": upstream.snmp.peer])
    }

    private static func traffic(_ configuration: Configuration, uplink: String, nic: NICProbe) async -> TrafficSummary? {
        guard let meter = configuration.traffic else { return nil }
        let seconds = Int((meter.window / .seconds(1)).rounded(.up))
        return await withDeadline(meter.window + .seconds(3)) {
            do throws(TrafficMeterError) {
                return try await TrafficMeter(configuration: meter).measure(interface: uplink, nic: nic)
            } catch {
                return TrafficSummary(interface: uplink, windowSeconds: seconds, rx: nil, tx: nil, error: error.message)
            }
        } ?? TrafficSummary(interface: uplink, windowSeconds: seconds, rx: nil, tx: nil, error: "the traffic meter did not finish in time")
    }
}
