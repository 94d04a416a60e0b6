import Foundation
import Hummingbird
import HummingbirdTesting
import ReadinessModel
import SansangAPI
import Testing
import TestSupport

/// GET /api/v1/reports/weekly in its four formats, on the example inventory; the JSON validated against openapi.yaml.
@Suite struct WeeklyReportAPITests {
    @Test func everyFormatAnswersAndBadParametersAreRefused() async throws {
        try await APIFixture.run { fixture, client in
            let log = ResponseLog()
            let offices = fixture.collector.inventory.offices.count
            try await client.execute(uri: "/api/v1/reports/weekly?week=2026-W48", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "application/json")
                let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                #expect(body["week"] as? String == "2026-W48")
                #expect(body["total"] as? Int == offices)
                #expect((body["sites"] as? [Any])?.count == offices)
                #expect((body["trend"] as? [Any])?.count == 12)
                try log.keep("/api/v1/reports/weekly", "get", response)
            }
            try await client.execute(uri: "/api/v1/reports/weekly?week=2026-W48&format=html&lang=en", method: .get,
                                     headers: bearer(fixture.nocToken)) { response in
                let html = String(buffer: response.body)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(html.contains("<html lang=\"en\"") && html.contains("src=\"data:image/png;base64,iVBORw0KGgo"))
            }
            try await client.execute(uri: "/api/v1/reports/weekly?week=2026-W48&format=csv", method: .get,
                                     headers: bearer(fixture.nocToken)) { response in
                let lines = String(buffer: response.body).split(separator: "\r\n", omittingEmptySubsequences: true)
                #expect(lines.count == offices + 1, "a header and one row per office")
                #expect(response.headers[.contentDisposition] == "attachment; filename=\"sites-2026-W48.csv\"")
            }
            try await client.execute(uri: "/api/v1/reports/weekly?week=2026-W48&format=text", method: .get,
                                     headers: bearer(fixture.nocToken)) { response in
                #expect(String(buffer: response.body).contains("0/\(offices)"))
            }
            for (query, code) in [("week=2026-48", "bad_parameter"), ("week=2026-W48&format=pdf", "bad_parameter"),
                                  ("week=2026-W48&lang=fr", "bad_parameter")] {
                try await client.execute(uri: "/api/v1/reports/weekly?\(query)", method: .get, headers: bearer(fixture.nocToken)) { response in
                    #expect(response.status == .badRequest && errorCode(response) == code, "\(query)")
                    try log.keep("/api/v1/reports/weekly", "get", response)
                }
            }
            let siteToken = try #require(fixture.siteTokens.values.first)
            try await client.execute(uri: "/api/v1/reports/weekly", method: .get, headers: bearer(siteToken)) { response in
                #expect(response.status == .forbidden)
                try log.keep("/api/v1/reports/weekly", "get", response)
            }
            let output = try await log.validate(in: fixture.directory)
            #expect(output.contains("\(log.count) responses checked, 0 failures"), "\(output)")
        }
    }
}
