import CollectorCore
import CollectorStore
import CollectorTestSupport
import Foundation
import Inventory
import Presentation
import ReadinessModel
import SansangAPI
import Testing
@testable import CollectorDashboard

@Suite struct SearchTextTests {
    @Test func foldingIgnoresDiacriticsCaseAndSpacing() {
        #expect(SearchText.fold("Phường Hải Châu") == "phuong hai chau")
        #expect(SearchText.fold("  ĐÀ   Nẵng ") == "da nang")
        #expect(SearchText.fold("Hòa Cường") == "hoa cuong")
        #expect(SearchText.matches("hai chau", ["Phường Hải Châu"]))
        #expect(SearchText.matches("CHAU hai", ["Phường Hải Châu"]))
        #expect(!SearchText.matches("hai chau", ["Phường Hòa Cường"]))
    }
}

@Suite struct SiteListModelTests {
    let inventory: Inventory

    init() throws {
        inventory = try exampleInventory()
    }

    @Test func searchWithoutDiacriticsFindsTheSite() async throws {
        let query = try SiteQuery(["q": "hai chau"])
        let found = query.apply(sites: inventory.sites, verdicts: [:], lastReports: [:]).map(\.site.code)
        #expect(found.contains(ExampleSite.haiChau))
        #expect(found.allSatisfy { code in SearchText.fold(inventory.site(code: code)!.name + " " + inventory.site(code: code)!.formerDistrict).contains("hai chau") })
    }

    @Test func filtersSortAndPages() async throws {
        let now = Date()
        var verdicts: [String: SiteVerdict] = [:]
        for site in inventory.offices {
            verdicts[site.code] = SiteVerdict(site: site.code, state: site.code == ExampleSite.hoaCuong ? .notReady : .ready,
                                              reasons: site.code == ExampleSite.hoaCuong
                                                  ? [Reason(code: .serviceDown, subject: "dvc", impact: .notReady, evidence: "connect_refused")] : [],
                                              evaluatedAt: now, reportGeneratedAt: now)
        }
        let notReady = try SiteQuery(["verdict": "not_ready"]).apply(sites: inventory.sites, verdicts: verdicts, lastReports: [:])
        #expect(notReady.map(\.site.code) == [ExampleSite.hoaCuong])
        let byReason = try SiteQuery(["reason": "SERVICE_DOWN"]).apply(sites: inventory.sites, verdicts: verdicts, lastReports: [:])
        #expect(byReason.map(\.site.code) == [ExampleSite.hoaCuong])
        let byName = try SiteQuery(["sort": "-name"]).apply(sites: inventory.sites, verdicts: verdicts, lastReports: [:])
        let folded = byName.map { SearchText.fold($0.site.name) }
        #expect(folded == folded.sorted(by: >))
        #expect(byName.count == inventory.sites.count)

        let model = SiteListModel(query: try SiteQuery(["page": "2"]), sites: inventory.sites, verdicts: verdicts, lastReports: [:],
                                  language: .vi, timeZone: OfficeTime.zone)
        #expect(model.matching == inventory.sites.count)
        #expect(model.pages == (inventory.sites.count + SiteListModel.pageSize - 1) / SiteListModel.pageSize)
        if inventory.sites.count > SiteListModel.pageSize {
            #expect(model.page == 2)
            #expect(model.previousHref == "/sites?page=1")
            #expect(model.rows.first?.code == inventory.sites.sorted { $0.code < $1.code }[SiteListModel.pageSize].code)
        }
        #expect(throws: CollectorError.self) { try SiteQuery(["verdict": "green"]) }
        #expect(throws: CollectorError.self) { try SiteQuery(["page": "0"]) }
    }

