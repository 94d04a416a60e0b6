import YAMLConfig
import Foundation
import Inventory
import ReadinessModel
import Testing
import TestSupport

@Suite("The example inventory")
struct ExampleInventoryTests {
    let inventory: Inventory

    init() throws {
        inventory = try InventoryLoader.load(paths: [packageRoot.appendingPathComponent("inventory").path])
    }

    @Test func hasEveryUnitOfDaNang() {
        #expect(inventory.sites.count == 94)
        #expect(inventory.offices.count == 93)
        #expect(Set(inventory.sites.map(\.code)).count == 94)
        #expect(inventory.sites.allSatisfy { $0.province == "Thành phố Đà Nẵng" && $0.profile == "default" })
        #expect(inventory.sites.allSatisfy { $0.name == $0.name.precomposedStringWithCanonicalMapping })
        let types = Dictionary(grouping: inventory.sites, by: \.type).mapValues(\.count)
        #expect(types == [.phuong: 23, .xa: 70, .dacKhu: 1])
        let hoangSa = inventory.site(code: "20333")
        #expect(hoangSa?.name == "Đặc khu Hoàng Sa")
        #expect(hoangSa?.hasOffice == false)
    }

    @Test func groupsByFormerDistrict() {
        #expect(inventory.sites.allSatisfy { !$0.formerDistrict.isEmpty })
        #expect(inventory.site(code: "20242")?.formerDistrict == "Hải Châu")
        #expect(inventory.site(code: "20194")?.formerDistrict == "Liên Chiểu")  // Hải Vân: kept Hòa Hiệp Bắc's code
        #expect(inventory.site(code: "20305")?.formerDistrict == "Cẩm Lệ")     // An Khê: kept Hòa Phát's code
        #expect(inventory.site(code: "20944")?.formerDistrict == "Nam Trà My")
        let counts = Dictionary(grouping: inventory.sites, by: \.formerDistrict).mapValues(\.count)
        #expect(counts == [
            "Liên Chiểu": 3, "Thanh Khê": 1, "Hải Châu": 2, "Sơn Trà": 2, "Ngũ Hành Sơn": 1, "Cẩm Lệ": 3,
            "Hòa Vang": 3, "Hoàng Sa": 1, "Tam Kỳ": 4, "Hội An": 4, "Tây Giang": 3, "Đông Giang": 4, "Đại Lộc": 5,
            "Điện Bàn": 6, "Duy Xuyên": 4, "Quế Sơn": 5, "Nam Giang": 6, "Phước Sơn": 5, "Hiệp Đức": 3,
            "Thăng Bình": 6, "Tiên Phước": 4, "Bắc Trà My": 5, "Nam Trà My": 5, "Núi Thành": 6, "Phú Ninh": 3,
        ])
        #expect(inventory.sites(inFormerDistrict: "Hải Châu").map(\.code) == ["20242", "20257"])
    }

    @Test func defaultProfileAndHighlandOverrides() async throws {
        let profile = try #require(inventory.profile(named: "default"))
        #expect(profile.links.map(\.role) == [.lan, .wan])
        #expect(profile.links.map(\.targetMbps) == [10_000, 200])
        #expect(profile.services.count == 18)
        #expect(profile.services.allSatisfy { $0.required })
        #expect(profile.throughput.servers[.wan] == ["iperf.tinh.example:5201"])
        #expect((profile.throughput.windowStart, profile.throughput.windowEnd) == ("22:00", "05:00"))

        let traLeng = try #require(inventory.site(code: "20938"))
        let effective = try #require(inventory.effectiveProfile(for: traLeng))
        #expect(effective.links.map(\.targetMbps) == [10_000, 100])
        #expect(inventory.sites.filter { !$0.overrides.isEmpty }.count == 3)
    }

    @Test func summaryCountsAndOrder() {
        let summary = InventorySummary(inventory)
        #expect((summary.units, summary.offices) == (94, 93))
        #expect(summary.byType.map(\.name) == ["phuong", "xa", "dac_khu"])
        #expect(summary.byFormerDistrict.count == 25)
        // Vietnamese order: D before Đ, Thanh before Thăng.
        let names = summary.byFormerDistrict.map(\.name)
        #expect(names.firstIndex(of: "Duy Xuyên")! < names.firstIndex(of: "Đại Lộc")!)
        #expect(names.firstIndex(of: "Thanh Khê")! < names.firstIndex(of: "Thăng Bình")!)
        #expect(summary.byFormerDistrict.first { $0.name == "Hoàng Sa" }.map { ($0.units, $0.offices) }! == (1, 0))
        #expect(summary.profiles.map(\.name) == ["default"])
    }
}

