import Foundation
import LabModel
import ReadinessModel
import Testing
import YAMLConfig

/// A small inventory: three offices (one with a lower WAN target), one unit without an office.
private let sites = [
    Site(code: "20242", name: "Phường Hải Châu", type: .phuong, province: "Đà Nẵng", formerDistrict: "Hải Châu"),
    Site(code: "20257", name: "Phường Hòa Cường", type: .phuong, province: "Đà Nẵng", formerDistrict: "Hải Châu"),
    Site(code: "20209", name: "Phường Thanh Khê", type: .phuong, province: "Đà Nẵng", formerDistrict: "Thanh Khê"),
    Site(code: "20333", name: "Đặc khu Hoàng Sa", type: .dacKhu, province: "Đà Nẵng", formerDistrict: "Hoàng Sa", hasOffice: false),
]

private let profile = Profile(
    name: "default", description: "",
    links: [LinkTarget(role: .lan, targetMbps: 10_000), LinkTarget(role: .wan, targetMbps: 200)],
    services: [
        ServiceCheck(name: "vneid", kind: .https, host: "vneid.gov.vn", port: 443, path: "/"),
        ServiceCheck(name: "gov-ca-certs", kind: .http, host: "ca.gov.vn", port: 80, path: "/"),
        ServiceCheck(name: "gov-ca-tsa", kind: .tcp, host: "ca.gov.vn", port: 80),
        ServiceCheck(name: "ntp-vn-pool", kind: .ntp, host: "vn.pool.ntp.org", port: 123),
    ])

private func parse(_ text: String) throws(ConfigErrors) -> LabFile { try LabFileParser.parse(text, file: "lab.yaml") }

