import YAMLConfig
import Foundation
import Inventory
import ReadinessModel
import Testing

@Suite("CSV import")
struct ImportTests {
    /// Quoted fields with commas and quotes, CRLF line ends, Vietnamese type names, a decomposed (NFD) name.
    let spreadsheet = "code,name,type,former_district,lat,lon,has_office,profile\r\n"
        + "20242,Phường Hải Châu,phuong,Hải Châu,16.0678,108.2208,,\r\n"
        + "20938,\"Xã Trà Leng, \"\"vùng cao\"\"\",Xã,Nam Trà My,,,yes,default\r\n"
        + "20333,Đặc khu Hoàng Sa,Đặc khu,Hoàng Sa,,,false,\r\n"
        + "20257,\("Phường Hòa Cường".decomposedStringWithCanonicalMapping),phuong,Hải Châu,,,,\r\n"

    @Test func importThenLoadGivesTheSameSites() async throws {
        let sites = try SiteImport.sites(csv: spreadsheet, file: "sites.csv",
                                         options: .init(province: "Thành phố Đà Nẵng"))
        #expect(sites.map(\.code) == ["20242", "20938", "20333", "20257"])
        #expect(sites[1].name == "Xã Trà Leng, \"vùng cao\"")
        #expect(sites[1].type == .xa)
        #expect(sites[2].type == .dacKhu && !sites[2].hasOffice)
        #expect(sites[0].location == GeoLocation(latitude: 16.0678, longitude: 108.2208))
        #expect(sites[3].name == "Phường Hòa Cường".precomposedStringWithCanonicalMapping)
        #expect(sites[3].name.unicodeScalars.count == "Phường Hòa Cường".precomposedStringWithCanonicalMapping.unicodeScalars.count)

        let yaml = InventoryWriter.yaml(sites: sites, comment: ["test"])
        let inventory = try InventoryLoader.decode([profilesSource, InventorySource(file: "sites.yaml", text: yaml)])
        #expect(inventory.sites == sites)
    }

    @Test func writerRoundTripsEveryField() async throws {
        let site = Site(code: "20716", name: "Xã Đắc Pring", type: .xa, province: "P: \"quoted\"", formerDistrict: "Nam Giang",
                        location: GeoLocation(latitude: 15.6, longitude: 107.5),
                        contacts: [Contact(name: "true", role: "IT # 1", phone: "0235 000", email: "a@example.org")],
                        hasOffice: true, profile: "default",
                        overrides: ProfileOverrides(linkTargets: [.wan: 100, .lan: 1000], skipServices: ["ntp"],
                                                    extraServices: [ServiceCheck(name: "x", kind: .https, host: "x.example",
                                                                                 port: 8443, path: "/a b", required: false,
                                                                                 thresholds: ServiceThresholds(slowMilliseconds: 500))]))
        let other = Site(code: "20710", name: "Xã Bến Giằng", type: .xa, province: "Q", profile: "default")
        let yaml = InventoryWriter.yaml(sites: [site, other])
        let inventory = try InventoryLoader.decode([profilesSource, InventorySource(file: "w.yaml", text: yaml)])
        #expect(inventory.sites == [site, other])
    }

    @Test func badRowsNameLineAndColumn() {
        let csv = "code,name,type\n20242,Phường Hải Châu,phuong\n2025,Phường Hòa Cường,phường\n20242,\"Trùng\",xa\n"
        do {
            _ = try SiteImport.sites(csv: csv, file: "sites.csv", options: .init(province: "P"))
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map(summary) == [
                "invalid_code sites.csv:3:1 code",
                "duplicate_site_code sites.csv:4:1 code",
            ])
            #expect(error.errors.map(\.description) == [
                "sites.csv:3:1: code: invalid code \"2025\": must be 5 digits, e.g. \"20242\"",
                "sites.csv:4:1: code: duplicate site code \"20242\" (first on line 2)",
            ])
        }
    }

    @Test func badTypeAndMissingProvince() {
        let csv = "code,name,type\n20242,Phường Hải Châu,phuongg\n"
        do {
            _ = try SiteImport.sites(csv: csv, file: "s.csv")
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map(summary) == ["bad_enum_value s.csv:2:23 type", "missing_key s.csv:2:1 province"])
        }
    }

    @Test func headerProblems() {
        do {
            _ = try SiteImport.sites(csv: "code,nmae,type,lat\n", file: "s.csv")
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map(summary) == ["unknown_key s.csv:1:6 nmae", "missing_key s.csv:1:1 name"])
            #expect(error.errors.first?.message == "unknown column \"nmae\" (did you mean \"name\"?)")
        }
    }

    @Test func unterminatedQuote() {
        do {
            _ = try SiteImport.sites(csv: "code,name,type\n20242,\"Phường Hải Châu,phuong\n", file: "s.csv")
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map(summary) == ["csv_syntax s.csv:2:7 "])
        }
    }

    @Test func formerDistrictRule() async throws {
        let units = InventorySource(file: "units.csv", text: """
            old_code,old_name,new_code
            10001,A,10001
            20001,B,10001
            20002,C,10001
            10002,D,30000
            20003,E,30000
            20004,F,30000
            10003,G,30001
            20005,H,30001

            """)
        let ranges = InventorySource(file: "ranges.csv", text: """
            district,first_code,last_code
            Một,10001,10003
            Hai,20001,20005
            Ba,40000,40000

            """)
        let map = try FormerDistrictMap(formerUnits: units, districtRanges: ranges)
        #expect(map.district(forNewCode: "10001") == "Một")  // kept its code, although Hai gave more units
        #expect(map.district(forNewCode: "30000") == "Hai")  // no code kept: most units
        #expect(map.district(forNewCode: "30001") == "Một")  // tie: the lowest old code
        #expect(map.district(forNewCode: "40000") == "Ba")   // no old units: its own code
        #expect(map.district(forNewCode: "50000") == nil)

        let csv = "code,name,type\n10001,Xã A,xa\n50000,Xã Z,xa\n"
        do {
            _ = try SiteImport.sites(csv: csv, file: "s.csv", options: .init(province: "P", formerDistricts: map))
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map(summary) == ["unresolved_former_district s.csv:3:1 code"])
        }
    }

    @Test func overlappingRangesAreRefused() {
        let units = InventorySource(file: "u.csv", text: "old_code,new_code\n")
        let ranges = InventorySource(file: "r.csv", text: "district,first_code,last_code\nA,1,10\nB,5,20\n")
        #expect(throws: InventoryErrors.self) { try FormerDistrictMap(formerUnits: units, districtRanges: ranges) }
    }
}
