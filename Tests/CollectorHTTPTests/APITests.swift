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

@Suite struct APITests {
    @Test func everyEndpointWithRealDataMatchesOpenAPI() async throws {
        let log = ResponseLog()
        try await APIFixture.run { fixture, client in
            let inventory = fixture.collector.inventory
            let now = Date()
            let haiChau = fixture.siteTokens[ExampleSite.haiChau]
            let hoaCuong = fixture.siteTokens[ExampleSite.hoaCuong]
            let noc = fixture.nocToken

            // Ingest: a ready site (plain JSON), a site short of its LAN target (gzip), a replay.
            let gap = GapRecord(count: 2, firstSeq: 1, lastSeq: 2, from: now - 180, to: now - 120)
            let ready = ReportBatch(reports: [readyReport(inventory, site: ExampleSite.haiChau, seq: 3, at: now, gap: gap)])
            try await client.execute(uri: "/api/v1/reports", method: .post, headers: bearer(haiChau), body: try encode(ready)) { response in
                #expect(response.status == .accepted)
                #expect(try decode(IngestAcknowledgement.self, response).stored == [ReportKey(bootId: "boot-1", seq: 3)])
                try log.keep("/api/v1/reports", "post", response)
            }
            let slow = ReportBatch(reports: [readyReport(inventory, site: ExampleSite.hoaCuong, seq: 1, at: now, lanMbps: 1000)])
            var headers = bearer(hoaCuong)
            headers[.contentEncoding] = "gzip"
            try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers, body: try gzip(try encode(slow))) { response in
                #expect(response.status == .accepted)
                try log.keep("/api/v1/reports", "post", response)
            }
            try await client.execute(uri: "/api/v1/reports", method: .post, headers: bearer(haiChau), body: try encode(ready)) { response in
                #expect(response.status == .accepted)
                let ack = try decode(IngestAcknowledgement.self, response)
                #expect(ack.stored.isEmpty)
                #expect(ack.duplicates == [ReportKey(bootId: "boot-1", seq: 3)])
                try log.keep("/api/v1/reports", "post", response)
            }
            #expect(try await fixture.collector.store.reportCount(site: ExampleSite.haiChau) == 1)

            // Plan with ETag and 304.
            let etag = try await client.execute(uri: "/api/v1/plan", method: .get, headers: bearer(fixture.siteTokens[ExampleSite.traLeng])) { response in
                #expect(response.status == .ok)
                let plan = try decode(AgentPlan.self, response)
                #expect(plan.site.code == ExampleSite.traLeng)
                #expect(plan.profile.links.first { $0.role == .wan }?.targetMbps == 100)
                #expect(response.headers[.eTag] == "\"\(plan.version)\"")
                try log.keep("/api/v1/plan", "get", response)
                return response.headers[.eTag] ?? ""
            }
            var conditional = bearer(fixture.siteTokens[ExampleSite.traLeng])
            conditional[.ifNoneMatch] = etag
            try await client.execute(uri: "/api/v1/plan", method: .get, headers: conditional) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }

            // Roll-ups by each dimension and none.
            for group in ["", "?group_by=province", "?group_by=former_district", "?group_by=type", "?group_by=profile"] {
                try await client.execute(uri: "/api/v1/readiness\(group)", method: .get, headers: bearer(noc)) { response in
                    #expect(response.status == .ok)
                    let body = try decode(ReadinessBody.self, response)
                    #expect(body.overall.summary == "1/93")
                    #expect(body.overall.byReason["LINK_BELOW_TARGET:lan"] == 1)
                    try log.keep("/api/v1/readiness", "get", response)
                }
            }
            try await client.execute(uri: "/api/v1/readiness?group_by=former_district", method: .get, headers: bearer(noc)) { response in
                let groups = try decode(ReadinessBody.self, response).groups
                #expect(groups.first { $0.key == "Hải Châu" }?.tally.summary == "1/2")
            }

