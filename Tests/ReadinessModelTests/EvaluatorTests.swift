import Foundation
import ReadinessModel
import Testing

/// One change to the good report and the verdict it must give.
struct VerdictCase: Sendable, CustomTestStringConvertible {
    let name: String
    let change: @Sendable (inout Report) -> Void
    let state: VerdictState
    /// "CODE:subject impact", in verdict order.
    let reasons: [String]

    init(_ name: String, _ state: VerdictState, _ reasons: [String], _ change: @escaping @Sendable (inout Report) -> Void) {
        self.name = name
        self.change = change
        self.state = state
        self.reasons = reasons
    }

    var testDescription: String { name }
}

@Suite struct EvaluatorTests {
    static let cases: [VerdictCase] = [
        VerdictCase("everything fine", .ready, []) { _ in },

        // lan: speed evidence
        VerdictCase("one source unknown, the others known", .ready, []) {
            $0[.lan].speed[1] = .unknown(.lldp, error: "no LLDP frame in 60 s")
        },
        VerdictCase("only one source known", .ready, []) {
            $0[.lan].speed = [.unknown(.nic, error: "ethtool: EPERM"), .unknown(.lldp, error: "no LLDP frame in 60 s"),
                              SpeedReading(source: .snmp, speedMbps: 10_000)]
        },
        VerdictCase("nic 10000 vs snmp 1000", .notReady, ["LINK_BELOW_TARGET:lan not_ready", "SPEED_MISMATCH:lan degraded"]) {
            $0[.lan].speed = [SpeedReading(source: .nic, speedMbps: 10_000), SpeedReading(source: .snmp, speedMbps: 1000)]
        },
        VerdictCase("nic 10000 vs snmp 9900 agree, 9900 within 5 % of target", .ready, []) {
            $0[.lan].speed = [SpeedReading(source: .nic, speedMbps: 10_000), SpeedReading(source: .snmp, speedMbps: 9900)]
        },
        VerdictCase("10GBASE-W 9953 agrees with 10000", .ready, []) {
            $0[.lan].speed[2].speedMbps = 9953
        },
        VerdictCase("nic 2500 vs snmp 1000 differ by rate", .notReady, ["LINK_BELOW_TARGET:lan not_ready", "SPEED_MISMATCH:lan degraded"]) {
            $0[.lan].speed = [SpeedReading(source: .nic, speedMbps: 2500), SpeedReading(source: .snmp, speedMbps: 1000)]
        },
        VerdictCase("all sources agree at 1000", .notReady, ["LINK_BELOW_TARGET:lan not_ready"]) {
            for i in $0[.lan].speed.indices { $0[.lan].speed[i].speedMbps = 1000 }
        },
        VerdictCase("all sources at 25000, above target", .ready, []) {
            for i in $0[.lan].speed.indices { $0[.lan].speed[i].speedMbps = 25_000 }
        },
        VerdictCase("all sources unknown", .unknown, ["NO_DATA:lan unknown"]) {
            $0[.lan].speed = SpeedSource.allCases.map { .unknown($0, error: "timeout") }
        },
        VerdictCase("lan reported with no sources", .unknown, ["NO_DATA:lan unknown"]) { $0[.lan].speed = [] },
        VerdictCase("no lan link report", .unknown, ["NO_DATA:lan unknown"]) { $0.links.removeAll { $0.role == .lan } },

        // wan: throughput, and speed readings when known
        VerdictCase("wan NIC at 100 below 200", .notReady, ["LINK_BELOW_TARGET:wan not_ready"]) {
            $0[.wan].speed[0].speedMbps = 100
        },
        VerdictCase("wan without speed readings is fine", .ready, []) { $0[.wan].speed = [] },
        VerdictCase("wan speed reading unknown is fine", .ready, []) { $0[.wan].speed = [.unknown(.nic, error: "no carrier")] },
        VerdictCase("no wan link report", .unknown, ["NO_DATA:wan unknown"]) { $0.links.removeAll { $0.role == .wan } },
        VerdictCase("no throughput measurement", .unknown, ["NO_DATA:wan unknown"]) { $0[.wan].throughput = nil },
        VerdictCase("throughput test failed", .unknown, ["NO_DATA:wan unknown"]) {
            $0[.wan].throughput?.error = "server busy"
        },
        VerdictCase("measurement 49 h old, expired", .unknown, ["NO_DATA:wan unknown"]) {
            $0[.wan].throughput?.measuredAt = Fleet.ago(49 * 3600)
        },
        VerdictCase("measurement exactly 48 h old, still counts", .ready, []) {
            $0[.wan].throughput?.measuredAt = Fleet.ago(48 * 3600)
        },
        VerdictCase("download missing", .unknown, ["NO_DATA:wan unknown"]) { $0[.wan].throughput?.mbps[.download] = nil },
        VerdictCase("upload below 90 %", .notReady, ["THROUGHPUT_LOW:wan not_ready"]) { $0[.wan].throughput?.mbps[.upload] = 150 },
        VerdictCase("upload exactly at 90 %", .ready, []) { $0[.wan].throughput?.mbps[.upload] = 180 },
        VerdictCase("download missing and upload low", .notReady, ["THROUGHPUT_LOW:wan not_ready", "NO_DATA:wan unknown"]) {
            $0[.wan].throughput?.mbps = [.upload: 150]
        },

        // services
        VerdictCase("required service result missing", .unknown, ["NO_DATA:dvc unknown"]) { $0.services.removeAll { $0.name == "dvc" } },
        VerdictCase("optional service result missing", .degraded, ["NO_DATA:mail degraded"]) { $0.services.removeAll { $0.name == "mail" } },
        VerdictCase("required service down", .notReady, ["SERVICE_DOWN:dvc not_ready"]) {
            $0[service: "dvc"].ok = false
            $0[service: "dvc"].reason = "connect_refused"
        },
        VerdictCase("optional service down", .degraded, ["SERVICE_DOWN:mail degraded"]) { $0[service: "mail"].ok = false },
        VerdictCase("service slow", .degraded, ["SERVICE_SLOW:dvc degraded"]) { $0[service: "dvc"].totalMilliseconds = 2500 },
        VerdictCase("service exactly at slow limit", .ready, []) { $0[service: "dvc"].totalMilliseconds = 2000 },
        VerdictCase("certificate expiring", .degraded, ["CERT_EXPIRING:mail degraded"]) { $0[service: "mail"].certificateDaysLeft = 5 },
        VerdictCase("certificate exactly at minimum days", .ready, []) { $0[service: "mail"].certificateDaysLeft = 14 },
        VerdictCase("ping loss above limit", .notReady, ["SERVICE_DOWN:ping-tinh not_ready"]) { $0[service: "ping-tinh"].lossPercent = 35 },
        VerdictCase("ping loss exactly at limit", .ready, []) { $0[service: "ping-tinh"].lossPercent = 20 },
        VerdictCase("service not in the profile is ignored", .ready, []) {
            $0.services.append(ServiceResult(name: "other", kind: .tcp, ok: false, checkedAt: Fleet.now))
        },

        // clock
        VerdictCase("host clock behind", .degraded, ["CLOCK_SKEW degraded"]) { $0.clock?.offsetMilliseconds = -1500 },
        VerdictCase("host clock ahead", .degraded, ["CLOCK_SKEW degraded"]) { $0.clock?.offsetMilliseconds = 1500 },
        VerdictCase("host clock within limit", .ready, []) { $0.clock?.offsetMilliseconds = -999 },
        VerdictCase("report from the future", .degraded, ["CLOCK_SKEW degraded"]) { $0.generatedAt = Fleet.now.addingTimeInterval(5) },
        VerdictCase("report slightly ahead within limit", .ready, []) { $0.generatedAt = Fleet.now.addingTimeInterval(0.5) },
        VerdictCase("no clock reading", .ready, []) { $0.clock = nil },

        // several at once: worst impact first, then code, then subject
        VerdictCase("ordering", .notReady, [
            "SERVICE_DOWN:dvc not_ready", "NO_DATA:wan unknown", "CLOCK_SKEW degraded", "SERVICE_SLOW:dns-tinh degraded",
            "SERVICE_SLOW:mail degraded",
        ]) {
            $0[service: "mail"].totalMilliseconds = 5000
            $0[service: "dns-tinh"].totalMilliseconds = 5000
            $0[service: "dvc"].ok = false
            $0[.wan].throughput = nil
            $0.clock?.offsetMilliseconds = 3000
        },
    ]

