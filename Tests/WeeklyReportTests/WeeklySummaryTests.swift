import Foundation
import ReadinessModel
import Testing
import WeeklyReport

@Suite struct WeeklySummaryTests {
    typealias F = Fixture

    static let haiChau = F.site("20242", "Phường Hải Châu", "Hải Châu")
    static let hoaCuong = F.site("20257", "Phường Hòa Cường", "Hải Châu")
    static let sonTra = F.site("20263", "Phường Sơn Trà", "Sơn Trà")
    static let anHai = F.site("20275", "Phường An Hải", "Sơn Trà")
    static let baNa = F.site("20311", "Xã Bà Nà", "Hòa Vang")
    static let hoaVang = F.site("20308", "Xã Hòa Vang", "Hòa Vang")
    static let hoangSa = Site(code: "20335", name: "Đặc khu Hoàng Sa", type: .dacKhu, formerDistrict: "Hoàng Sa", hasOffice: false)
    static let sites = [haiChau, hoaCuong, sonTra, anHai, baNa, hoaVang, hoangSa]

    @Test func newlyReadyAndTheChange() {
        let summary = WeeklySummary(F.input(
            sites: Self.sites,
            now: ["20242": F.verdict(.ready), "20257": F.verdict(.ready), "20263": F.verdict(.ready)],
            before: ["20242": F.verdict(.ready), "20263": F.verdict(.notReady, ["THROUGHPUT_LOW:wan"])]))
        // 20257 had no verdict last week, 20263 was not ready: both newly ready.
        #expect(summary.newlyReady.map(\.code) == ["20257", "20263"])
        #expect(summary.newlyReady.first?.name == "Phường Hòa Cường")
        #expect(summary.newlyReady.first?.formerDistrict == "Hải Châu")
        #expect((summary.ready, summary.total, summary.readyPrevious, summary.change) == (3, 6, 1, 2))
        #expect(summary.regressed.isEmpty)
    }

    @Test func regressedWithReasons() async throws {
        let summary = WeeklySummary(F.input(
            sites: Self.sites,
            now: ["20242": F.verdict(.notReady, ["LINK_BELOW_TARGET:lan", "SPEED_MISMATCH:lan"]), "20263": F.verdict(.degraded, ["SERVICE_SLOW:dvc"])],
            before: ["20242": F.verdict(.ready), "20263": F.verdict(.ready), "20257": F.verdict(.ready)]))
        // 20257 lost its verdict: it regressed too, with NO_DATA.
        #expect(summary.regressed.map(\.site.code) == ["20242", "20257", "20263"])
        let haiChau = try #require(summary.regressed.first)
        #expect(haiChau.previous == .ready)
        #expect(haiChau.current == .notReady)
        #expect(haiChau.reasons.map(\.description) == ["LINK_BELOW_TARGET:lan", "SPEED_MISMATCH:lan"])
        #expect(summary.regressed[1].current == .unknown)
        #expect(summary.regressed[1].reasons.map(\.description) == ["NO_DATA"])
        #expect(summary.regressed[2].current == .degraded)
        #expect(summary.change == -3)
    }

