import Foundation
import ReadinessModel
import YAMLConfig

/// The lab as it will be built: every office with its addresses, line and expectation, the province's addresses,
/// and the e-government names with the lab address each resolves to. Pure: made from the lab file and the inventory.
public struct LabPlan: Sendable, Hashable {
    public struct Office: Sendable, Hashable {
        /// 0-based, in inventory order.
        public var index: Int
        public var site: Site
        /// 198.18.0.0/15 address of the office host, and of its switch's management interface.
        public var officeAddress: String
        public var switchAddress: String
        public var line: LabLine
        public var fault: LabFault?
        public var expect: LabExpectation
        /// Lab addresses this office cannot reach (service_down, dns: down).
        public var unreachable: [String]
    }

    /// The province namespace's addresses.
    public enum Province {
        public static let prefixLength = 15
        public static let collector = "198.18.0.1"
        public static let dns = "198.18.0.2"
        public static let ntp = "198.18.0.3"
        /// iperf3 servers: 198.18.0.4 onwards.
        public static func iperf(_ index: Int) -> String { "198.18.0.\(4 + index)" }
        /// E-government hosts: 198.18.0.40 onwards.
        public static func service(_ index: Int) -> String { "198.18.0.\(40 + index)" }
        /// The NOC link from the host into the province (a /30 of its own): host end and province end.
        public static let nocHost = "198.19.255.254"
        public static let nocProvince = "198.19.255.253"
        public static let collectorPort = 8470
        public static let iperfPort = 5201
    }

    public var offices: [Office]
    /// Every e-government host of the profile and its lab address, in profile order.
    public var hosts: [(name: String, address: String)]
    public var iperfServers: [String]
    /// The profile's service names and their hosts.
    public var serviceHosts: [String: String]
    public var lab: LabFile

    public static func == (a: LabPlan, b: LabPlan) -> Bool {
        a.offices == b.offices && a.hosts.map(\.name) == b.hosts.map(\.name) && a.hosts.map(\.address) == b.hosts.map(\.address)
            && a.iperfServers == b.iperfServers && a.lab == b.lab
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(offices) }

    /// Every office holds at most 250 × 250 sites: the third and fourth octet of 198.18/198.19.
    public static let maximumOffices = 250 * 250