            // Site lists with each filter.
            let queries: [(String, [String])] = [
                ("verdict=not_ready", [ExampleSite.hoaCuong]),
                ("verdict=ready", [ExampleSite.haiChau]),
                ("reason=LINK_BELOW_TARGET:lan", [ExampleSite.hoaCuong]),
                ("reason=LINK_BELOW_TARGET", [ExampleSite.hoaCuong]),
                ("former_district=H%E1%BA%A3i%20Ch%C3%A2u", [ExampleSite.haiChau, ExampleSite.hoaCuong]),
                // As curl --data-urlencode and HTML forms send it.
                ("former_district=H%e1%ba%a3i+Ch%c3%a2u", [ExampleSite.haiChau, ExampleSite.hoaCuong]),
                ("province=Th%C3%A0nh%20ph%E1%BB%91%20%C4%90%C3%A0%20N%E1%BA%B5ng&former_district=H%E1%BA%A3i%20Ch%C3%A2u&limit=1&offset=1",
                 [ExampleSite.hoaCuong]),
            ]
            for (query, codes) in queries {
                try await client.execute(uri: "/api/v1/sites?\(query)", method: .get, headers: bearer(noc)) { response in
                    #expect(response.status == .ok, "\(query)")
                    #expect(try decode(SiteListBody.self, response).items.map(\.code) == codes, "\(query)")
                    try log.keep("/api/v1/sites", "get", response)
                }
            }
            try await client.execute(uri: "/api/v1/sites?limit=1000", method: .get, headers: bearer(noc)) { response in
                let list = try decode(SiteListBody.self, response)
                #expect(list.total == 94)
                #expect(list.items.first { $0.code == ExampleSite.hoangSa }?.state == nil)
                try log.keep("/api/v1/sites", "get", response)
            }

            // Site detail and history.
            for code in [ExampleSite.haiChau, ExampleSite.hoaCuong, ExampleSite.hoangSa, ExampleSite.thanhKhe] {
                try await client.execute(uri: "/api/v1/sites/\(code)", method: .get, headers: bearer(noc)) { response in
                    #expect(response.status == .ok)
                    #expect(try decode(SiteDetailBody.self, response).site.code == code)
                    try log.keep("/api/v1/sites/{code}", "get", response)
                }
            }
            let from = ISO8601DateFormatter().string(from: now - 3600)
            let to = ISO8601DateFormatter().string(from: now + 3600)
            try await client.execute(uri: "/api/v1/sites/\(ExampleSite.haiChau)/history?from=\(from)&to=\(to)", method: .get,
                                     headers: bearer(noc)) { response in
                #expect(response.status == .ok)
                let history = try decode(SiteHistoryBody.self, response)
                #expect(history.transitions.map(\.to) == [.unknown, .ready])
                #expect(history.points.contains { $0.series == "link:lan:nic" && $0.value == 10000 })
                #expect(history.points.contains { $0.series == "throughput:wan:upload" })
                // Times go over the wire in whole seconds.
                #expect(history.gaps.map { [$0.count, Int($0.firstSeq), Int($0.lastSeq)] } == [[2, 1, 2]])
                try log.keep("/api/v1/sites/{code}/history", "get", response)
            }
            try await client.execute(uri: "/api/v1/sites/\(ExampleSite.thanhKhe)/history", method: .get, headers: bearer(noc)) { response in
                #expect(response.status == .ok)
                try log.keep("/api/v1/sites/{code}/history", "get", response)
            }

            // Operations endpoints.
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                try log.keep("/healthz", "get", response)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                try log.keep("/readyz", "get", response)
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == CollectorApp.openAPIDocument)
                #expect(CollectorApp.openAPIDocument.hasPrefix("openapi: 3.0"))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("sansang_reports_stored_total 2"))
                #expect(text.contains("sansang_reports_duplicate_total 1"))
                #expect(text.contains("sansang_ingest_batches_total 3"))
                #expect(text.contains(#"sansang_http_requests_total{route="/api/v1/reports",method="POST",status="202"} 3"#))
                #expect(text.contains("sansang_evaluation_duration_seconds_count"))
            }
        }
        try await withTemporaryDirectory { dir in
            let output = try await log.validate(in: dir)
            #expect(output.contains("\(log.count) responses checked, 0 failures"))
        }
    }
}
