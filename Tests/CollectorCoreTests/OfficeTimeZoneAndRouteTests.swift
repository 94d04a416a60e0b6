import CollectorCore
import Foundation
import ReadinessModel
import SansangAPI
import Testing
import YAMLConfig

@Suite struct OfficeTimeZoneConfigurationTests {
    @Test func defaultIsVietnam() throws {
        let defaults = try CollectorConfiguration.parse(yaml: "", file: "c.yaml")
        #expect(defaults.officeTimeZone.identifier == "Asia/Ho_Chi_Minh")
        #expect(defaults.officeTimeZone.secondsFromGMT(for: Date(timeIntervalSince1970: 1_751_875_200)) == 7 * 3600)
    }

    @Test func keyIsRead() throws {
        let parsed = try CollectorConfiguration.parse(yaml: "office_time_zone: Asia/Bangkok\n", file: "c.yaml")
        #expect(parsed.officeTimeZone.identifier == "Asia/Bangkok")
    }

    @Test func unknownZoneNamesFileLineAndField() {
        do {
            _ = try CollectorConfiguration.parse(yaml: "retention_days: 30\noffice_time_zone: Asia/Hanoi-ish\n", file: "c.yaml")
            Issue.record("accepted an unknown time zone")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.count == 1, "\(lines)")
            #expect(lines.first?.hasPrefix("c.yaml:2:19: office_time_zone:") == true, "\(lines)")
            #expect(lines.first?.contains("not a time zone name") == true, "\(lines)")
        }
    }
}

@Suite struct APIRouteTests {
    @Test func pathsFillParametersInOrder() {
        #expect(APIRoute.site.pattern == "/api/v1/sites/:code")
        #expect(APIRoute.site.path("20242") == "/api/v1/sites/20242")
        #expect(APIRoute.siteHistory.path("20242") == "/api/v1/sites/20242/history")
        #expect(APIRoute.readiness.path() == "/api/v1/readiness")
    }

    /// A value cannot reach another route: '/' and '?' are escaped inside its segment.
    @Test func valuesAreEscapedAsOneSegment() {
        #expect(APIRoute.silence.path("a/b?c") == "/api/v1/silences/a%2Fb%3Fc")
        #expect(APIRoute.site.path("Hải Châu") == "/api/v1/sites/H%E1%BA%A3i%20Ch%C3%A2u")
    }
}
