import CollectorCore
import CollectorHTTP
import CollectorStore
import CollectorTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

@Suite struct BadInputTests {
    struct Case: Sendable {
        var name: String
        var method: HTTPRequest.Method = .post
        var uri = "/api/v1/reports"
        /// Documented path template, for the schema check.
        var path = "/api/v1/reports"
        var token: String?
        var contentEncoding: String?
        var contentType = "application/json"
        var body: ByteBuffer?
        var status: HTTPResponse.Status
        var code: APIErrorCode
    }

    @Test func eachBadRequestGetsItsStatusAndCodeAndChangesNothing() async throws {
        let log = ResponseLog()
        let limit = 64 * 1024
        try await APIFixture.run(maxBodyBytes: limit) { fixture, client in
            let inventory = fixture.collector.inventory
            let now = Date()
            let haiChau = fixture.siteTokens[ExampleSite.haiChau]!
            let revoked = try await fixture.collector.tokens.issue(site: ExampleSite.haiChau)
            _ = try await fixture.collector.tokens.revoke(id: revoked.record.id)
            let good = try encode(ReportBatch(reports: [readyReport(inventory, site: ExampleSite.haiChau, seq: 1, at: now)]))
            let otherSite = try encode(ReportBatch(reports: [readyReport(inventory, site: ExampleSite.hoaCuong, seq: 1, at: now)]))
            var version2 = String(buffer: good)
            version2 = version2.replacingOccurrences(of: "\"format_version\":1", with: "\"format_version\":2")
            var noBootId = String(buffer: good)
            noBootId = noBootId.replacingOccurrences(of: "\"boot_id\":\"boot-1\"", with: "\"boot_id\":\"\"")
            let oversized = ByteBuffer(string: "{\"reports\": [\"" + String(repeating: "x", count: limit + 1) + "\"]}")
            // Small on the wire, larger than the limit once decompressed.
            let bomb = try gzip(ByteBuffer(string: "{\"reports\": [\"" + String(repeating: "x", count: limit * 4) + "\"]}"))
            let wrongSecret = String(haiChau.dropLast(4)) + "AAAA"
            // Issue 14, item 4: inputs that behave well, now held by a test.
            var invalidUTF8 = ByteBuffer(string: "{\"reports\": [\"")
            invalidUTF8.writeBytes([0xff, 0xfe, 0xc3, 0x28])
            invalidUTF8.writeString("\"]}")
            let zeroInterval = String(buffer: good).replacingOccurrences(of: "\"interval_s\":60", with: "\"interval_s\":0")
            let hugeInterval = String(buffer: good).replacingOccurrences(of: "\"interval_s\":60",
                                                                         with: "\"interval_s\":9223372036854775807")

            let cases: [Case] = [
                Case(name: "malformed JSON", token: haiChau, body: ByteBuffer(string: "{\"reports\": [{"), status: .badRequest,
                     code: .malformedJSON),
                Case(name: "wrong format_version", token: haiChau, body: ByteBuffer(string: version2), status: .badRequest,
                     code: .unsupportedFormat),
                Case(name: "invalid report", token: haiChau, body: ByteBuffer(string: noBootId), status: .badRequest,
                     code: .invalidReport),
                Case(name: "not a batch", token: haiChau, body: ByteBuffer(string: "[1, 2]"), status: .badRequest, code: .invalidReport),
                Case(name: "oversized body", token: haiChau, body: oversized, status: .contentTooLarge, code: .bodyTooLarge),
                Case(name: "gzip bomb", token: haiChau, contentEncoding: "gzip", body: bomb, status: .contentTooLarge,
                     code: .bodyTooLarge),
                Case(name: "corrupt gzip", token: haiChau, contentEncoding: "gzip", body: good, status: .badRequest,
                     code: .malformedJSON),
                Case(name: "invalid UTF-8", token: haiChau, body: invalidUTF8, status: .badRequest, code: .malformedJSON),
                Case(name: "unsupported Content-Encoding", token: haiChau, contentEncoding: "br", body: good, status: .badRequest,
                     code: .badParameter),
                Case(name: "interval_s 0", token: haiChau, body: ByteBuffer(string: zeroInterval), status: .badRequest,
                     code: .invalidReport),
                Case(name: "interval_s 2^63-1", token: haiChau, body: ByteBuffer(string: hugeInterval), status: .badRequest,
                     code: .invalidReport),
                Case(name: "not JSON declared", token: haiChau, contentType: "text/plain", body: good, status: .unsupportedMediaType,
                     code: .unsupportedMediaType),
                Case(name: "no token", body: good, status: .unauthorized, code: .unauthenticated),
                Case(name: "wrong token", token: wrongSecret, body: good, status: .unauthorized, code: .unauthenticated),
                Case(name: "revoked token", token: revoked.token, body: good, status: .unauthorized, code: .tokenRevoked),
                Case(name: "another site's report", token: haiChau, body: otherSite, status: .forbidden, code: .siteMismatch),
                Case(name: "NOC token on ingest", token: fixture.nocToken, body: good, status: .forbidden, code: .forbidden),
                Case(name: "NOC token on plan", method: .get, uri: "/api/v1/plan", path: "/api/v1/plan", token: fixture.nocToken,
                     status: .forbidden, code: .forbidden),
                Case(name: "site token on readiness", method: .get, uri: "/api/v1/readiness", path: "/api/v1/readiness",
                     token: haiChau, status: .forbidden, code: .forbidden),
                Case(name: "site token on sites", method: .get, uri: "/api/v1/sites", path: "/api/v1/sites", token: haiChau,
                     status: .forbidden, code: .forbidden),
                Case(name: "site token on site", method: .get, uri: "/api/v1/sites/20242", path: "/api/v1/sites/{code}",
                     token: haiChau, status: .forbidden, code: .forbidden),
                Case(name: "site token on history", method: .get, uri: "/api/v1/sites/20242/history",
                     path: "/api/v1/sites/{code}/history", token: haiChau, status: .forbidden, code: .forbidden),
                Case(name: "no token on sites", method: .get, uri: "/api/v1/sites", path: "/api/v1/sites", status: .unauthorized,
                     code: .unauthenticated),
                Case(name: "bad group_by", method: .get, uri: "/api/v1/readiness?group_by=color", path: "/api/v1/readiness",
                     token: fixture.nocToken, status: .badRequest, code: .badParameter),
                Case(name: "bad verdict", method: .get, uri: "/api/v1/sites?verdict=green", path: "/api/v1/sites",
                     token: fixture.nocToken, status: .badRequest, code: .badParameter),
                Case(name: "bad limit", method: .get, uri: "/api/v1/sites?limit=0", path: "/api/v1/sites",
                     token: fixture.nocToken, status: .badRequest, code: .badParameter),
                Case(name: "bad from", method: .get, uri: "/api/v1/sites/20242/history?from=yesterday",
                     path: "/api/v1/sites/{code}/history", token: fixture.nocToken, status: .badRequest, code: .badParameter),
                Case(name: "unknown site", method: .get, uri: "/api/v1/sites/99999", path: "/api/v1/sites/{code}",
                     token: fixture.nocToken, status: .notFound, code: .notFound),
                Case(name: "unknown route", method: .get, uri: "/api/v1/nothing", path: "", token: fixture.nocToken,
                     status: .notFound, code: .notFound),
            ]
            let verdictsBefore = try await fixture.collector.store.currentVerdicts()
            for item in cases {
                var headers = bearer(item.token)
                if let encoding = item.contentEncoding { headers[.contentEncoding] = encoding }
                if item.body != nil { headers[.contentType] = item.contentType }
                try await client.execute(uri: item.uri, method: item.method, headers: headers, body: item.body) { response in
                    #expect(response.status == item.status, "\(item.name)")
                    #expect(errorCode(response) == item.code.rawValue, "\(item.name)")
                    #expect(response.headers[.contentType] == "application/json", "\(item.name)")
                    if item.status == .unauthorized { #expect(response.headers[.wwwAuthenticate] == "Bearer", "\(item.name)") }
                    if !item.path.isEmpty { try log.keep(item.path, item.method.rawValue.lowercased(), response) }
                }
            }
            // Nothing was stored and no verdict moved.
            for site in [ExampleSite.haiChau, ExampleSite.hoaCuong] {
                #expect(try await fixture.collector.store.reportCount(site: site) == 0)
                #expect(try await fixture.collector.store.latestReport(site: site) == nil)
            }
            #expect(try await fixture.collector.store.currentVerdicts() == verdictsBefore)
        }
        try await withTemporaryDirectory { dir in
            let output = try await log.validate(in: dir)
            #expect(output.contains("\(log.count) responses checked, 0 failures"))
        }
    }
}