    /// The plan for `lab` over the inventory's `sites` (in inventory order) and `profile` (the offices' profile).
    /// Unknown sites, sites without an office, unknown services and more offices than addresses are errors naming
    /// the lab file's line.
    public static func make(_ lab: LabFile, sites: [Site], profile: Profile, file: String) throws(ConfigErrors) -> LabPlan {
        var errors: [ConfigError] = []
        let byCode = Dictionary(sites.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        let serviceNames = profile.services.map(\.name)
        var seen: [String: SourceLocation] = [:]
        for fault in lab.faults {
            let at = fault.location
            if let earlier = seen[fault.site] {
                errors.append(ConfigError(.badValue, "site \(fault.site) already has a fault at line \(earlier.line): put every fault "
                                          + "of a site in one entry", at: at, field: "faults.site"))
            }
            seen[fault.site] = at
            guard let site = byCode[fault.site] else {
                errors.append(ConfigError(.badValue, "unknown site \"\(fault.site)\": not in the inventory", at: at, field: "faults.site"))
                continue
            }
            if !site.hasOffice {
                errors.append(ConfigError(.badValue, "site \(site.code) (\(site.name)) has no office: nothing to build there",
                                          at: at, field: "faults.site"))
            }
            if case .codes(let codes) = lab.sites, !codes.contains(fault.site) {
                errors.append(ConfigError(.badValue, "site \(fault.site) is not among the lab's sites", at: at, field: "faults.site"))
            }
            for name in fault.serviceDown + [fault.certService].compactMap({ $0 }) where !serviceNames.contains(name) {
                errors.append(ConfigError(.badValue, "unknown service \"\(name)\" in profile \(profile.name); one of "
                                          + serviceNames.joined(separator: ", "), at: at, field: "faults.service"))
            }
            if let name = fault.certService, let check = profile.services.first(where: { $0.name == name }),
               check.kind != .tls, check.kind != .https {
                errors.append(ConfigError(.badValue, "service \(name) is a \(check.kind.rawValue) check: it has no certificate",
                                          at: at, field: "faults.service"))
            }
        }
        var chosen: [Site]
        switch lab.sites {
        case .all:
            chosen = sites.filter(\.hasOffice)
        case .first(let count):
            let named = Set(lab.faults.map(\.site))
            let offices = sites.filter(\.hasOffice)
            let first = Set(offices.prefix(count).map(\.code))
            chosen = offices.filter { first.contains($0.code) || named.contains($0.code) }
        case .codes(let codes):
            for code in codes where byCode[code] == nil {
                errors.append(ConfigError(.badValue, "unknown site \"\(code)\": not in the inventory", at: .start(of: file), field: "sites"))
            }
            let wanted = Set(codes)
            chosen = sites.filter { wanted.contains($0.code) && $0.hasOffice }
        }
        if chosen.count > maximumOffices {
            errors.append(ConfigError(.outOfRange, "\(chosen.count) offices: the lab's address plan holds \(maximumOffices)",
                                      at: .start(of: file), field: "sites"))
        }
        guard errors.isEmpty else { throw ConfigErrors(errors.sorted { $0.location < $1.location }) }

        var hosts: [(name: String, address: String)] = []
        for check in profile.services where !hosts.contains(where: { $0.name == check.host }) {
            hosts.append((check.host, Province.service(hosts.count)))
        }
        let address = Dictionary(hosts.map { ($0.name, $0.address) }, uniquingKeysWith: { a, _ in a })
        let faults = Dictionary(lab.faults.map { ($0.site, $0) }, uniquingKeysWith: { a, _ in a })
        let offices = chosen.enumerated().map { index, site in
            var line = lab.defaults
            let fault = faults[site.code]
            var unreachable: [String] = []
            if let fault {
                if let value = fault.lanPortMbps { line.lanPortMbps = value }
                if let value = fault.nicMbps { line.nicMbps = value }
                if let value = fault.wanMbps { line.wanMbps = value }
                if let value = fault.wanDelayMilliseconds { line.wanDelayMilliseconds = value }
                if let value = fault.wanLossPercent { line.wanLossPercent = value }
                for name in fault.serviceDown {
                    if let host = profile.services.first(where: { $0.name == name })?.host, let ip = address[host], !unreachable.contains(ip) {
                        unreachable.append(ip)
                    }
                }
                if fault.dnsDown { unreachable.append(Province.dns) }
            }
            let octets = "\(1 + index / 250).\(1 + index % 250)"
            return Office(index: index, site: site, officeAddress: "198.18.\(octets)", switchAddress: "198.19.\(octets)",
                          line: line, fault: fault, expect: fault?.expect ?? .ready, unreachable: unreachable)
        }
        return LabPlan(offices: offices, hosts: hosts, iperfServers: (0..<lab.throughput.servers).map { Province.iperf($0) },
                       serviceHosts: Dictionary(profile.services.map { ($0.name, $0.host) }, uniquingKeysWith: { a, _ in a }), lab: lab)
    }

    /// The plan as tab-separated lines for the shell that builds the lab (scripts/lab.sh reads them):
    /// `office INDEX CODE OFFICE_IP SWITCH_IP LAN_PORT_MBPS WAN_MBPS DELAY_MS LOSS_PCT AGENT CLOCK_SKEW_S CERT_DAYS CERT_HOST UNREACHABLE`
    /// (AGENT is run|stopped; "-" for none; UNREACHABLE comma-separated), `host NAME ADDRESS`, `iperf ADDRESS`,
    /// `switch_model TEXT`, `settings REPORT_INTERVAL_S SERVICE_INTERVAL_S THROUGHPUT_POLL_S`.
    public func tsv() -> String {
        var lines: [String] = []
        for office in offices {
            let fault = office.fault
            let certHost = fault?.certService.flatMap { serviceHosts[$0] } ?? "-"
            lines.append([
                "office", "\(office.index)", office.site.code, office.officeAddress, office.switchAddress,
                "\(office.line.lanPortMbps)", "\(office.line.wanMbps)", Self.number(office.line.wanDelayMilliseconds),
                Self.number(office.line.wanLossPercent), fault?.agentStopped == true ? "stopped" : "run",
                fault?.clockSkewSeconds.map { "\($0)" } ?? "-", fault?.certDaysLeft.map { "\($0)" } ?? "-", certHost,
                office.unreachable.isEmpty ? "-" : office.unreachable.joined(separator: ","),
            ].joined(separator: "\t"))
        }
        lines += hosts.map { "host\t\($0.name)\t\($0.address)" }
        lines += iperfServers.map { "iperf\t\($0)" }
        lines.append("switch_model\t\(lab.defaults.switchModel)")
        lines.append("settings\t\(lab.reportIntervalSeconds)\t\(lab.serviceIntervalSeconds)\t\(lab.throughput.pollSeconds)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The expectations of every office, keyed by site code.
    public var expectations: [String: LabExpectation] {
        Dictionary(offices.map { ($0.site.code, $0.expect) }, uniquingKeysWith: { a, _ in a })
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