    @Test func stillNotReadyByDistrictThenReason() async throws {
        let summary = WeeklySummary(F.input(
            sites: Self.sites,
            now: [
                "20242": F.verdict(.ready),
                "20257": F.verdict(.notReady, ["LINK_BELOW_TARGET:lan"]),
                "20263": F.verdict(.notReady, ["THROUGHPUT_LOW:wan", "SERVICE_DOWN:dvc"]),
                "20275": F.verdict(.degraded, ["SERVICE_DOWN:dvc"]),
                "20311": F.verdict(.notReady, ["THROUGHPUT_LOW:wan", "THROUGHPUT_LOW:wan"]),
            ],
            before: ["20257": F.verdict(.notReady), "20263": F.verdict(.notReady), "20275": F.verdict(.unknown),
                     "20311": F.verdict(.notReady), "20308": F.verdict(.degraded)]))
        // Most offices not ready first, ties in alphabetical order: Hòa Vang 2, Sơn Trà 2, Hải Châu 1.
        #expect(summary.stillNotReady.map(\.district) == ["Hòa Vang", "Sơn Trà", "Hải Châu"])
        let sonTra = try #require(summary.stillNotReady.first { $0.district == "Sơn Trà" })
        #expect(sonTra.sites == 2)  // 20263 has two reasons but counts once
        #expect(sonTra.reasons.map(\.key.description) == ["SERVICE_DOWN:dvc", "THROUGHPUT_LOW:wan"])
        #expect(sonTra.reasons[0].sites.map(\.code) == ["20263", "20275"])
        #expect(sonTra.reasons[1].sites.map(\.code) == ["20263"])
        let hoaVang = try #require(summary.stillNotReady.first { $0.district == "Hòa Vang" })
        // 20308 has no verdict now: NO_DATA; 20311's repeated reason lists it once.
        #expect(hoaVang.reasons.map(\.key.description) == ["NO_DATA", "THROUGHPUT_LOW:wan"])
        #expect(hoaVang.reasons[1].sites.map(\.code) == ["20311"])
    }

    @Test func missingVerdictCountsAsNotReadyWithNoData() async throws {
        let summary = WeeklySummary(F.input(sites: [Self.haiChau, Self.hoaCuong], now: ["20242": F.verdict(.ready)], before: [:]))
        #expect((summary.ready, summary.total) == (1, 2))
        let row = try #require(summary.sites.first { $0.code == "20257" })
        #expect(row.state == .unknown)
        #expect(row.reasons.map(\.description) == ["NO_DATA"])
        #expect(row.previousState == nil)
        #expect(summary.stillNotReady.first?.reasons.first?.key.description == "NO_DATA")
    }

    @Test func aNotReadyOfficeWithoutReasonsKeepsItsDistrictListed() async throws {
        let summary = WeeklySummary(F.input(sites: [Self.haiChau], now: ["20242": F.verdict(.degraded)],
                                            before: ["20242": F.verdict(.degraded)]))
        let district = try #require(summary.stillNotReady.first)
        #expect(district.district == "Hải Châu")
        #expect(district.sites == 1)
        #expect(district.reasons.isEmpty)
    }

    @Test func unitsWithoutAnOfficeAreNotCounted() {
        let summary = WeeklySummary(F.input(sites: Self.sites, now: ["20335": F.verdict(.ready)], before: [:]))
        #expect(summary.total == 6)
        #expect(summary.ready == 0)
        #expect(summary.sites.map(\.code) == ["20242", "20257", "20263", "20275", "20311", "20308"])  // inventory order
        #expect(summary.withoutOffice.map(\.name) == ["Đặc khu Hoàng Sa"])
        #expect(!summary.districts.map(\.district).contains("Hoàng Sa"))
    }

    @Test func districtFiguresAlphabeticalIgnoringDiacritics() {
        let summary = WeeklySummary(F.input(
            sites: Self.sites, now: ["20242": F.verdict(.ready), "20311": F.verdict(.ready)],
            before: ["20242": F.verdict(.ready)]))
        #expect(summary.districts.map(\.district) == ["Hải Châu", "Hòa Vang", "Sơn Trà"])
        #expect(summary.districts.map { [$0.ready, $0.total, $0.readyPrevious] } == [[1, 2, 1], [1, 2, 0], [0, 2, 0]])
    }

    struct PaceCase: Sendable, CustomTestStringConvertible {
        let name: String
        let history: [Int]
        let readyNow: Int
        let pace: Double?
        /// Weeks from 2026-W48, its week and its Sunday; nil for no estimate.
        let estimate: (weeks: Int, week: String, lastDay: String)?
        var testDescription: String { name }
    }