private func errors(_ text: String) -> [String] {
    do {
        let lab = try parse(text)
        _ = try LabPlan.make(lab, sites: sites, profile: profile, file: "lab.yaml")
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

@Suite struct LabFileTests {
    @Test func emptyFileMeansEveryOfficeWithTheDefaults() throws {
        let lab = try parse("sites: all\n")
        let plan = try LabPlan.make(lab, sites: sites, profile: profile, file: "lab.yaml")
        #expect(plan.offices.map(\.site.code) == ["20242", "20257", "20209"], "the unit without an office is not built")
        #expect(plan.offices.allSatisfy { $0.expect == .ready && $0.line == LabLine() })
    }

    @Test func everyFaultKindIsRead() throws {
        let lab = try parse("""
            faults:
              - site: "20242"
                lan_port_mbps: 1000
                nic_mbps: 10000
                wan_mbps: 50
                wan_delay_ms: 20
                wan_loss_pct: 2.5
                service_down: [vneid, gov-ca-tsa]
                dns: down
                cert_days_left: 7
                service: vneid
                clock_skew_s: -600
                expect: {verdict: not_ready, reasons: [THROUGHPUT_LOW:wan, DNS_UNAVAILABLE, CERT_EXPIRING:vneid]}
              - site: "20257"
                agent: stopped
                expect: {verdict: unknown, reasons: [NO_DATA]}
            """)
        let fault = try #require(lab.faults.first)
        #expect(fault.kinds == ["lan_port_mbps", "nic_mbps", "wan_mbps", "wan_delay_ms", "wan_loss_pct", "service_down", "dns",
                                "cert_days_left", "clock_skew_s"])
        #expect(fault.serviceDown == ["vneid", "gov-ca-tsa"] && fault.certService == "vneid" && fault.clockSkewSeconds == -600)
        #expect(fault.location.line == 2)
        #expect(fault.expect == LabExpectation(verdict: .notReady, reasons: ["CERT_EXPIRING:vneid", "DNS_UNAVAILABLE", "THROUGHPUT_LOW:wan"]))
        #expect(lab.faults.last?.agentStopped == true)
    }

    @Test func unknownSiteIsNamedWithItsLine() {
        let found = errors("""
            sites: all
            faults:
              - site: "99999"
                wan_mbps: 50
                expect: {verdict: not_ready, reasons: [THROUGHPUT_LOW:wan]}
            """)
        #expect(found == ["lab.yaml:3:11: faults.site: unknown site \"99999\": not in the inventory"])
    }

    @Test func unknownFaultKindIsNamedWithASuggestion() {
        let found = errors("""
            faults:
              - site: "20242"
                wan_mpbs: 50
                expect: {verdict: not_ready, reasons: [THROUGHPUT_LOW:wan]}
            """)
        #expect(found.count == 2, "\(found)")
        #expect(found.first?.hasPrefix("lab.yaml:2:5: faults[0]: a fault sets at least one of lan_port_mbps") == true, "\(found)")
        #expect(found.last == "lab.yaml:3:5: faults[0].wan_mpbs: unknown key \"wan_mpbs\" (did you mean \"wan_mbps\"?)", "\(found)")
    }

    @Test func contradictionsAreErrors() {
        // A stopped agent measures nothing; a site in two entries; a ready site with reasons; a NIC the lab cannot build.
        #expect(errors("""
            faults:
              - site: "20242"
                agent: stopped
                wan_mbps: 50
                expect: {verdict: unknown, reasons: [NO_DATA]}
            """).first?.contains("agent: stopped contradicts wan_mbps") == true)
        #expect(errors("""
            faults:
              - site: "20242"
                wan_mbps: 50
                expect: {verdict: not_ready, reasons: [THROUGHPUT_LOW:wan]}
              - site: "20242"
                dns: down
                expect: {verdict: not_ready, reasons: [DNS_UNAVAILABLE]}
            """) == ["lab.yaml:5:11: faults.site: site 20242 already has a fault at line 2: put every fault of a site in one entry"])
        #expect(errors("""
            faults:
              - site: "20242"
                wan_mbps: 50
                expect: {verdict: ready, reasons: [THROUGHPUT_LOW:wan]}
            """).first?.contains("a ready site has no reasons") == true)
        #expect(errors("""
            faults:
              - site: "20242"
                nic_mbps: 1000
                expect: {verdict: not_ready, reasons: [LINK_BELOW_TARGET:lan]}
            """).first?.contains("veths, which always report 10000") == true)
    }

    @Test func unknownServiceReasonAndSiteWithoutOfficeAreErrors() {
        let found = errors("""
            faults:
              - site: "20333"
                service_down: vneidd
                expect: {verdict: not_ready, reasons: [SERVICE_GONE:vneid]}
            """)
        #expect(found.count == 1 && found[0].contains("\"SERVICE_GONE\" is not a reason code"), "\(found)")
        let second = errors("""
            faults:
              - site: "20333"
                service_down: vneidd
                expect: {verdict: not_ready, reasons: [SERVICE_DOWN:vneid]}
            """)
        #expect(second.contains { $0.contains("has no office") } && second.contains { $0.contains("unknown service \"vneidd\"") }, "\(second)")
    }
}

@Suite struct LabPlanTests {
    @Test func addressesComeFrom198Dot18Slash15AndFaultsShapeTheirOffice() throws {
        let lab = try parse("""
            sites: {first: 1}
            defaults: {wan_mbps: 300}
            faults:
              - site: "20209"
                wan_mbps: 50
                service_down: gov-ca-tsa
                dns: down
                expect: {verdict: not_ready, reasons: [DNS_UNAVAILABLE, THROUGHPUT_LOW:wan]}
            """)
        let plan = try LabPlan.make(lab, sites: sites, profile: profile, file: "lab.yaml")
        // {first: 1} keeps the first office and every office named by a fault.
        #expect(plan.offices.map(\.site.code) == ["20242", "20209"])
        #expect(plan.offices.map(\.officeAddress) == ["198.18.1.1", "198.18.1.2"])
        #expect(plan.offices.map(\.switchAddress) == ["198.19.1.1", "198.19.1.2"])
        #expect(plan.offices.map(\.line.wanMbps) == [300, 50])
        // ca.gov.vn serves two checks from one address: cutting it cuts both.
        #expect(plan.hosts.map(\.name) == ["vneid.gov.vn", "ca.gov.vn", "vn.pool.ntp.org"])
        #expect(plan.offices[1].unreachable == ["198.18.0.41", LabPlan.Province.dns])
        let lines = plan.tsv().split(separator: "\n")
        #expect(lines[1] == "office\t1\t20209\t198.18.1.2\t198.19.1.2\t10000\t50\t0\t0\trun\t-\t-\t-\t198.18.0.41,198.18.0.2")
        #expect(lines.contains("host\tvneid.gov.vn\t198.18.0.40") && lines.contains("iperf\t198.18.0.9"))
        #expect(lines.last == "settings\t30\t120\t15")
        #expect(plan.expectations["20242"] == .ready)
    }

    @Test func theLabInventoryKeepsTheServicesAndTakesTheLabWindow() throws {
        let lab = try parse("sites: {first: 1}\nthroughput: {servers: 2, duration_s: 4}\n")
        let plan = try LabPlan.make(lab, sites: sites, profile: profile, file: "lab.yaml")
        let profiles = try LabInventory.rewrite("""
            profiles:
              - name: default
                services: [{name: vneid, kind: https, host: vneid.gov.vn}]
                throughput: {servers: {wan: ["iperf.tinh.example:5201"]}, window_start: "22:00"}
            """, file: "profiles.yaml", plan: plan)
        #expect(profiles.contains("host: vneid.gov.vn"))
        #expect(!profiles.contains("iperf.tinh.example") && !profiles.contains("22:00"))
        #expect(profiles.contains("- 198.18.0.4:5201\n") && profiles.contains("- 198.18.0.5:5201\n") && profiles.contains("duration_s: 4"))
        let sitesFile = try LabInventory.rewrite("""
            province: Đà Nẵng
            sites:
              - {code: "20242", name: Phường Hải Châu}
              - {code: "20257", name: Phường Hòa Cường}
              - {code: "20333", name: Đặc khu Hoàng Sa, has_office: false}
            """, file: "danang.yaml", plan: plan)
        #expect(sitesFile.contains("20242") && !sitesFile.contains("20257") && sitesFile.contains("Hoàng Sa"))
    }

    @Test func theCheckNamesEverySiteThatDiffers() throws {
        let lab = try parse("""
            faults:
              - site: "20257"
                lan_port_mbps: 1000
                expect: {verdict: not_ready, reasons: [LINK_BELOW_TARGET:lan, SPEED_MISMATCH:lan]}
            """)
        let plan = try LabPlan.make(lab, sites: sites, profile: profile, file: "lab.yaml")
        func seen(_ code: String, _ state: VerdictState, _ reasons: [String]) -> LabObservation {
            LabObservation(code: code, name: code, formerDistrict: "", state: state, reasons: reasons)
        }
        let good = [seen("20242", .ready, []), seen("20257", .notReady, ["SPEED_MISMATCH:lan", "LINK_BELOW_TARGET:lan"]),
                    seen("20209", .ready, [])]
        #expect(LabCheck(plan: plan, observations: good).passed)
        let bad = LabCheck(plan: plan, observations: [seen("20242", .notReady, ["THROUGHPUT_LOW:wan"]),
                                                      seen("20257", .notReady, ["LINK_BELOW_TARGET:lan"])])
        #expect(bad.lines() == [
            "20242 20242: expected ready [], got not_ready [THROUGHPUT_LOW:wan]",
            "20257 20257: expected not_ready [LINK_BELOW_TARGET:lan, SPEED_MISMATCH:lan], got not_ready [LINK_BELOW_TARGET:lan]",
            "20209: expected ready [], the collector does not list the site",
        ])
    }
}