@Suite("Inventory errors")
struct InventoryErrorTests {
    @Test func validDocumentWithDefaults() async throws {
        let inventory = try InventoryLoader.decode([profilesSource, InventorySource(file: "t.yaml", text: """
            province: Thành phố Đà Nẵng
            sites:
              - code: "20242"
                name: Phường Hải Châu
                type: phuong
                location: {lat: 16.0678, lon: 108.2208}
                contacts: [{name: Nguyễn Văn A, role: IT, phone: "0236 3800000"}]
                overrides:
                  link_targets: {wan: 100 Mbit/s}
                  skip_services: [ntp]
                  extra_services: [{name: local, kind: tcp, host: 192.0.2.1, port: 22}]
            """)])
        let site = try #require(inventory.site(code: "20242"))
        #expect(site.province == "Thành phố Đà Nẵng")
        #expect(site.profile == "default")
        #expect(site.hasOffice)
        #expect(site.location == GeoLocation(latitude: 16.0678, longitude: 108.2208))
        #expect(site.contacts == [Contact(name: "Nguyễn Văn A", role: "IT", phone: "0236 3800000")])
        let effective = try #require(inventory.effectiveProfile(for: site))
        #expect(effective.services.map(\.name) == ["vneid", "local"])
        #expect(effective.links.first { $0.role == .wan }?.targetMbps == 100)
    }

    @Test func maintenanceWindowsOnceAndWeekly() async throws {
        let inventory = try InventoryLoader.decode([profilesSource, InventorySource(file: "t.yaml", text: """
            province: P
            sites:
              - code: "20242"
                name: Phường Hải Châu
                type: phuong
                maintenance:
                  - {start: "2026-12-05T22:00:00+07:00", end: "2026-12-06T02:00:00+07:00", comment: Nâng cấp switch}
                  - {days: [sat, sun], from: "22:00", to: "02:00"}
            """)])
        let windows = try #require(inventory.site(code: "20242")?.maintenance)
        #expect(windows.count == 2)
        #expect(windows[0].start == ISO8601DateFormatter().date(from: "2026-12-05T15:00:00Z"))
        #expect(windows[0].comment == "Nâng cấp switch")
        #expect(windows[1].weekly == MaintenanceWindow.Weekly(days: [6, 7], fromMinute: 22 * 60, toMinute: 120))
    }