    @Test(arguments: cases)
    func verdict(_ c: VerdictCase) throws {
        let report = Fleet.goodReport(c.change)
        let verdict = try #require(Fleet.evaluate(report))
        #expect(verdict.reasonLines == c.reasons)
        #expect(verdict.state == c.state)
        #expect(verdict.site == "20242")
        #expect(verdict.evaluatedAt == Fleet.now)
        #expect(verdict.reportGeneratedAt == report.generatedAt)
    }

    @Test func noReport() async throws {
        let verdict = try #require(Fleet.evaluate(nil))
        #expect(verdict.state == .unknown)
        #expect(verdict.reasons == [Reason(code: .noData, impact: .unknown, evidence: "no report received from the agent")])
        #expect(verdict.reasonStrings == ["NO_DATA"])
        #expect(verdict.reportGeneratedAt == nil)
    }

    @Test func noOffice() {
        #expect(Fleet.evaluate(Fleet.goodReport(), site: Fleet.hoangSa) == nil)
        #expect(Fleet.evaluate(nil, site: Fleet.hoangSa) == nil)
    }

    @Test(arguments: [
        (180.0, VerdictState.ready, [String]()),
        (180.001, .unknown, ["STALE unknown"]),
        (3 * 3600.0, .unknown, ["STALE unknown"]),
    ])
    func staleBoundary(age: TimeInterval, state: VerdictState, reasons: [String]) throws {
        let report = Fleet.goodReport { $0.generatedAt = Fleet.ago(age) }
        let verdict = try #require(Fleet.evaluate(report))
        #expect(verdict.state == state)
        #expect(verdict.reasonLines == reasons)
    }

