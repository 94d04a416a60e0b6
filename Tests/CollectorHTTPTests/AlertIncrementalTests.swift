import Alerting
@testable import CollectorAlerts
import CollectorCore
import CollectorStore
import CollectorTestSupport
import Foundation
import Logging
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

private let t0 = Date(timeIntervalSince1970: 1_780_000_000)

/// Issue 17: an alert round decodes only the verdicts and reports that changed since the last round, and sees the
/// changes another replica made in the shared database.
@Suite struct AlertIncrementalTests {
    /// An engine with the default rules of `alerts/`, logging warnings only.
    func defaultRulesEngine(_ collector: Collector) throws -> AlertEngine {
        var quiet = Logger(label: "test")
        quiet.logLevel = .warning
        return AlertEngine(collector: collector,
                           configuration: try AlertConfiguration.load(path: packageRoot.appendingPathComponent("alerts").path),
                           logger: quiet)
    }

    @Test func roundDecodesOnlyWhatChangedIncludingAnotherReplicasReports() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let replica = Collector(store: try SQLiteStore(path: dir.appendingPathComponent("collector.sqlite").path),
                                    inventory: collector.inventory)
            let engine = try defaultRulesEngine(collector)
            let inventory = collector.inventory
            let sites = [ExampleSite.haiChau, ExampleSite.hoaCuong, ExampleSite.thanhKhe]
            for site in sites {
                _ = try await collector.ingest(ReportBatch(reports: [readyReport(inventory, site: site, seq: 1, at: t0)]),
                                               from: .site(site), receivedAt: t0)
            }
            try await collector.evaluateAll(now: t0)
            _ = try await engine.evaluate(now: t0 + 1)
            let offices = inventory.offices.count
            #expect(engine.observed.decoded.load(ordering: .relaxed) == offices + sites.count,
                    "first round: every verdict and the three reports")

            let quietRound = engine.observed.decoded.load(ordering: .relaxed)
            _ = try await engine.evaluate(now: t0 + 2)
            #expect(engine.observed.decoded.load(ordering: .relaxed) == quietRound, "nothing changed: nothing decoded")

            // A failing service reported through the other replica: its verdict and report are read, nothing else.
            let service = try #require(inventory.effectiveProfile(for: inventory.site(code: ExampleSite.hoaCuong)!)?
                .services.first { $0.required }?.name)
            let down = readyReport(inventory, site: ExampleSite.hoaCuong, seq: 2, at: t0 + 60, downService: service)
            _ = try await replica.ingest(ReportBatch(reports: [down]), from: .site(ExampleSite.hoaCuong), receivedAt: t0 + 60)
            let round = try await engine.evaluate(now: t0 + 61)
            #expect(engine.observed.decoded.load(ordering: .relaxed) == quietRound + 2)
            #expect(round.instances[AlertKey(rule: "service_down", site: ExampleSite.hoaCuong)]?.state == .pending)
        }
    }

    /// Within one leader term a round starts from the instances the previous round committed (only the leader writes
    /// them), not from a read of every instance; a new term reads them again, since another replica may have led.
    /// Shown by removing an instance behind the engine's back, as another leader's round would.
    @Test func withinOneLeaderTermARoundStartsFromWhatItCommitted() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let other = try SQLiteStore(path: dir.appendingPathComponent("collector.sqlite").path)
            let engine = try defaultRulesEngine(collector)
            let inventory = collector.inventory
            let service = try #require(inventory.effectiveProfile(for: inventory.site(code: ExampleSite.hoaCuong)!)?
                .services.first { $0.required }?.name)
            let down = readyReport(inventory, site: ExampleSite.hoaCuong, seq: 1, at: t0, downService: service)
            _ = try await collector.ingest(ReportBatch(reports: [down]), from: .site(ExampleSite.hoaCuong), receivedAt: t0)
            let key = AlertKey(rule: "service_down", site: ExampleSite.hoaCuong)
            let first = try await engine.evaluate(now: t0 + 1, leaderTerm: 1)
            #expect(first.instances[key]?.activeSince == t0 + 1)

            try await other.commitAlertRound(upsert: [], remove: [key], groups: [], now: t0 + 2)
            #expect(try await other.alertInstances().contains { $0.key == key } == false)
            let sameTerm = try await engine.evaluate(now: t0 + 3, leaderTerm: 1)
            #expect(sameTerm.instances[key]?.activeSince == t0 + 1, "the term's own instances, not a read")
            let newTerm = try await engine.evaluate(now: t0 + 4, leaderTerm: 2)
            #expect(newTerm.instances[key]?.activeSince == t0 + 4, "a new term reads the store: the instance was gone")

            let leadership = AlertLeadership(leader: false)
            #expect(leadership.term == 0)
            leadership.set(true)
            leadership.set(true)
            #expect(leadership.term == 1)
            leadership.set(false)
            leadership.set(true)
            #expect(leadership.term == 2)
        }
    }

    /// The evaluation service reacts to a verdict change within its change poll and gap, not at its interval (an hour here):
    /// a failing service fires at once (a rule without `for`) and resolves as soon as the site is ready again.
    @Test func aVerdictChangeIsEvaluatedAtOnceNotAtTheInterval() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let rules = dir.appendingPathComponent("alerts")
            try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
            try """
                rules:
                  - name: service_down
                    when: {reason: [SERVICE_DOWN]}
                    severity: critical
                    summary: {vi: "{{site}}", en: "{{site}}"}
                routes:
                  - receivers: [noc]
                receivers:
                  - name: noc
                    webhook: {url: "http://127.0.0.1:9/unused"}
                """.write(to: rules.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
            var quiet = Logger(label: "test")
            quiet.logLevel = .critical
            let engine = AlertEngine(collector: collector, configuration: try AlertConfiguration.load(path: rules.path), logger: quiet)
            let service = AlertEvaluationService(engine: engine, interval: .seconds(3600), changePoll: .milliseconds(100),
                                                 changeGap: .milliseconds(500), logger: quiet)
            let running = Task { try await service.run() }
            defer { running.cancel() }
            let inventory = collector.inventory
            let site = ExampleSite.hoaCuong
            let required = try #require(inventory.effectiveProfile(for: inventory.site(code: site)!)?.services.first { $0.required }?.name)
            func state() async throws -> AlertInstance.State? {
                try await collector.store.alertInstances().first { $0.key == AlertKey(rule: "service_down", site: site) }?.state
            }

            _ = try await collector.ingest(ReportBatch(reports: [readyReport(inventory, site: site, seq: 1, at: Date(), downService: required)]),
                                           from: .site(site))
            try await waitUntil(timeout: 5, "service_down firing after the failing report") { try await state() == .firing }
            _ = try await collector.ingest(ReportBatch(reports: [readyReport(inventory, site: site, seq: 2, at: Date())]), from: .site(site))
            try await waitUntil(timeout: 5, "service_down resolved after the ready report") { try await state() == .resolved }
        }
    }

    @Test func refreshPlanListsOnlyMovedVersions() {
        let key = ReportKey(bootId: "b", seq: 1)
        let plan = ObservationRefresh.plan(
            known: ["a": (1, key), "b": (1, key), "c": (nil, nil)],
            revisions: ["a": 1, "b": 2, "c": 1, "d": 1],
            reportKeys: ["a": key, "b": ReportKey(bootId: "b", seq: 2), "d": key])
        #expect(plan.verdicts == ["b", "c", "d"])
        #expect(plan.reports == ["b", "d"])
    }
}
