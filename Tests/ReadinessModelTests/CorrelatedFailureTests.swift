import Foundation
import ReadinessModel
import Testing

/// Correlated failures explained once (docs/readiness.md): `DNS_UNAVAILABLE` and `WAN_DOWN` in place of one
/// reason per failed service. The urban profile's ping check is to an address (198.18.0.1): it needs no resolver.
@Suite struct CorrelatedFailureTests {
    /// Every check of `urban` that needs a name fails resolving it with `reason`, asking `resolver`.
    static func resolverDown(_ reason: String, resolver: String? = "198.18.0.2:53") -> @Sendable (inout Report) -> Void {
        { report in
            for name in ["dns-tinh", "dvc", "mail"] {
                report[service: name].ok = false
                report[service: name].reason = reason
                report[service: name].phases = ["resolve": 1.2]
                report[service: name].resolver = resolver
            }
        }
    }

    /// The line is down: nothing answers, and the wan test `minutesAgo` failed with `error`.
    static func lineDown(testError: String = "timeout: no answer from the server in 10 s",
                         minutesAgo: Double = 2) -> @Sendable (inout Report) -> Void {
        { report in
            resolverDown("dns_timeout")(&report)
            report[service: "ping-tinh"].ok = false
            report[service: "ping-tinh"].reason = "icmp_no_reply"
            report[service: "ping-tinh"].lossPercent = 100
            report[.wan].throughput = ThroughputMeasurement(
                server: "iperf.danang.gov.vn", measuredAt: Fleet.ago(minutesAgo * 60), mbps: [:], error: testError)
        }
    }

