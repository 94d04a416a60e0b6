import Foundation
import ReadinessModel
import Testing

/// Issue 14, items 18 and 1: numbers at the edges of what the wire accepts, and agents with wrong clocks.
@Suite struct HostileReportTests {
    /// Before the limits, `interval_s` = Int.max trapped in `staleAfterIntervals * intervalSeconds` and killed
    /// the collector on every start. Now the report is refused, and a stored one is marked, not judged.
    @Test func hugeIntervalIsMarkedNotTrapped() async throws {
        let report = Fleet.goodReport { $0.intervalSeconds = Int.max }
        #expect(report.limitProblems() == ["interval_s: must be in 1…86400, not 9223372036854775807"])
        let verdict = try #require(Fleet.evaluate(report))
        #expect(verdict.state == .unknown)
        #expect(verdict.reasons.map(\.code) == [.noData])
        #expect(verdict.reasons[0].evidence.contains("latest report cannot be judged: interval_s"))
    }

    /// Speeds at Int.min and Int.max overflowed `high - low` in the speed comparison.
    @Test func extremeSpeedsAreMarkedNotTrapped() async throws {
        let report = Fleet.goodReport {
            $0[.lan].speed = [SpeedReading(source: .nic, speedMbps: Int.max), SpeedReading(source: .snmp, speedMbps: Int.min)]
        }
        #expect(report.limitProblems().count == 2)
        #expect(Fleet.evaluate(report)?.reasons.map(\.code) == [.noData])
    }

    /// Every bound names its field; a report inside them has no problem.
    @Test func eachLimitNamesItsField() {
        #expect(Fleet.goodReport().limitProblems().isEmpty)
        let cases: [(String, @Sendable (inout Report) -> Void)] = [
            ("interval_s", { $0.intervalSeconds = 0 }),
            ("interval_s", { $0.intervalSeconds = -60 }),
            ("seq", { $0.seq = UInt64(Int64.max) + 1 }),
            ("agent.boot_id", { $0.agent.bootId = String(repeating: "b", count: 3_000_000) }),
            ("agent.boot_id", { $0.agent.bootId = "" }),
            ("site", { $0.site = String(repeating: "2", count: 33) }),
            ("links[0].speed[0].speed_mbps", { $0[.lan].speed[0].speedMbps = -1 }),
            ("links[1].throughput.mbps.download", { $0[.wan].throughput?.mbps[.download] = -5 }),
            ("services[3].loss_percent", { $0[service: "ping-tinh"].lossPercent = 150 }),
            ("services[1].cert_days_left", { $0[service: "dvc"].certificateDaysLeft = Int.min }),
            ("services[0].total_ms", { $0[service: "dns-tinh"].totalMilliseconds = 1e300 }),
            ("services[0].phases.connect", { $0[service: "dns-tinh"].phases = ["connect": -1] }),
            ("clock.offset_ms", { $0.clock?.offsetMilliseconds = 1e300 }),
            ("gap.count", { $0.gap = GapRecord(count: -1, firstSeq: 1, lastSeq: 2, from: Fleet.ago(60), to: Fleet.now) }),
            ("gap.first_seq", { $0.gap = GapRecord(count: 1, firstSeq: 9, lastSeq: 2, from: Fleet.ago(60), to: Fleet.now) }),
            ("links[0].speed[0].error", { $0[.lan].speed[0].error = String(repeating: "e", count: 5000) }),
        ]
        for (field, change) in cases {
            let problems = Fleet.goodReport(change).limitProblems()
            #expect(problems.count == 1 && problems[0].hasPrefix("\(field): "), "\(field): \(problems)")
        }
    }

    /// An office server whose clock says 2099: its report is judged by when it arrived. It is current while it
    /// is, STALE once no newer one arrives, and CLOCK_SKEW says why (before: fresh forever).
    @Test func futureDatedReportIsJudgedByReceiptWithClockSkew() async throws {
        let future = Date(timeIntervalSince1970: 4_070_908_800)  // 2099-01-01
        let report = Fleet.goodReport { $0.generatedAt = future }
        let evaluator = ReadinessEvaluator()
        let fresh = try #require(evaluator.evaluate(site: Fleet.haiChau, profile: Fleet.urban, latest: report,
                                                    receivedAt: Fleet.ago(30), now: Fleet.now))
        #expect(fresh.reasonLines == ["CLOCK_SKEW degraded"])
        #expect(fresh.reasons[0].evidence.contains("ahead of its receipt"))
        let later = try #require(evaluator.evaluate(site: Fleet.haiChau, profile: Fleet.urban, latest: report,
                                                    receivedAt: Fleet.ago(181), now: Fleet.now))
        #expect(later.reasonLines == ["STALE unknown"])
        #expect(later.reasons[0].evidence.contains("received 2025-07-07T07:56:59Z"))
    }

    /// A clock behind (or a report that waited in the spool) beyond the bound is CLOCK_SKEW; within it, nothing.
    /// The bound is the policy's (the collector's `max_report_skew_s`).
    @Test func skewBoundIsConfigurable() async throws {
        let report = Fleet.goodReport { $0.generatedAt = Fleet.ago(100) }
        func lines(_ bound: Double) -> [String]? {
            ReadinessEvaluator(policy: EvaluationPolicy(maxReportSkewSeconds: bound))
                .evaluate(site: Fleet.haiChau, profile: Fleet.urban, latest: report, receivedAt: Fleet.ago(5), now: Fleet.now)?
                .reasonLines
        }
        #expect(lines(120) == [])
        #expect(lines(60) == ["CLOCK_SKEW degraded"])
        #expect(EvaluationPolicy().maxReportSkewSeconds == 120)
    }
}
