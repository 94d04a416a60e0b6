import Alerting
import Foundation
import SansangAPI
import ReadinessModel
import Testing

func office(_ code: String, district: String = "Hải Châu", maintenance: [MaintenanceWindow] = []) -> Site {
    Site(code: code, name: "Phường \(code)", type: .phuong, province: "Đà Nẵng", formerDistrict: district, maintenance: maintenance)
}

func verdict(_ site: String, _ state: VerdictState, _ reasons: [Reason] = [], at: Date = t0) -> SiteVerdict {
    SiteVerdict(site: site, state: state, reasons: reasons, evaluatedAt: at, reportGeneratedAt: at)
}

let down = Reason(code: .serviceDown, subject: "vneid", impact: .notReady, evidence: "refused")

@Suite("Alert evaluation, silences, maintenance, routing")
struct AlertEvaluatorTests {
    let serviceDown = rule("service_down", AlertCondition(reasons: [ReasonKey(code: .serviceDown)]), severity: .critical)

    func observe(_ site: Site, _ verdict: SiteVerdict?, received: Date? = t0, report: Report? = nil) -> SiteObservation {
        SiteObservation(site: site, verdict: verdict, latest: report, lastReceivedAt: received)
    }

    @Test func aSiteGoingDownFiresOnceAndRecoveryIsToldOnce() {
        let evaluator = AlertEvaluator(rules: [serviceDown])
        let site = office("20242")
        var states: [AlertKey: AlertInstance] = [:]
        var told: [AlertInstance.State] = []
        let rounds: [SiteVerdict] = [verdict("20242", .notReady, [down]), verdict("20242", .notReady, [down]),
                                     verdict("20242", .ready), verdict("20242", .ready)]
        for (i, v) in rounds.enumerated() {
            let round = evaluator.evaluate([observe(site, v)], previous: states, silences: [], now: t0.addingTimeInterval(Double(i * 60)))
            states = round.instances
            told += round.notices.map(\.state)
        }
        #expect(told == [.firing, .resolved])
    }

    @Test func summaryIsRenderedInBothLanguagesWithReasonWords() async throws {
        let evaluator = AlertEvaluator(rules: [serviceDown])
        let round = evaluator.evaluate([observe(office("20242"), verdict("20242", .notReady, [down]))], previous: [:],
                                       silences: [], now: t0)
        let notice = try #require(round.notices.first)
        #expect(notice.summaryVietnamese == "Phường 20242: dịch vụ vneid không truy cập được")
        #expect(notice.summaryEnglish == "Phường 20242: service vneid unreachable")
        #expect(notice.labels["alertname"] == "service_down" && notice.labels["severity"] == "critical")
        #expect(notice.labels["former_district"] == "Hải Châu" && notice.labels["site"] == "20242")
    }

    @Test func silenceBySiteMutesAndExpiryTellsTheStillFiringAlert() {
        let evaluator = AlertEvaluator(rules: [serviceDown])
        let silence = Silence(id: "s1", site: "20242", startsAt: t0, endsAt: t0.addingTimeInterval(600), author: "noc",
                              comment: "thay switch", createdAt: t0)
        let observation = observe(office("20242"), verdict("20242", .notReady, [down]))
        let first = evaluator.evaluate([observation], previous: [:], silences: [silence], now: t0)
        #expect(first.notices.isEmpty)
        #expect(first.muted == [AlertKey(rule: "service_down", site: "20242")])
        let later = evaluator.evaluate([observation], previous: first.instances, silences: [silence], now: t0.addingTimeInterval(600))
        #expect(later.notices.map(\.state) == [.firing])
    }

    @Test func silenceMatchersAreJoinedByAnd() {
        let labels = ["site": "20242", "alertname": "service_down", "severity": "critical"]
        func silence(site: String? = nil, rule: String? = nil, labels: [String: String] = [:]) -> Silence {
            Silence(id: "x", site: site, rule: rule, labels: labels, startsAt: t0, endsAt: t0 + 1, author: "a", comment: "", createdAt: t0)
        }
        #expect(silence(site: "20242").matches(labels))
        #expect(silence(rule: "service_down").matches(labels))
        #expect(silence(labels: ["severity": "critical"]).matches(labels))
        #expect(!silence(site: "20242", rule: "agent_silent").matches(labels))
        #expect(!silence().matches(labels), "a silence without matchers mutes nothing")
    }

    @Test func maintenanceWindowMutesItsSiteOnly() {
        let evaluator = AlertEvaluator(rules: [serviceDown])
        let window = MaintenanceWindow.once(from: t0.addingTimeInterval(-60), to: t0.addingTimeInterval(60))
        let round = evaluator.evaluate([
            observe(office("20242", maintenance: [window]), verdict("20242", .notReady, [down])),
            observe(office("20245"), verdict("20245", .notReady, [down])),
        ], previous: [:], silences: [], now: t0)
        #expect(round.notices.map(\.site) == ["20245"])
    }

