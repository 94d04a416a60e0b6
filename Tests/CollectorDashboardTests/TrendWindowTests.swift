import CollectorTestSupport
import Foundation
import Inventory
import ReadinessModel
import SansangAPI
import Testing
@testable import CollectorDashboard

/// Issue 17: the overview's trend reads the transitions of its window only (plus current verdicts), not all history,
/// and draws the same curve as from all history.
@Suite struct TrendWindowTests {
    @Test func trendFromTheWindowEqualsTrendFromAllHistory() throws {
        // Every site of the inventory, Hoàng Sa (no office) included: the trend counts offices only.
        let sites = try exampleInventory().sites
        let offices = sites.filter(\.hasOffice)
        #expect(offices.count < sites.count)
        let now = Date(timeIntervalSince1970: 1_780_000_000)
        var generator = SplitMix(seed: 17)
        // 60 days of history: each office's first verdict somewhere in it, then random changes; some offices none.
        var all: [String: [VerdictTransition]] = [:]
        var current: [String: SiteVerdict] = [:]
        let states: [VerdictState] = [.ready, .degraded, .notReady, .unknown]
        for (index, office) in offices.enumerated() where index % 9 != 0 {
            var at = now.addingTimeInterval(-60 * 86400 + Double(generator.next() % (50 * 86400)))
            var state: VerdictState?
            var transitions: [VerdictTransition] = []
            while at <= now {
                let next = states[Int(generator.next() % 4)]
                if next != state {
                    transitions.append(VerdictTransition(at: at, from: state, to: next, reasons: []))
                    state = next
                }
                at.addTimeInterval(Double(generator.next() % (6 * 86400)))
            }
            all[office.code] = transitions
            if let state {
                current[office.code] = SiteVerdict(site: office.code, state: state, reasons: [], evaluatedAt: now, reportGeneratedAt: nil)
            }
        }
        let since = now.addingTimeInterval(-Double(OverviewModel.trendDays - 1) * 86400 - 1)
        let changes = all.mapValues { $0.filter { $0.at > since && $0.at <= now } }.filter { !$0.value.isEmpty }
        let inWindow: Int = changes.values.reduce(0) { $0 + $1.count }
        let everything: Int = all.values.reduce(0) { $0 + $1.count }
        #expect(inWindow < everything, "the window holds less than all")
        let windowed = OverviewModel.history(sites: sites, current: current, changes: changes, since: since)
        #expect(windowed.count == offices.count, "one history per office, none for a site without one")
        let expected = OverviewModel.trend(sites: sites, history: all, now: now, days: OverviewModel.trendDays)
        let got = OverviewModel.trend(sites: sites, history: windowed, now: now, days: OverviewModel.trendDays)
        #expect(got == expected)
        #expect(Set(expected.map(\.share)).count > 1, "the curve is not flat: the comparison means something")
    }
}

/// A small deterministic generator (SplitMix64).
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
