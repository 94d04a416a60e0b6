import CollectorCore
import CollectorStore
import CollectorTestSupport
import Foundation
import Inventory
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

private let t0 = Date(timeIntervalSince1970: 1_780_000_000)

/// Issue 17: the cost of a report does not grow with the number of sites. A report's ingest re-evaluates its own site
/// from the report in hand; the periodic evaluation looks only at the sites whose recheck time has come; roll-ups
/// read compact verdict columns. Counted with the SQLite store's decode counters.
@Suite struct IncrementalEvaluationTests {
    /// Every office of the example inventory (93) with one ready report received at `t0`.
    func fleet(in dir: URL) async throws -> (Collector, SQLiteStore) {
        let collector = try await makeCollector(in: dir)
        let store = try #require(collector.store as? SQLiteStore)
        for office in collector.inventory.offices {
            let report = readyReport(collector.inventory, site: office.code, seq: 1, at: t0)
            _ = try await collector.ingest(ReportBatch(reports: [report]), from: .site(office.code), receivedAt: t0)
        }
        return (collector, store)
    }

    @Test func ingestOfOneReportDecodesNoStoredReportOrVerdict() async throws {
        try await withTemporaryDirectory { dir in
            let (collector, store) = try await fleet(in: dir)
            #expect(collector.inventory.offices.count > 90)
            let (reports, verdicts) = (store.decodedReports, store.decodedVerdicts)
            let report = readyReport(collector.inventory, site: ExampleSite.haiChau, seq: 2, at: t0 + 60, lanMbps: 1000)
            _ = try await collector.ingest(ReportBatch(reports: [report]), from: .site(ExampleSite.haiChau), receivedAt: t0 + 60)
            #expect(store.decodedReports == reports, "the new report is evaluated from the decoded request")
            #expect(store.decodedVerdicts == verdicts, "the transition check reads the old verdict's columns")
            let verdict = try #require(try await store.verdicts(sites: [ExampleSite.haiChau])[ExampleSite.haiChau])
            #expect(verdict.state == .notReady)
            #expect(verdict.reasons.map(\.description) == ["LINK_BELOW_TARGET:lan"])
        }
    }

    @Test func reportThatIsNotTheNewestDecodesOnlyItsOwnSitesNewest() async throws {
        try await withTemporaryDirectory { dir in
            let (collector, store) = try await fleet(in: dir)
            let inventory = collector.inventory
            let newest = readyReport(inventory, site: ExampleSite.haiChau, seq: 5, at: t0 + 60)
            _ = try await collector.ingest(ReportBatch(reports: [newest]), from: .site(ExampleSite.haiChau), receivedAt: t0 + 60)
            let before = store.decodedReports
            // Drained late from the agent's spool: stored, but seq 3 < 5 stays behind.
            let late = readyReport(inventory, site: ExampleSite.haiChau, seq: 3, at: t0 + 30, lanMbps: 1000)
            let ack = try await collector.ingest(ReportBatch(reports: [late]), from: .site(ExampleSite.haiChau), receivedAt: t0 + 61)
            #expect(ack.stored == [ReportKey(late)])
            #expect(store.decodedReports == before + 1, "the site's own newest report, nothing else")
            #expect(try await store.verdicts(sites: [ExampleSite.haiChau])[ExampleSite.haiChau]?.state == .ready)
        }
    }

    @Test func periodicEvaluationLooksOnlyAtSitesWhoseTimeHasCome() async throws {
        try await withTemporaryDirectory { dir in
            let (collector, store) = try await fleet(in: dir)
            let later = readyReport(collector.inventory, site: ExampleSite.hoaCuong, seq: 2, at: t0 + 100)
            _ = try await collector.ingest(ReportBatch(reports: [later]), from: .site(ExampleSite.hoaCuong), receivedAt: t0 + 100)
            var before = store.decodedReports
            #expect(try await collector.evaluateDue(now: t0 + 179).isEmpty)
            #expect(store.decodedReports == before, "nothing due: nothing read")

            // 3 × 60 s after t0 every office but Hòa Cường (reported at t0 + 100) turns stale.
            let transitions = try await collector.evaluateDue(now: t0 + 181)
            let others = collector.inventory.offices.map(\.code).filter { $0 != ExampleSite.hoaCuong }
            #expect(transitions.keys.sorted() == others.sorted())
            #expect(transitions.values.allSatisfy { $0.to == .unknown && $0.reasons.map(\.description) == ["STALE"] })
            #expect(store.decodedReports == before + others.count)
            #expect(try await store.sitesDueForEvaluation(at: t0 + 181).isEmpty)

            before = store.decodedReports
            let hoaCuong = try await collector.evaluateDue(now: t0 + 281)
            #expect(Array(hoaCuong.keys) == [ExampleSite.hoaCuong])
            #expect(store.decodedReports == before + 1)
            // Stale sites are looked at again after the refresh time (5 min), with no transition.
            #expect(try await collector.evaluateDue(now: t0 + 181 + 300).isEmpty)
            #expect(try await store.verdicts(sites: [ExampleSite.haiChau])[ExampleSite.haiChau]?.evaluatedAt == t0 + 481)
        }
    }