    static let cases: [VerdictCase] = [
        // The lab's `dns: down`: dnsmasq stopped, the resolver's host answers "port unreachable".
        VerdictCase("resolver port closed", .notReady, ["DNS_UNAVAILABLE not_ready"], resolverDown("dns_port_closed")),
        // getaddrinfo's EAI_AGAIN: no answer from the resolver in time.
        VerdictCase("resolver timeout", .notReady, ["DNS_UNAVAILABLE not_ready"], resolverDown("dns_timeout")),
        VerdictCase("resolver refuses (rcode REFUSED)", .notReady, ["DNS_UNAVAILABLE not_ready"], resolverDown("dns_refused")),
        VerdictCase("resolver SERVFAIL for every name", .notReady, ["DNS_UNAVAILABLE not_ready"], resolverDown("servfail")),
        VerdictCase("resolver failure, other reasons kept", .notReady, ["DNS_UNAVAILABLE not_ready", "CLOCK_SKEW degraded"]) {
            resolverDown("dns_port_closed")(&$0)
            $0.clock?.offsetMilliseconds = 3000
        },
        VerdictCase("a check to an address fails besides: its own reason", .notReady,
                    ["DNS_UNAVAILABLE not_ready", "SERVICE_DOWN:ping-tinh not_ready"]) {
            resolverDown("dns_timeout")(&$0)
            $0[service: "ping-tinh"].ok = false
            $0[service: "ping-tinh"].reason = "icmp_no_reply"
        },
        // The runner's backstop: stuck before the first phase ended, i.e. still resolving.
        VerdictCase("every check stuck resolving (runner timeout, no phase)", .notReady, ["DNS_UNAVAILABLE not_ready"]) {
            resolverDown("timeout")(&$0)
            for name in ["dns-tinh", "dvc", "mail"] { $0[service: name].phases = [:] }
        },
        VerdictCase("runner timeout after resolving is not a resolver failure", .notReady,
                    ["SERVICE_DOWN:dns-tinh not_ready", "SERVICE_DOWN:dvc not_ready", "SERVICE_DOWN:mail degraded"]) {
            resolverDown("timeout")(&$0)
            for name in ["dns-tinh", "dvc", "mail"] { $0[service: name].phases = ["resolve": 3, "connect": 9000] }
        },
        // NXDOMAIN is an answer: the resolver works, the name is wrong.
        VerdictCase("one name NXDOMAIN, the others time out", .notReady,
                    ["SERVICE_DOWN:dns-tinh not_ready", "SERVICE_DOWN:dvc not_ready", "SERVICE_DOWN:mail degraded"]) {
            resolverDown("dns_timeout")(&$0)
            $0[service: "dvc"].reason = "nxdomain"
        },
        VerdictCase("one name resolved: the office can resolve", .notReady, ["SERVICE_DOWN:dns-tinh not_ready", "SERVICE_DOWN:mail degraded"]) {
            resolverDown("dns_timeout")(&$0)
            $0[service: "dvc"] = ServiceResult(name: "dvc", kind: .https, ok: true, totalMilliseconds: 420, phases: ["resolve": 2],
                                               certificateDaysLeft: 200, checkedAt: Fleet.ago(40))
        },
        VerdictCase("a missing result stays NO_DATA", .notReady, ["DNS_UNAVAILABLE not_ready", "NO_DATA:dvc unknown"]) {
            resolverDown("dns_port_closed")(&$0)
            $0.services.removeAll { $0.name == "dvc" }
        },

        // WAN_DOWN
        VerdictCase("line down: every service and the wan test fail", .notReady, ["WAN_DOWN not_ready"], lineDown()),
        VerdictCase("line down, test broke mid-way", .notReady, ["WAN_DOWN not_ready"],
                    lineDown(testError: "reset_mid_test: connection reset by peer")),
        VerdictCase("line down, test unreachable", .notReady, ["WAN_DOWN not_ready"],
                    lineDown(testError: "unreachable: no route to host")),
        VerdictCase("failed test 3 report intervals old still counts", .notReady, ["WAN_DOWN not_ready"], lineDown(minutesAgo: 3.5)),
        VerdictCase("failed test older than the report window: no WAN_DOWN", .notReady,
                    ["DNS_UNAVAILABLE not_ready", "SERVICE_DOWN:ping-tinh not_ready", "NO_DATA:wan unknown"], lineDown(minutesAgo: 4)),
        VerdictCase("test refused (the server, not the line)", .notReady,
                    ["DNS_UNAVAILABLE not_ready", "SERVICE_DOWN:ping-tinh not_ready", "NO_DATA:wan unknown"],
                    lineDown(testError: "refused: connection refused")),
        VerdictCase("every service down but the wan test passed: no WAN_DOWN", .notReady,
                    ["DNS_UNAVAILABLE not_ready", "SERVICE_DOWN:ping-tinh not_ready"]) {
            lineDown()(&$0)
            $0[.wan].throughput = ThroughputMeasurement(server: "iperf.danang.gov.vn", measuredAt: Fleet.ago(120),
                                                        mbps: [.upload: 195.4, .download: 198.7])
        },
        VerdictCase("one service answers with an error: no WAN_DOWN", .notReady,
                    ["DNS_UNAVAILABLE not_ready", "SERVICE_DOWN:ping-tinh not_ready", "NO_DATA:wan unknown"]) {
            lineDown()(&$0)
            $0[service: "ping-tinh"].reason = "icmp_prohibited"
        },
        VerdictCase("line down with connect timeouts (resolver still answering)", .notReady, ["WAN_DOWN not_ready"]) {
            lineDown()(&$0)
            for name in ["dvc", "mail"] {
                $0[service: name].reason = "connect_timeout"
                $0[service: name].phases = ["resolve": 1, "connect": 10_000]
            }
            $0[service: "dns-tinh"] = ServiceResult(name: "dns-tinh", kind: .dns, ok: false, reason: "dns_timeout",
                                                    phases: ["resolve": 5000], checkedAt: Fleet.ago(40))
        },
    ]

    @Test(arguments: cases)
    func verdict(_ c: VerdictCase) throws {
        let verdict = try #require(Fleet.evaluate(Fleet.goodReport(c.change)))
        #expect(verdict.reasonLines == c.reasons)
        #expect(verdict.state == c.state)
    }

