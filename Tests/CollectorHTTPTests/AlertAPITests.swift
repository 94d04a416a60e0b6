import CollectorAlerts
import Foundation
import Hummingbird
import HummingbirdTesting
import ReadinessModel
import SansangAPI
import Testing
import TestSupport

/// /api/v1/alerts, /api/v1/alerts/notifications and /api/v1/silences against the repository's default rules,
/// every answer validated against openapi.yaml.
@Suite struct AlertAPITests {
    @Test func alertsSilencesAndTheLogAnswerAsDocumented() async throws {
        try await APIFixture.run { fixture, client in
            let log = ResponseLog()
            // No agent has ever reported: agent_silent fires on every office at once.
            let now = Date()
            try await fixture.alerts.evaluate(now: now)

            try await client.execute(uri: "/api/v1/alerts", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(response.status == .ok)
                let body = try decode(AlertListBody.self, response)
                let offices = fixture.collector.inventory.offices.count
                #expect(body.items.filter { $0.rule == "agent_silent" && $0.state == "firing" }.count == offices)
                #expect(body.items.first { $0.site == "20242" }?.summary == "Phường Hải Châu (20242): agent chưa từng gửi báo cáo")
                try log.keep("/api/v1/alerts", "get", response)
            }
            try await client.execute(uri: "/api/v1/alerts?state=pending&lang=en", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(try decode(AlertListBody.self, response).items.isEmpty)
                try log.keep("/api/v1/alerts", "get", response)
            }
            try await client.execute(uri: "/api/v1/alerts?state=burning", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(response.status == .badRequest && errorCode(response) == "bad_parameter")
                try log.keep("/api/v1/alerts", "get", response)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("sansang_alerts{state=\"firing\"} \(fixture.collector.inventory.offices.count)"), "\(text)")
                #expect(text.contains("sansang_alerts{state=\"pending\"} 0"))
            }
            // A province-wide silence of agents is one message listing every office, not one per office.
            try await client.execute(uri: "/api/v1/alerts/notifications", method: .get, headers: bearer(fixture.nocToken)) { response in
                let items = try decode(AlertNotificationListBody.self, response).items
                #expect(items.count == 1)
                #expect(items.first?.sites.count == fixture.collector.inventory.offices.count)
                #expect(items.first?.receiver == "noc-email" && items.first?.sentAt == nil)
                try log.keep("/api/v1/alerts/notifications", "get", response)
            }

            let request = SilenceRequest(site: "20242", endsAt: now.addingTimeInterval(3600), comment: "Thay switch tầng 2")
            try await client.execute(uri: "/api/v1/silences", method: .post, headers: bearer(fixture.nocToken), body: try encode(request)) { response in
                #expect(response.status == .forbidden, "a read token cannot silence")
                try log.keep("/api/v1/silences", "post", response)
            }
            var id = ""
            try await client.execute(uri: "/api/v1/silences", method: .post, headers: bearer(fixture.adminToken), body: try encode(request)) { response in
                #expect(response.status == .created)
                let silence = try decode(Silence.self, response)
                #expect(silence.author == "trực ban" && silence.site == "20242")
                id = silence.id
                try log.keep("/api/v1/silences", "post", response)
            }
            for (bad, code) in [
                (SilenceRequest(endsAt: now.addingTimeInterval(3600), comment: "x"), "bad_parameter"),
                (SilenceRequest(rule: "agent_silnet", endsAt: now.addingTimeInterval(3600), comment: "x"), "bad_parameter"),
                (SilenceRequest(site: "20242", endsAt: now.addingTimeInterval(-60), comment: "x"), "bad_parameter"),
                (SilenceRequest(site: "99999", endsAt: now.addingTimeInterval(3600), comment: "x"), "bad_parameter"),
                (SilenceRequest(site: "20242", endsAt: now.addingTimeInterval(3600), comment: " "), "bad_parameter"),
                // Issue 14, item 24: the author is the authenticated user, never the body's.
                (SilenceRequest(site: "20242", endsAt: now.addingTimeInterval(3600), author: "giám đốc", comment: "x"), "bad_parameter"),
            ] {
                try await client.execute(uri: "/api/v1/silences", method: .post, headers: bearer(fixture.adminToken), body: try encode(bad)) { response in
                    #expect(response.status == .badRequest && errorCode(response) == code, "\(bad)")
                    try log.keep("/api/v1/silences", "post", response)
                }
            }
            try await client.execute(uri: "/api/v1/silences", method: .post, headers: bearer(fixture.adminToken),
                                     body: ByteBuffer(string: "{\"site\": ")) { response in
                #expect(response.status == .badRequest && errorCode(response) == "malformed_json")
                try log.keep("/api/v1/silences", "post", response)
            }
            // The silence mutes the office's alert; the others stay unmuted.
            try await client.execute(uri: "/api/v1/alerts", method: .get, headers: bearer(fixture.nocToken)) { response in
                let items = try decode(AlertListBody.self, response).items
                #expect(items.filter(\.muted).map(\.site) == ["20242"])
            }
            try await client.execute(uri: "/api/v1/silences", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(try decode(SilenceListBody.self, response).items.map(\.id) == [id])
                try log.keep("/api/v1/silences", "get", response)
            }
            try await client.execute(uri: "/api/v1/silences/\(id)", method: .delete, headers: bearer(fixture.adminToken)) { response in
                #expect(response.status == .ok)
                #expect(try decode(Silence.self, response).endsAt <= Date())
                try log.keep("/api/v1/silences/{id}", "delete", response)
            }
            try await client.execute(uri: "/api/v1/silences/nosuch", method: .delete, headers: bearer(fixture.adminToken)) { response in
                #expect(response.status == .notFound)
                try log.keep("/api/v1/silences/{id}", "delete", response)
            }
            try await client.execute(uri: "/api/v1/silences", method: .get, headers: bearer(fixture.nocToken)) { response in
                let items = try decode(SilenceListBody.self, response).items
                #expect(items.isEmpty, "an expired silence is not listed")
            }
            try await client.execute(uri: "/api/v1/silences?expired=true", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(try decode(SilenceListBody.self, response).items.map(\.id) == [id])
                try log.keep("/api/v1/silences", "get", response)
            }
            let output = try await log.validate(in: fixture.directory)
            #expect(output.contains("\(log.count) responses checked, 0 failures"), "\(output)")
        }
    }
}