    @Test func weeklyMaintenanceWindowRunsPastMidnight() {
        let tz = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        // Sunday 22:00 → Monday 02:00 local.
        let window = MaintenanceWindow.weekly(.init(days: [7], fromMinute: 22 * 60, toMinute: 2 * 60))
        func local(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
        #expect(window.contains(local("2026-11-29T23:30:00+07:00"), timeZone: tz))  // Sunday night
        #expect(window.contains(local("2026-11-30T01:59:00+07:00"), timeZone: tz))  // Monday early
        #expect(!window.contains(local("2026-11-30T02:00:00+07:00"), timeZone: tz))
        #expect(!window.contains(local("2026-11-29T21:59:00+07:00"), timeZone: tz))
        #expect(!window.contains(local("2026-11-29T01:00:00+07:00"), timeZone: tz), "Monday early after a Sunday is the window, Sunday early is not")
    }

    @Test func provinceWideOutageIsOneGroupListingTheSites() async throws {
        let evaluator = AlertEvaluator(rules: [serviceDown])
        let sites = (0..<30).map { office(String(20200 + $0), district: $0 < 15 ? "Hải Châu" : "Sơn Trà") }
        let round = evaluator.evaluate(sites.map { observe($0, verdict($0.code, .notReady, [down])) }, previous: [:], silences: [], now: t0)
        #expect(round.notices.count == 30)
        let config = AlertConfiguration(routes: [AlertRoute(receivers: ["mail"], groupBy: ["alertname", "province"])])
        let groups = config.route(round.notices)
        #expect(groups.count == 1)
        #expect(groups.first?.notices.count == 30)
        let byDistrict = AlertConfiguration(routes: [AlertRoute(receivers: ["mail"], groupBy: ["former_district"])]).route(round.notices)
        #expect(byDistrict.map(\.notices.count) == [15, 15])
    }

    @Test func firstMatchingRouteTakesTheAlertUnlessContinue() {
        let evaluator = AlertEvaluator(rules: [serviceDown])
        let notices = evaluator.evaluate([observe(office("20242"), verdict("20242", .notReady, [down]))], previous: [:],
                                         silences: [], now: t0).notices
        let routes = [AlertRoute(match: ["severity": "critical"], receivers: ["pager"]), AlertRoute(receivers: ["mail"])]
        #expect(AlertConfiguration(routes: routes).route(notices).map(\.receiver) == ["pager"])
        var chained = routes
        chained[0].continueMatching = true
        #expect(AlertConfiguration(routes: chained).route(notices).map(\.receiver).sorted() == ["mail", "pager"])
    }

    @Test func silentAgentAndNeverReportedSiteMatchSilentFor() {
        let silent = rule("agent_silent", AlertCondition(silentForSeconds: 900))
        let evaluator = AlertEvaluator(rules: [silent])
        let now = t0.addingTimeInterval(1000)
        let round = evaluator.evaluate([
            observe(office("20242"), nil, received: t0),                      // 16.7 min silent
            observe(office("20245"), nil, received: now.addingTimeInterval(-60)),  // reported a minute ago
            observe(office("20246"), nil, received: nil),                     // never reported
        ], previous: [:], silences: [], now: now)
        #expect(round.notices.map(\.site).sorted() == ["20242", "20246"])
        #expect(round.notices.first { $0.site == "20242" }?.match.value == 17)
    }

    @Test func metricConditionReadsTheNewestReport() {
        let low = rule("wan_low", AlertCondition(metric: MetricCondition(series: MetricSeries("throughput:wan:download")!, below: 150)))
        let evaluator = AlertEvaluator(rules: [low])
        func report(_ mbps: Double) -> Report {
            Report(site: "20242", agent: AgentIdentity(version: "1", hostname: "h", bootId: "b"), seq: 1, generatedAt: t0,
                   links: [LinkReport(role: .wan, throughput: ThroughputMeasurement(server: "s", measuredAt: t0, mbps: [.download: mbps]))])
        }
        let slow = evaluator.evaluate([observe(office("20242"), nil, report: report(48))], previous: [:], silences: [], now: t0)
        let fast = evaluator.evaluate([observe(office("20242"), nil, report: report(191))], previous: [:], silences: [], now: t0)
        #expect(slow.notices.first?.match.value == 48)
        #expect(fast.notices.isEmpty)
    }

    @Test func instancesOfRemovedRulesOrSitesAreForgotten() {
        let evaluator = AlertEvaluator(rules: [serviceDown])
        let first = evaluator.evaluate([observe(office("20242"), verdict("20242", .notReady, [down]))], previous: [:], silences: [], now: t0)
        let afterReload = AlertEvaluator(rules: []).evaluate([observe(office("20242"), nil)], previous: first.instances,
                                                               silences: [], now: t0 + 60)
        #expect(afterReload.removed == [AlertKey(rule: "service_down", site: "20242")])
        #expect(afterReload.notices.isEmpty)
    }

    @Test func aSilentAgentNeitherResolvesNorAdvancesWhatItsReportsShowed() {
        let evaluator = AlertEvaluator(rules: [serviceDown, rule("not_ready", AlertCondition(verdicts: [.notReady]), for: 600)])
        let site = office("20242")
        let stale = verdict("20242", .unknown, [Reason(code: .stale, impact: .unknown, evidence: "silent")])
        var states: [AlertKey: AlertInstance] = [:]
        var told: [String] = []
        for (i, v) in [verdict("20242", .notReady, [down]), stale, stale, verdict("20242", .ready)].enumerated() {
            let round = evaluator.evaluate([observe(site, v)], previous: states, silences: [], now: t0.addingTimeInterval(Double(i * 600)))
            states = round.instances
            told += round.notices.map { "\($0.rule):\($0.state.rawValue)" }
            if i == 2 {
                #expect(states[AlertKey(rule: "service_down", site: "20242")]?.state == .firing, "held while the agent is silent")
                #expect(states[AlertKey(rule: "not_ready", site: "20242")]?.state == .pending, "not advanced to firing on stale data")
            }
        }
        #expect(told == ["service_down:firing", "service_down:resolved"], "no false recovery during the silence")
        #expect(!AlertCondition(silentForSeconds: 900).needsFreshReports)
        #expect(!AlertCondition(reasons: [ReasonKey(code: .stale)]).needsFreshReports)
        #expect(AlertCondition(verdicts: [.notReady]).needsFreshReports)
    }
}
