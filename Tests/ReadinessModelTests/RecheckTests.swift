import Foundation
import ReadinessModel
import Testing

/// `ReadinessEvaluator.recheckAt`: when a verdict can change with time alone, so that the periodic evaluation looks
/// only at the sites whose time has come (issue 17).
@Suite struct RecheckTests {
    let evaluator = ReadinessEvaluator()

    func recheck(_ report: Report?, receivedAt: Date?, refresh: TimeInterval? = 300) -> Date? {
        evaluator.recheckAt(site: Fleet.haiChau, profile: Fleet.urban, latest: report, receivedAt: receivedAt, now: Fleet.now,
                            refresh: refresh)
    }

    func state(_ report: Report, receivedAt: Date, at: Date) -> [String] {
        evaluator.evaluate(site: Fleet.haiChau, profile: Fleet.urban, latest: report, receivedAt: receivedAt, now: at)?
            .reasons.map(\.description) ?? []
    }

    @Test func freshReportIsLookedAtAgainWhenItTurnsStaleAndNotBefore() throws {
        let report = Fleet.goodReport()
        let received = Fleet.ago(30)
        let at = try #require(recheck(report, receivedAt: received))
        // 3 × 60 s after receipt (the measurement, 6 h old, expires after 48 h: later).
        #expect(abs(at.timeIntervalSince(received) - 180) < 0.01)
        #expect(state(report, receivedAt: received, at: at.addingTimeInterval(-0.002)) == [])
        #expect(state(report, receivedAt: received, at: at) == ["STALE"])
    }

    @Test func throughputMeasurementExpiringFirstComesFirst() throws {
        let report = Fleet.goodReport { $0[.wan].throughput?.measuredAt = Fleet.ago(48 * 3600 - 60) }
        let received = Fleet.ago(10)
        let at = try #require(recheck(report, receivedAt: received))
        #expect(abs(at.timeIntervalSince(Fleet.now) - 60) < 0.01)
        #expect(state(report, receivedAt: received, at: at.addingTimeInterval(-0.002)) == [])
        #expect(state(report, receivedAt: received, at: at) == ["NO_DATA:wan"])
    }

    @Test func alreadyExpiredMeasurementDoesNotBringTheRecheckForward() throws {
        let report = Fleet.goodReport { $0[.wan].throughput?.measuredAt = Fleet.ago(49 * 3600) }
        let at = try #require(recheck(report, receivedAt: Fleet.ago(10)))
        #expect(abs(at.timeIntervalSince(Fleet.ago(10)) - 180) < 0.01)
    }

    @Test func silentSitesAreRefreshedOrNeverLookedAtByTime() throws {
        #expect(recheck(nil, receivedAt: nil) == Fleet.now + 300)
        #expect(recheck(Fleet.goodReport(), receivedAt: Fleet.ago(3600)) == Fleet.now + 300, "stale: refreshed")
        #expect(recheck(nil, receivedAt: nil, refresh: nil) == nil)
        #expect(recheck(Fleet.goodReport(), receivedAt: Fleet.ago(3600), refresh: nil) == nil)
        #expect(evaluator.recheckAt(site: Fleet.hoangSa, profile: Fleet.urban, latest: nil, receivedAt: nil, now: Fleet.now,
                                    refresh: 300) == nil, "no office: never evaluated")
    }
}
