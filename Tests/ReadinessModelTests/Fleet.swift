import Foundation
import ReadinessModel

/// A fixed "now" (Monday 7 July 2025, 15:00 in Đà Nẵng) and the sites, profile and reports tests start from.
enum Fleet {
    static let now = Date(timeIntervalSince1970: 1_751_875_200)  // 2025-07-07T08:00:00Z

    static func ago(_ seconds: TimeInterval) -> Date { now.addingTimeInterval(-seconds) }

    /// lan at 10 Gbit/s, wan at 200 Mbit/s both ways; two required services, one optional, a required ping.
    static let urban = Profile(
        name: "urban",
        links: [
            LinkTarget(role: .lan, targetMbps: 10_000),
            LinkTarget(role: .wan, targetMbps: 200),
        ],
        services: [
            ServiceCheck(name: "dns-tinh", kind: .dns, host: "ns1.danang.gov.vn"),
            ServiceCheck(name: "dvc", kind: .https, host: "dichvucong.gov.vn", path: "/p/home/dvc-trang-chu.html"),
            ServiceCheck(name: "mail", kind: .https, host: "mail.danang.gov.vn", required: false),
            ServiceCheck(name: "ping-tinh", kind: .icmp, host: "198.18.0.1"),
        ])

    static let haiChau = Site(
        code: "20242", name: "Phường Hải Châu", type: .phuong, province: "Đà Nẵng", formerDistrict: "Hải Châu",
        profile: "urban")

    static let hoangSa = Site(
        code: "20335", name: "Đặc khu Hoàng Sa", type: .dacKhu, province: "Đà Nẵng", formerDistrict: "Hoàng Sa",
        hasOffice: false, profile: "urban")

    /// A report on which every check of `urban` passes.
    static func goodReport(_ change: (inout Report) -> Void = { _ in }) -> Report {
        var report = Report(
            site: "20242", agent: AgentIdentity(version: "0.1.0", hostname: "ubnd-haichau", bootId: "6f1c2a9e"),
            seq: 42, generatedAt: ago(30), intervalSeconds: 60,
            links: [
                LinkReport(role: .lan, interface: "enp1s0", speed: [
                    SpeedReading(source: .nic, speedMbps: 10_000, facts: ["duplex": "full", "carrier": "up"]),
                    SpeedReading(source: .lldp, speedMbps: 10_000, facts: ["port": "Te1/0/24"]),
                    SpeedReading(source: .snmp, speedMbps: 10_000),
                ]),
                LinkReport(role: .wan, interface: "enp2s0", speed: [SpeedReading(source: .nic, speedMbps: 1000)],
                           throughput: ThroughputMeasurement(
                               server: "iperf.danang.gov.vn", measuredAt: ago(6 * 3600),
                               mbps: [.upload: 195.4, .download: 198.7])),
            ],
            services: [
                ServiceResult(name: "dns-tinh", kind: .dns, ok: true, totalMilliseconds: 8, checkedAt: ago(40)),
                ServiceResult(name: "dvc", kind: .https, ok: true, totalMilliseconds: 420, certificateDaysLeft: 200, checkedAt: ago(40)),
                ServiceResult(name: "mail", kind: .https, ok: true, totalMilliseconds: 180, certificateDaysLeft: 60, checkedAt: ago(40)),
                ServiceResult(name: "ping-tinh", kind: .icmp, ok: true, totalMilliseconds: 3, lossPercent: 0, checkedAt: ago(40)),
            ],
            clock: ClockReading(server: "ntp.danang.gov.vn", offsetMilliseconds: 12))
        change(&report)
        return report
    }

    static func evaluate(_ report: Report?, site: Site = haiChau, profile: Profile = urban) -> SiteVerdict? {
        ReadinessEvaluator().evaluate(site: site, profile: profile, latest: report, now: now)
    }
}

extension Report {
    /// The link report of `role`, to change in place (the good report has lan and wan).
    subscript(role: LinkRole) -> LinkReport {
        get { links.first { $0.role == role }! }
        set { links[links.firstIndex { $0.role == role }!] = newValue }
    }

    /// The result of service `name`, to change in place.
    subscript(service name: String) -> ServiceResult {
        get { services.first { $0.name == name }! }
        set { services[services.firstIndex { $0.name == name }!] = newValue }
    }
}

extension SiteVerdict {
    /// "CODE:subject impact" per reason, in verdict order: what tables compare against.
    var reasonLines: [String] { reasons.map { "\($0) \($0.impact.rawValue)" } }
}