    @Test func staleStopsEvaluation() async throws {
        let report = Fleet.goodReport {
            $0.generatedAt = Fleet.ago(3 * 3600 + 5 * 60)
            $0.intervalSeconds = 300
            $0[service: "dvc"].ok = false
            $0.links = []
        }
        let verdict = try #require(Fleet.evaluate(report))
        #expect(verdict.reasonLines == ["STALE unknown"])
        #expect(verdict.reasons[0].evidence
            == "last report generated 2025-07-07T04:55:00Z, 3 h 5 min ago; limit 3 × 300 s report interval")
    }

    @Test func mismatchEvidence() async throws {
        let report = Fleet.goodReport {
            $0[.lan].speed = [SpeedReading(source: .nic, speedMbps: 10_000), SpeedReading(source: .snmp, speedMbps: 1000),
                              .unknown(.lldp, error: "no LLDP frame in 60 s")]
        }
        let verdict = try #require(Fleet.evaluate(report))
        #expect(verdict.reasons.map(\.evidence) == [
            "1000 Mbit/s (snmp) < target 10000 Mbit/s; nic 10000 Mbit/s, snmp 1000 Mbit/s, lldp unknown (no LLDP frame in 60 s)",
            "nic 10000 Mbit/s, snmp 1000 Mbit/s, lldp unknown (no LLDP frame in 60 s); trusted snmp (lowest)",
        ])
    }

    @Test func noSpeedEvidenceListsErrors() async throws {
        let report = Fleet.goodReport {
            $0[.lan].speed = [.unknown(.nic, error: "ethtool: EPERM"), .unknown(.snmp, error: "snmp timeout")]
        }
        let verdict = try #require(Fleet.evaluate(report))
        #expect(verdict.reasons.map(\.evidence) == ["no known speed reading: nic unknown (ethtool: EPERM), snmp unknown (snmp timeout)"])
    }

    @Test func throughputEvidence() async throws {
        let low = try #require(Fleet.evaluate(Fleet.goodReport { $0[.wan].throughput?.mbps[.upload] = 150.25 }))
        #expect(low.reasons.map(\.evidence) == [
            "upload 150.3 Mbit/s < 180 Mbit/s (90 % of 200); download 198.7 Mbit/s >= 180 Mbit/s (90 % of 200); "
                + "test against iperf.danang.gov.vn at 2025-07-07T02:00:00Z",
        ])
        let old = try #require(Fleet.evaluate(Fleet.goodReport { $0[.wan].throughput?.measuredAt = Fleet.ago(50 * 3600) }))
        #expect(old.reasons.map(\.evidence) == [
            "last throughput test against iperf.danang.gov.vn at 2025-07-05T06:00:00Z is 2 d 2 h old (limit 48 h)",
        ])
    }

    @Test func serviceEvidence() async throws {
        let down = try #require(Fleet.evaluate(Fleet.goodReport {
            $0[service: "dvc"].ok = false
            $0[service: "dvc"].reason = "cert_expired"
            $0[service: "ping-tinh"].lossPercent = 35
            $0[service: "mail"].certificateDaysLeft = 5
        }))
        #expect(down.reasons.map(\.evidence) == [
            "required https check of dichvucong.gov.vn failed: cert_expired",
            "required icmp check of 198.18.0.1: loss 35 % > 20 %",
            "certificate of mail.danang.gov.vn expires in 5 days (< 14)",
        ])
    }

    @Test func clockEvidenceBothWays() async throws {
        let verdict = try #require(Fleet.evaluate(Fleet.goodReport {
            $0.clock?.offsetMilliseconds = -1500
            $0.generatedAt = Fleet.now.addingTimeInterval(2)
        }))
        #expect(verdict.reasonLines == ["CLOCK_SKEW degraded"])
        #expect(verdict.reasons[0].evidence == "host clock -1500 ms off ntp server ntp.danang.gov.vn (limit 1000 ms); "
            + "report generated 2025-07-07T08:00:02Z, 2000 ms ahead of the collector's clock (limit 1000 ms)")
    }

    @Test func ntpCheckSetsClockLimit() async throws {
        var profile = Fleet.urban
        profile.services.append(ServiceCheck(
            name: "ntp-tinh", kind: .ntp, host: "ntp.danang.gov.vn", thresholds: ServiceThresholds(maxClockOffsetMilliseconds: 100)))
        let report = Fleet.goodReport {
            $0.clock?.offsetMilliseconds = 500
            $0.services.append(ServiceResult(name: "ntp-tinh", kind: .ntp, ok: true, checkedAt: Fleet.now))
        }
        #expect(try #require(Fleet.evaluate(report, profile: profile)).reasonLines == ["CLOCK_SKEW degraded"])
        #expect(try #require(Fleet.evaluate(report)).reasonLines == [])
    }

    @Test func policyStaleAfterIntervals() async throws {
        let report = Fleet.goodReport { $0.generatedAt = Fleet.ago(200) }
        let strict = ReadinessEvaluator(policy: EvaluationPolicy(staleAfterIntervals: 3))
        let lenient = ReadinessEvaluator(policy: EvaluationPolicy(staleAfterIntervals: 5))
        #expect(strict.evaluate(site: Fleet.haiChau, profile: Fleet.urban, latest: report, now: Fleet.now)?.state == .unknown)
        #expect(lenient.evaluate(site: Fleet.haiChau, profile: Fleet.urban, latest: report, now: Fleet.now)?.state == .ready)
    }

    /// A mountain commune on a 100 Mbit/s line without the mail service, but with a required local service.
    @Test func overrides() async throws {
        let report = Fleet.goodReport {
            $0[.wan].throughput?.mbps = [.upload: 95, .download: 97]
            $0[service: "mail"].ok = false
        }
        #expect(try #require(Fleet.evaluate(report)).reasonLines
            == ["THROUGHPUT_LOW:wan not_ready", "SERVICE_DOWN:mail degraded"])

        var mountain = Fleet.haiChau
        mountain.overrides = ProfileOverrides(linkTargets: [.wan: 100], skipServices: ["mail"])
        let verdict = try #require(Fleet.evaluate(report, site: mountain))
        #expect(verdict.state == .ready)
        #expect(verdict.reasons == [])

        mountain.overrides.extraServices = [ServiceCheck(name: "hscv", kind: .https, host: "hscv.danang.gov.vn")]
        #expect(try #require(Fleet.evaluate(report, site: mountain)).reasonLines == ["NO_DATA:hscv unknown"])
    }

    @Test(arguments: [
        ("LINK_BELOW_TARGET:lan", ReasonKey(code: .linkBelowTarget, subject: "lan")),
        ("STALE", ReasonKey(code: .stale)),
        ("SERVICE_DOWN:dns:tinh", ReasonKey(code: .serviceDown, subject: "dns:tinh")),
        ("NO_DATA:", ReasonKey(code: .noData, subject: "")),
        ("BOGUS:lan", nil),
        ("", nil),
    ])
    func reasonKeyParsing(text: String, key: ReasonKey?) {
        #expect(ReasonKey(text) == key)
        if let key { #expect(key.description == text) }
    }

    @Test(arguments: zip(VerdictState.allCases, ["sẵn sàng", "suy giảm", "chưa sẵn sàng", "không rõ"]))
    func vietnameseNames(state: VerdictState, name: String) {
        #expect(state.vietnameseName == name)
    }
}