    /// The dashboard shows times on the configured office clock (`office_time_zone:`), not a fixed one.
    @Test func lastReportTimesAreOnTheConfiguredOfficeClock() async throws {
        let site = try #require(inventory.site(code: ExampleSite.haiChau))
        let at = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15 08:00 UTC
        func lastReport(_ zone: String) throws -> String? {
            let model = SiteListModel(query: try SiteQuery(["q": "hai chau"]), sites: [site], verdicts: [:],
                                      lastReports: [site.code: at], language: .en, timeZone: try #require(TimeZone(identifier: zone)))
            return model.rows.first?.lastReport
        }
        #expect(try lastReport("Asia/Ho_Chi_Minh") == "2027-01-15 15:00")
        #expect(try lastReport("Asia/Tokyo") == "2027-01-15 17:00")
    }

    @Test func csvHasEveryMatchingSiteNotOnlyOnePage() async throws {
        let csv = SiteListModel.csv(query: try SiteQuery(["q": "hai chau"]), sites: inventory.sites, verdicts: [:], lastReports: [:],
                                    language: .en, timeZone: OfficeTime.zone)
        let lines = csv.split(separator: "\r\n")
        #expect(lines.first?.hasPrefix("code,name,type,province,former_district") == true)
        let expected = try SiteQuery(["q": "hai chau"]).apply(sites: inventory.sites, verdicts: [:], lastReports: [:]).count
        #expect(lines.count == expected + 1)
        #expect(csv.contains(ExampleSite.haiChau))
    }
}

@Suite struct OverviewModelTests {
    @Test func figuresAreTheRollUpsAndTheTrendReplaysTransitions() async throws {
        let inventory = try exampleInventory()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let offices = inventory.offices
        var verdicts: [String: SiteVerdict] = [:]
        var history: [String: [VerdictTransition]] = [:]
        // Half of the offices became ready three days ago; the rest never reported.
        for site in offices.prefix(offices.count / 2) {
            verdicts[site.code] = SiteVerdict(site: site.code, state: .ready, reasons: [], evaluatedAt: now, reportGeneratedAt: now)
            history[site.code] = [VerdictTransition(at: now.addingTimeInterval(-3 * 86400), from: nil, to: .ready, reasons: [])]
        }
        let model = OverviewModel(sites: inventory.sites, verdicts: verdicts, recent: [], history: history, now: now, language: .vi, timeZone: OfficeTime.zone)
        let rollUp = RollUp(inventory.sites.map { SiteStatus(site: $0, verdict: verdicts[$0.code]) })
        #expect(model.ready == rollUp.overall.ready)
        #expect(model.total == rollUp.overall.total)
        #expect(model.ready == offices.count / 2)
        #expect(model.districts.map(\.total).reduce(0, +) == model.total)
        #expect(model.trend.count == 14)
        #expect(model.trend.first?.share == 0)
        #expect(abs((model.trend.last?.share ?? 0) - Double(offices.count / 2) / Double(offices.count)) < 1e-9)
        #expect(model.trendSVG.hasPrefix("<svg"))
        // A rising share gives a date; Vietnamese text.
        #expect(model.eta.hasPrefix("Với tốc độ hiện tại"))
        #expect(model.states.first { $0.cssClass == "st-unknown" }?.count == offices.count - offices.count / 2)
    }
}

@Suite struct EscapingTests {
    @Test func aSiteNamedScriptShowsAsText() async throws {
        var inventory = try exampleInventory()
        var sites = inventory.sites
        sites[0].name = "<script>alert(\"x\")</script> & 'quoted'"
        inventory = Inventory(sites: sites, profiles: inventory.profiles)
        let model = SiteListModel(query: try SiteQuery(["q": "script"]), sites: inventory.sites, verdicts: [:], lastReports: [:],
                                  language: .en, timeZone: OfficeTime.zone)
        #expect(model.rows.count == 1)
        let page = PageRenderer.render(page: PageRequest(path: "/sites", query: ["q": "script"], language: .en), template: "sites", model: model, title: sites[0].name,
                                       viewer: Viewer(name: "<b>bob</b>", role: .read, csrfToken: "t"), live: true, nav: "/sites")
        #expect(!page.contains("<script>alert"))
        #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;"))
        #expect(!page.contains("<b>bob</b>"))
        #expect(page.contains("&lt;b&gt;bob&lt;/b&gt;"))
        // The only script element is the embedded asset.
        #expect(page.components(separatedBy: "<script").count == 2)
        #expect(page.contains("<script src=\"\(Asset.script.path)\" defer></script>"))
    }
}

/// The rows the templates repeat name their fields themselves (`TemplateFields.swift`, so rendering needs no
/// reflection): every stored field must be there under its own name, or a template would print it empty.
@Suite struct TemplateFieldsTests {
    func expectEveryField(of row: some Any, _ child: (String) -> Any?) {
        let fields = Mirror(reflecting: row).children.compactMap { field in field.label.map { ($0, field.value) } }
        #expect(!fields.isEmpty)
        for (label, value) in fields {
            #expect(child(label).map { String(describing: $0) } == String(describing: value), "field \(label) of \(type(of: row))")
        }
        #expect(child("noSuchField") == nil)
    }

    @Test func everyRowTheTemplatesRepeatNamesEachOfItsFields() {
        // A tile stores its counts; what the template shows of it is derived (and named) from them.
        let tile = OverviewModel.Tile(name: "Hải Châu", ready: 3, total: 4, language: .vi)
        let shown: [String: String] = ["name": "Hải Châu", "href": "/sites?district=H%E1%BA%A3i%20Ch%C3%A2u", "ready": "3", "total": "4",
                                       "percent": "75,0 %", "band": "2"]
        for (field, value) in shown {
            #expect(tile.child(named: field).map { String(describing: $0) } == value, "tile field \(field)")
        }
        #expect(OverviewModel.Tile(name: "Hải Châu", ready: 3, total: 4, language: .en).child(named: "percent") as? String == "75.0%")
        let count = OverviewModel.CountRow(label: "Sẵn sàng", href: "/sites?verdict=ready", count: 7, cssClass: "ok")
        expectEveryField(of: count, count.child(named:))
        let change = OverviewModel.ChangeRow(time: "07:00 08/12/2026", site: "20242", siteName: "Phường Hải Châu", href: "/sites/20242",
                                             from: "–", to: "Sẵn sàng", toClass: "ok", reasons: "none")
        expectEveryField(of: change, change.child(named:))
        let option = SiteListModel.Option(value: "ready", label: "Sẵn sàng", selected: true)
        expectEveryField(of: option, option.child(named:))
        let row = SiteListModel.Row(code: "20242", name: "Phường Hải Châu", href: "/sites/20242", type: "phường", district: "Hải Châu",
                                    state: "Sẵn sàng", stateClass: "ok", reasons: "", lastReport: "07:00")
        expectEveryField(of: row, row.child(named:))
        let column = SiteListModel.Column(label: "Mã", href: "/sites?sort=code", ariaSort: "ascending")
        expectEveryField(of: column, column.child(named:))
    }
}