    static let paceCases = [
        // +9 over the last 4 intervals: 2.25 a week, 12 left → 6 weeks, across 2026's 53rd week.
        PaceCase(name: "positive", history: [60, 65, 70, 72, 74, 75, 78, 81], readyNow: 81, pace: 2.25,
                 estimate: (6, "2027-W01", "2027-01-10")),
        PaceCase(name: "zero", history: [70, 75, 80, 80, 80, 80, 80], readyNow: 80, pace: 0, estimate: nil),
        PaceCase(name: "negative", history: [81, 80, 79, 78, 77], readyNow: 77, pace: -1, estimate: nil),
        PaceCase(name: "short history", history: [70, 75, 79], readyNow: 79, pace: 4.5, estimate: (4, "2026-W52", "2026-12-27")),
        PaceCase(name: "one week only", history: [80], readyNow: 80, pace: nil, estimate: nil),
        PaceCase(name: "all ready, no progress", history: [93, 93, 93, 93, 93], readyNow: 93, pace: 0, estimate: (0, "2026-W48", "2026-11-29")),
    ]

    @Test(arguments: paceCases) func paceAndEstimate(_ c: PaceCase) throws {
        let offices = (0..<93).map { F.site(String(30_000 + $0), "Xã Số \($0)", "Hòa Vang") }
        let now = Dictionary(uniqueKeysWithValues: offices.prefix(c.readyNow).map { ($0.code, F.verdict(.ready)) })
        let summary = WeeklySummary(F.input(sites: offices, now: now, before: [:], history: F.history(c.history, total: 93)))
        #expect(summary.pace == c.pace)
        #expect(summary.estimate.map { [String($0.weeks), $0.week.description, $0.lastDay.description] }
            == c.estimate.map { [String($0.weeks), $0.week, $0.lastDay] })
    }

    @Test func serviceAvailabilityWorstFirst() {
        let summary = WeeklySummary(F.input(sites: [], now: [:], before: [:], services: [
            ServiceTally(service: "dns", ok: 100, total: 100), ServiceTally(service: "vpn", ok: 0, total: 0),
            ServiceTally(service: "mail", ok: 95, total: 100), ServiceTally(service: "dvc", ok: 180, total: 200),
            ServiceTally(service: "ntp", ok: 190, total: 200),
        ]))
        #expect(summary.services.map(\.service) == ["dvc", "mail", "ntp", "dns", "vpn"])
        #expect(summary.services.map(\.percent) == [90, 95, 95, 100, nil])
        #expect(summary.services.first.map { [$0.ok, $0.total] } == [180, 200])
    }

    @Test func jsonHasSnakeCaseKeysAndDecodesBack() async throws {
        let summary = WeeklySummary(F.danang)
        let data = try summary.json()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == [
            "week", "first_day", "last_day", "generated_at", "time_zone", "title", "ready", "total", "ready_previous",
            "change", "newly_ready", "regressed", "still_not_ready", "districts", "pace", "estimate", "services", "trend",
            "sites", "without_office",
        ])
        #expect(object["week"] as? String == "2026-W48")
        #expect(object["generated_at"] as? String == "2026-11-30T00:00:00Z")
        #expect((object["estimate"] as? [String: Any])?["last_day"] as? String == "2027-01-10")
        let row = try #require((object["sites"] as? [[String: Any]])?.first)
        #expect(Set(row.keys) == ["code", "name", "type", "former_district", "state", "reasons", "previous_state"])
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("formerDistrict") && !text.contains("readyPrevious") && !text.contains("newlyReady"))
        let back = try WeeklySummary.decode(json: data)
        #expect(try back.json() == data)
    }

    @Test func theDaNangWeek() {
        let summary = WeeklySummary(F.danang)
        #expect((summary.ready, summary.total, summary.readyPrevious, summary.change) == (81, 93, 78, 3))
        #expect(summary.newlyReady.count == 4)
        #expect(summary.regressed.map(\.site.code) == [F.regressedOffice.code])
        #expect(summary.stillNotReady.reduce(0) { $0 + $1.sites } == 11)
        #expect(summary.sites.count == 93)
        #expect(summary.districts.reduce(0) { $0 + $1.total } == 93)
        #expect(summary.districts.count == 24)  // 25 former districts; Hoàng Sa has no office
    }
}