    @Test func badMaintenanceWindowsNameLineAndField() {
        let found = errors("""
            province: P
            sites:
              - code: "20242"
                name: A
                type: phuong
                maintenance:
                  - {start: "2026-12-05 22:00", end: "2026-12-06T02:00:00+07:00"}
                  - {start: "2026-12-06T02:00:00+07:00", end: "2026-12-05T22:00:00+07:00"}
                  - {days: [sunday], from: "22:00", to: "02:00"}
                  - {days: [sun], from: "25:00", to: "02:00"}
                  - {comment: nothing}
            """)
        #expect(found.map(summary) == [
            "bad_time t.yaml:7:17 sites[0].maintenance[0].start",
            "bad_value t.yaml:8:51 sites[0].maintenance[1].end",
            "bad_enum_value t.yaml:9:17 sites[0].maintenance[2].days[0]",
            "bad_time t.yaml:10:29 sites[0].maintenance[3].from",
            "missing_key t.yaml:11:9 sites[0].maintenance[4].days",
        ])
    }

    @Test func profilesAsAMapping() async throws {
        let inventory = try InventoryLoader.decode([InventorySource(file: "p.yaml", text: """
            profiles:
              highland:
                description: Mountain communes
                links: [{role: wan, target_mbps: 100M}]
            sites:
              - {code: "20938", name: Xã Trà Leng, type: xa, province: P, profile: highland}
            """)])
        #expect(inventory.profile(named: "highland")?.links.first?.targetMbps == 100)
    }

    @Test func duplicateSiteCodeNamesBothPlaces() {
        let found = errors("""
            province: P
            sites:
              - {code: "20242", name: A, type: phuong}
              - code: "20257"
                name: B
                type: phuong
              - code: "20242"
                name: C
                type: phuong
            """)
        #expect(found.map(summary) == ["duplicate_site_code t.yaml:7:11 sites[2].code"])
        #expect(found.first?.message == "duplicate site code \"20242\" (first defined at t.yaml:3:12)")
    }

    @Test func unknownProfileWithSuggestion() {
        let found = errors("""
            province: P
            sites:
              - code: "20242"
                name: A
                type: phuong
                profile: defualt
            """)
        #expect(found.map(summary) == ["unknown_profile t.yaml:6:14 sites[0].profile"])
        #expect(found.first?.message == "unknown profile \"defualt\" (did you mean \"default\"?)")
    }

    @Test func unknownFileDefaultProfileIsReportedOnce() {
        let found = errors("""
            province: P
            profile: highland
            sites:
              - {code: "20242", name: A, type: phuong}
              - {code: "20257", name: B, type: phuong}
            """)
        #expect(found.map(summary) == ["unknown_profile t.yaml:2:10 profile"])
    }

    @Test func badTarget() {
        let found = errors("""
            profiles:
              - name: other
                links:
                  - role: wan
                    target_mbps: 10 Gbit/x
            """)
        #expect(found.map(summary) == ["bad_target t.yaml:5:22 profiles[0].links[0].target_mbps"])
        #expect(found.first?.message.hasPrefix("bad target \"10 Gbit/x\": unknown unit") == true)
    }

    @Test func unknownKeyWithSuggestion() {
        let found = errors("""
            province: P
            sites:
              - code: "20242"
                name: A
                type: phuong
                former_distrcit: Hải Châu
            """)
        #expect(found.map(summary) == ["unknown_key t.yaml:6:5 sites[0].former_distrcit"])
        #expect(found.first?.message == "unknown key \"former_distrcit\" (did you mean \"former_district\"?)")
    }

    @Test func wrongType() {
        let found = errors("""
            province: P
            sites:
              - code: "20242"
                name: A
                type: phuong
                has_office: "no"
              - code: "20257"
                name: [B]
                type: phuong
            """)
        #expect(found.map(summary) == ["wrong_type t.yaml:6:17 sites[0].has_office", "wrong_type t.yaml:8:11 sites[1].name"])
        #expect(found.map(\.message) == ["expected true or false, found \"no\"", "expected a string, found a list"])
    }

    @Test func yamlSyntaxError() {
        let found = errors("""
            sites:
              - code: "20242"
                name: [Phường Hải Châu
                type: phuong
            """)
        #expect(found.map(summary) == ["yaml_syntax t.yaml:4:9 "])
        #expect(found.first?.description.hasPrefix("t.yaml:4:9: YAML syntax error: did not find expected ',' or ']'") == true)
    }

    @Test func duplicateKeyInOneMapping() {
        let found = errors("sites:\n  - {code: \"20242\", name: A, type: xa, code: \"20243\"}\n")
        #expect(found.map(summary) == ["duplicate_key t.yaml:2:6 "])
    }

    @Test func missingRequiredKey() {
        let found = errors("""
            province: P
            sites:
              - code: "20242"
                type: phuong
            """)
        #expect(found.map(summary) == ["missing_key t.yaml:3:5 sites[0].name"])
        #expect(found.first?.message == "missing required key \"name\"")
    }

    @Test func provinceIsRequiredWithoutAFileDefault() {
        let found = errors("sites:\n  - {code: \"20242\", name: A, type: phuong}\n")
        #expect(found.map(summary) == ["missing_key t.yaml:2:5 sites[0].province"])
    }

    @Test func duplicateProfileName() {
        let found = errors("""
            profiles:
              - name: default
            """)
        #expect(found.map(summary) == ["duplicate_profile_name t.yaml:2:11 profiles[0]"])
        #expect(found.first?.message == "duplicate profile \"default\" (first defined at profiles.yaml:2:11)")
    }

    @Test func reportsEveryErrorAtOnceInFileOrder() {
        let found = errors("""
            province: P
            sites:
              - code: "2024"
                name: A
                type: phuongg
                location: {lat: 91, lon: 108}
              - code: "20257"
                name: B
                type: xa
                overrides:
                  link_targets: {wan: 100 MB/s}
                  skip_services: [vneld]
            profiles:
              - name: night
                throughput:
                  window_start: "25:00"
                  servers: {wan: ["iperf.tinh.example:99999"]}
            """)
        #expect(found.map(summary) == [
            "invalid_code t.yaml:3:11 sites[0].code",
            "bad_enum_value t.yaml:5:11 sites[0].type",
            "out_of_range t.yaml:6:21 sites[0].location.lat",
            "bad_target t.yaml:11:27 sites[1].overrides.link_targets.wan",
            "unknown_service t.yaml:12:23 sites[1].overrides.skip_services[0]",
            "bad_time t.yaml:16:21 profiles[0].throughput.window_start",
            "bad_value t.yaml:17:23 profiles[0].throughput.servers.wan[0]",
        ])
        #expect(found[1].message == "\"phuongg\" is not one of phuong, xa, dac_khu (did you mean \"phuong\"?)")
        #expect(found[4].message == "profile \"default\" has no service \"vneld\" (did you mean \"vneid\"?)")
    }

    @Test func errorsAcrossFilesAreSortedByFileThenLine() {
        do {
            _ = try InventoryLoader.decode([
                InventorySource(file: "a.yaml", text: "province: P\nsites:\n  - {code: \"20242\", name: A, type: xa}\n"),
                InventorySource(file: "b.yaml", text: "nonsense: 1\n"),
            ])
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map(summary) == ["unknown_profile a.yaml:3:5 sites[0].profile",
                                                  "unknown_key b.yaml:1:1 nonsense"])
            #expect(error.description == """
                a.yaml:3:5: sites[0].profile: unknown profile "default"
                b.yaml:1:1: nonsense: unknown key "nonsense"
                """)
        }
    }

    @Test func missingPathIsAnError() {
        #expect(throws: InventoryErrors.self) { try InventoryLoader.load(paths: ["/nonexistent/inventory"]) }
    }
}

@Suite("Link targets")
struct TargetSpeedTests {
    @Test(arguments: [
        ("200", 200), ("200M", 200), ("200 Mbit/s", 200), ("200 Mbps", 200), ("200 mbps", 200), ("200 Mb/s", 200),
        ("10G", 10_000), ("10 Gbit/s", 10_000), ("1.5 Gbit/s", 1500), ("10_000", 10_000), ("2T", 2_000_000),
        ("500000 kbit/s", 500),
    ])
    func parses(text: String, mbps: Int) {
        #expect(TargetSpeed.megabits(from: text) == mbps)
    }

    @Test(arguments: ["", "fast", "200 MB/s", "10 Gbit/x", "0", "-5", "0.5M", "1.2.3G", "1500 kbit/s", "10 GHz"])
    func refuses(text: String) {
        #expect(TargetSpeed.megabits(from: text) == nil)
    }
}