    /// The roll-up answered again while nothing changed is the one kept; a transition or a new inventory makes a new one.
    @Test func aKeptRollUpFollowsTheVerdictsAndTheInventory() async throws {
        try await withTemporaryDirectory { dir in
            let (collector, _) = try await fleet(in: dir)
            let first = try await collector.readiness(groupBy: .formerDistrict, now: t0)
            let again = try await collector.readiness(groupBy: .formerDistrict, now: t0 + 5)
            #expect(again.generatedAt == t0 + 5, "the time of the answer, not of the roll-up kept")
            #expect(again.groups == first.groups && again.overall == first.overall)
            #expect(try await collector.readiness(groupBy: nil, now: t0).groups.isEmpty, "each dimension has its own")

            let down = readyReport(collector.inventory, site: ExampleSite.haiChau, seq: 2, at: t0 + 60, lanMbps: 1000)
            _ = try await collector.ingest(ReportBatch(reports: [down]), from: .site(ExampleSite.haiChau), receivedAt: t0 + 60)
            let afterChange = try await collector.readiness(groupBy: .formerDistrict, now: t0 + 60)
            #expect(afterChange.overall.ready == first.overall.ready - 1)

            // The same verdicts, an inventory without Hải Châu's former district: the kept roll-up is not answered.
            let district = try #require(collector.inventory.site(code: ExampleSite.haiChau)?.formerDistrict)
            let inventory = collector.inventory
            collector.replaceInventory(Inventory(sites: inventory.sites.filter { $0.formerDistrict != district },
                                                 profiles: inventory.profiles))
            let smaller = try await collector.readiness(groupBy: .formerDistrict, now: t0 + 60)
            #expect(!smaller.groups.map(\.key).contains(district))
            #expect(smaller.overall.total < afterChange.overall.total)
        }
    }

    @Test func rollUpFromColumnsEqualsRollUpFromFullVerdictsOnEveryReplica() async throws {
        try await withTemporaryDirectory { dir in
            let (collector, store) = try await fleet(in: dir)
            // A second collector on the same database: a report may land on either.
            let replicaStore = try SQLiteStore(path: dir.appendingPathComponent("collector.sqlite").path)
            let replica = Collector(store: replicaStore, inventory: collector.inventory)
            func expected() async throws -> ReadinessBody {
                let verdicts = try await store.currentVerdicts()
                let statuses = collector.inventory.sites.map { SiteStatus(site: $0, verdict: verdicts[$0.code]) }
                let rollUp = RollUp(statuses, by: [.formerDistrict])
                return ReadinessBody(generatedAt: t0, overall: TallyBody(rollUp.overall), groupBy: "former_district",
                                     groups: rollUp.groups(by: .formerDistrict).map { .init(key: $0.key, tally: TallyBody($0.tally)) })
            }
            #expect(try await collector.readiness(groupBy: .formerDistrict, now: t0) == expected())
            let readyBefore = try await collector.readiness(groupBy: nil, now: t0).overall

            let service = try #require(collector.inventory.effectiveProfile(for: collector.inventory.site(code: ExampleSite.thanhKhe)!)?
                .services.first { $0.required }?.name)
            let down = readyReport(collector.inventory, site: ExampleSite.thanhKhe, seq: 2, at: t0 + 60, downService: service)
            _ = try await replica.ingest(ReportBatch(reports: [down]), from: .site(ExampleSite.thanhKhe), receivedAt: t0 + 60)
            let after = try await collector.readiness(groupBy: .formerDistrict, now: t0)
            #expect(after == (try await expected()))
            #expect(after.overall != readyBefore, "the other replica's transition is seen at the next roll-up")
            #expect(try await replica.readiness(groupBy: .formerDistrict, now: t0) == after)

            // Further changes on the replica, one of them back to where it was: the copy patched site by site (only
            // the sites with transitions since are read again) still equals a roll-up of every full verdict.
            let fixed = readyReport(collector.inventory, site: ExampleSite.thanhKhe, seq: 3, at: t0 + 120)
            _ = try await replica.ingest(ReportBatch(reports: [fixed]), from: .site(ExampleSite.thanhKhe), receivedAt: t0 + 120)
            let other = readyReport(collector.inventory, site: ExampleSite.hoaCuong, seq: 2, at: t0 + 120, downService: service)
            _ = try await replica.ingest(ReportBatch(reports: [other]), from: .site(ExampleSite.hoaCuong), receivedAt: t0 + 120)
            #expect(try await collector.readiness(groupBy: .formerDistrict, now: t0) == (try await expected()))
        }
    }
}