    @Test func dnsUnavailableEvidenceNamesResolverErrorAndChecks() throws {
        let verdict = try #require(Fleet.evaluate(Fleet.goodReport(Self.resolverDown("dns_port_closed"))))
        let reason = try #require(verdict.reasons.first)
        #expect(reason.code == .dnsUnavailable)
        #expect(reason.subject == nil)
        #expect(reason.evidence == "no name could be resolved: resolver 198.18.0.2:53, error dns_port_closed; 3 checks failed "
            + "resolving: dns-tinh (dns ns1.danang.gov.vn), dvc (https dichvucong.gov.vn), mail (https mail.danang.gov.vn)")
    }

    @Test func dnsUnavailableWithoutResolverInReport() throws {
        // Reports of agents before `resolver` existed.
        let verdict = try #require(Fleet.evaluate(Fleet.goodReport(Self.resolverDown("dns_timeout", resolver: nil))))
        #expect(verdict.reasons.map(\.code) == [.dnsUnavailable])
        #expect(verdict.reasons[0].evidence.hasPrefix("no name could be resolved: resolver system resolver, error dns_timeout;"))
    }

    @Test func wanDownEvidenceNamesTestAndServices() throws {
        let verdict = try #require(Fleet.evaluate(Fleet.goodReport(Self.lineDown())))
        let reason = try #require(verdict.reasons.first)
        #expect(reason.code == .wanDown)
        #expect(reason.evidence == "throughput test on wan against iperf.danang.gov.vn at 2025-07-07T07:58:00Z failed: "
            + "timeout: no answer from the server in 10 s; every service check failed with no answer: dns-tinh (dns_timeout), "
            + "dvc (dns_timeout), mail (dns_timeout), ping-tinh (icmp_no_reply)")
    }

    /// Which office-wide explanation applies when only some checks need a name, or only optional ones fail.
    @Test func onlyOptionalChecksNeedNames() throws {
        let profile = Profile(name: "p", links: [], services: [
            ServiceCheck(name: "mail", kind: .https, host: "mail.danang.gov.vn", required: false),
            ServiceCheck(name: "web", kind: .https, host: "danang.gov.vn", required: false),
            ServiceCheck(name: "ping", kind: .icmp, host: "198.18.0.1"),
        ])
        var report = Fleet.goodReport()
        report.links = []
        report.services = ["mail", "web"].map {
            ServiceResult(name: $0, kind: .https, ok: false, reason: "dns_timeout", phases: ["resolve": 1], checkedAt: Fleet.ago(40))
        } + [ServiceResult(name: "ping", kind: .icmp, ok: true, lossPercent: 0, checkedAt: Fleet.ago(40))]
        let verdict = try #require(Fleet.evaluate(report, profile: profile))
        #expect(verdict.reasonLines == ["DNS_UNAVAILABLE degraded"])
    }

    /// One https name failing with a resolver timeout may be that name's own servers: without a second name or
    /// a dns check it stays that service's reason. A lone dns check failing is the resolver itself.
    @Test(arguments: [
        (ServiceKind.https, "SERVICE_DOWN:dvc not_ready"),
        (ServiceKind.dns, "DNS_UNAVAILABLE not_ready"),
    ])
    func singleNameCheck(kind: ServiceKind, expected: String) throws {
        let profile = Profile(name: "p", links: [], services: [ServiceCheck(name: "dvc", kind: kind, host: "dichvucong.gov.vn")])
        var report = Fleet.goodReport()
        report.links = []
        report.services = [ServiceResult(name: "dvc", kind: kind, ok: false, reason: "dns_port_closed", phases: ["resolve": 1],
                                         checkedAt: Fleet.ago(40), resolver: "198.18.0.2:53")]
        let verdict = try #require(Fleet.evaluate(report, profile: profile))
        #expect(verdict.reasonLines == [expected])
    }

    @Test func rollUpCountsTheNewCodes() {
        let verdict = Fleet.evaluate(Fleet.goodReport(Self.resolverDown("dns_port_closed")))
        let tally = RollUp([SiteStatus(site: Fleet.haiChau, verdict: verdict)]).overall
        #expect(tally.count(.dnsUnavailable) == 1)
        #expect(tally.count(ReasonKey(code: .dnsUnavailable)) == 1)
        #expect(tally.count(.serviceDown) == 0)
    }

    @Test func reasonCodesRoundTrip() {
        #expect(ReasonKey("DNS_UNAVAILABLE") == ReasonKey(code: .dnsUnavailable))
        #expect(ReasonKey("WAN_DOWN") == ReasonKey(code: .wanDown))
    }
}
