import CollectorTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

/// Issue 14, item 25 (the rest): where openapi.yaml and the server disagreed. Every answer below is kept and checked
/// against the document (scripts/validate-api-responses.py: its status must be declared for that operation and
/// its body match): before, 413 from `POST /api/v1/enroll` and 503 from the reads were not declared, 405 had no
/// declaration at all, a silence without site, rule or labels was schema-valid, a silence with an unknown key was
/// accepted although `additionalProperties: false`, and `Report` said `additionalProperties: false` while the
/// server accepted (and must accept, docs/report-format.md) unknown keys.
@Suite struct APIDocumentAgreementTests {
    /// The paths of openapi.yaml and the methods each declares (HEAD wherever GET), read from the document itself.
    static func documentedPaths() throws -> [(path: String, methods: Set<String>)] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Sources/CollectorHTTP/openapi.yaml"), encoding: .utf8)
        var paths: [(path: String, methods: Set<String>)] = []
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.hasPrefix(" "), !line.isEmpty { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                paths.append((path: String(line.dropFirst(2).dropLast()), methods: []))
            } else if let method = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" }), !paths.isEmpty {
                paths[paths.count - 1].methods.insert(method.uppercased())
                if method == "get" { paths[paths.count - 1].methods.insert("HEAD") }
            }
        }
        return paths
    }

    /// Every method a documented path does not list answers 405 with `Allow` naming exactly the ones it does, and a
    /// body the document declares (components/responses/MethodNotAllowed); before, the document declared none.
    @Test func everyMethodAPathDoesNotListIs405WithItsAllow() async throws {
        let paths = try Self.documentedPaths()
        #expect(paths.count >= 16 && paths.contains { $0.path == "/api/v1/silences" && $0.methods == ["GET", "HEAD", "POST"] },
                "\(paths)")
        let log = ResponseLog()
        try await APIFixture.run { fixture, client in
            for (path, methods) in paths {
                let uri = path.replacingOccurrences(of: "{code}", with: ExampleSite.haiChau).replacingOccurrences(of: "{id}", with: "abc")
                for method in [HTTPRequest.Method.get, .head, .post, .put, .patch, .delete, .options] where !methods.contains(method.rawValue) {
                    try await client.execute(uri: uri, method: method, headers: bearer(fixture.adminToken)) { response in
                        #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                        let allow = Set((response.headers[.allow] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                        #expect(allow == methods, "\(method) \(uri): Allow: \(response.headers[.allow] ?? "none")")
                        guard method != .head else { return }  // no body
                        #expect(errorCode(response) == APIErrorCode.methodNotAllowed.rawValue, "\(method) \(uri)")
                        try log.keep(path, method.rawValue.lowercased(), response)
                    }
                }
            }
        }
        #expect(log.count > 50, "\(log.count) answers")
        try await withTemporaryDirectory { dir in
            let output = try await log.validate(in: dir)
            #expect(output.contains("\(log.count) responses checked, 0 failures"), "\(output)")
        }
    }

    /// Each operation that takes a body answers a body over its limit with 413 `body_too_large`, as the document
    /// declares for it (before: not for `POST /api/v1/enroll`, whose limit is 4096 bytes).
    @Test func aBodyOverEachOperationsLimitIs413AsDocumented() async throws {
        let log = ResponseLog()
        try await APIFixture.run(maxBodyBytes: 64 * 1024) { fixture, client in
            for (path, limit, token) in [("/api/v1/reports", 64 * 1024, fixture.siteTokens[ExampleSite.haiChau]),
                                         ("/api/v1/enroll", 4096, nil), ("/api/v1/silences", 64 * 1024, fixture.adminToken)] {
                let body = ByteBuffer(string: "{\"comment\": \"" + String(repeating: "a", count: limit) + "\"}")
                var headers = bearer(token)
                headers[.contentType] = "application/json"
                try await client.execute(uri: path, method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .contentTooLarge, "\(path): \(String(buffer: response.body))")
                    #expect(errorCode(response) == APIErrorCode.bodyTooLarge.rawValue, "\(path)")
                    try log.keep(path, "post", response)
                }
            }
        }
        try await withTemporaryDirectory { dir in
            let output = try await log.validate(in: dir)
            #expect(output.contains("3 responses checked, 0 failures"), "\(output)")
        }
    }

    /// A report with keys this collector does not know, at every level (an agent newer than its collector), is
    /// stored (202) without them: they are not stored and not part of its digest, so the same report without them
    /// is a duplicate, not a conflict. A throughput direction it does not know is refused: a new one needs format 2.
    @Test func unknownReportKeysAreAcceptedAndNotStored() async throws {
        let log = ResponseLog()
        try await APIFixture.run { fixture, client in
            let report = readyReport(fixture.collector.inventory, site: ExampleSite.haiChau, seq: 7, at: Date(),
                                     gap: GapRecord(count: 1, firstSeq: 5, lastSeq: 5, from: Date(timeIntervalSinceNow: -120),
                                                    to: Date(timeIntervalSinceNow: -120)))
            var tree = try #require(try JSONSerialization.jsonObject(with: ReportCoding.encoder().encode(report)) as? [String: Any])
            tree["x_future_top"] = ["nested": [1, 2, 3]]
            for key in ["agent", "clock", "gap"] {
                var object = try #require(tree[key] as? [String: Any], "\(key)")
                object["x_future_\(key)"] = "newer agent"
                tree[key] = object
            }
            var links = try #require(tree["links"] as? [[String: Any]])
            links[0]["x_future_link"] = true
            if var speed = links[0]["speed"] as? [[String: Any]], !speed.isEmpty {
                speed[0]["x_future_speed"] = 1
                links[0]["speed"] = speed
            }
            tree["links"] = links
            var services = try #require(tree["services"] as? [[String: Any]])
            #expect(!services.isEmpty)
            services[0]["x_future_service"] = ["a": "b"]
            tree["services"] = services
            var headers = bearer(fixture.siteTokens[ExampleSite.haiChau])
            headers[.contentType] = "application/json"
            let extended = try JSONSerialization.data(withJSONObject: ["reports": [tree]])
            try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers,
                                     body: ByteBuffer(bytes: extended)) { response in
                #expect(response.status == .accepted, "\(String(buffer: response.body))")
                let ack = try decode(IngestAcknowledgement.self, response)
                #expect(ack.stored == [ReportKey(report)])
                try log.keep("/api/v1/reports", "post", response)
            }
            try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers,
                                     body: try encode(ReportBatch(reports: [report]))) { response in
                #expect(response.status == .accepted)
                let ack = try decode(IngestAcknowledgement.self, response)
                #expect(ack.duplicates == [ReportKey(report)] && ack.conflicts.isEmpty, "\(ack)")
                try log.keep("/api/v1/reports", "post", response)
            }
            try await client.execute(uri: "/api/v1/sites/\(ExampleSite.haiChau)", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("\"latest_report\"") && !text.contains("x_future"), "\(text)")
                try log.keep("/api/v1/sites/{code}", "get", response)
            }
            // An unknown throughput direction (an enum key) is refused, naming the field.
            let throughputLink = try #require(links.firstIndex { $0["throughput"] != nil })
            var throughput = try #require(links[throughputLink]["throughput"] as? [String: Any])
            throughput["mbps"] = ["sideways": 10.0]
            links[throughputLink]["throughput"] = throughput
            tree["links"] = links
            tree["seq"] = 8
            try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers,
                                     body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["reports": [tree]]))) { response in
                #expect(response.status == .badRequest)
                #expect(errorCode(response) == APIErrorCode.invalidReport.rawValue)
                #expect(String(buffer: response.body).contains("mbps"), "\(String(buffer: response.body))")
                try log.keep("/api/v1/reports", "post", response)
            }
        }
        try await withTemporaryDirectory { dir in
            let output = try await log.validate(in: dir)
            #expect(output.contains("4 responses checked, 0 failures"), "\(output)")
        }
    }

    /// The document's `ReportBatch` against the report decoder's corpus (scripts/validate-report-corpus.py): every
    /// `ok-*` body the collector accepts, the document admits (before: not one with a link's `traffic` or an unknown
    /// key), and every `invalid-*` or `unsupported-*` body it refuses, the document refuses too, but for a rule
    /// across fields (a gap's `from` after its `to`).
    @Test func theReportSchemaAgreesWithTheDecoderCorpus() async throws {
        let output = try await run(["python3", packageRoot.appendingPathComponent("scripts/validate-report-corpus.py").path,
                                    packageRoot.appendingPathComponent("Sources/CollectorHTTP/openapi.yaml").path,
                                    packageRoot.appendingPathComponent("Tests/Corpus/report-decoder").path])
        #expect(output.contains("0 disagreements") && !output.contains(" 0 bodies"), "\(output)")
    }

    /// What the document now says of a silence holds: site, rule or labels (not empty labels); no unknown key (a
    /// "sites" typo would have muted every site's alerts of the rule); a body of the wrong shape is a 400 in words,
    /// never Swift's `DecodingError` text; and `from` after `to` in a history is a 400.
    @Test func silenceRulesAndHistoryRangeAreAsDocumented() async throws {
        let log = ResponseLog()
        try await APIFixture.run { fixture, client in
            var headers = bearer(fixture.adminToken)
            headers[.contentType] = "application/json"
            let end = ISO8601DateFormatter().string(from: Date(timeIntervalSinceNow: 3600))
            for (body, code, mentions) in [
                ("{\"ends_at\": \"\(end)\", \"comment\": \"x\"}", "bad_parameter", "site, rule or labels"),
                ("{\"labels\": {}, \"ends_at\": \"\(end)\", \"comment\": \"x\"}", "bad_parameter", "site, rule or labels"),
                ("{\"sites\": \"\(ExampleSite.haiChau)\", \"rule\": \"agent_silent\", \"ends_at\": \"\(end)\", \"comment\": \"x\"}",
                 "bad_parameter", "sites"),
                ("{\"site\": 20242, \"ends_at\": \"\(end)\", \"comment\": \"x\"}", "bad_parameter", "site"),
                ("{\"site\": \"\(ExampleSite.haiChau)\", \"comment\": \"x\"}", "bad_parameter", "ends_at"),
                ("{\"site\": ", "malformed_json", "JSON"),
            ] {
                try await client.execute(uri: "/api/v1/silences", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    let text = String(buffer: response.body)
                    #expect(response.status == .badRequest && errorCode(response) == code, "\(body): \(text)")
                    #expect(text.contains(mentions), "\(body): \(text)")
                    #expect(!text.contains("DecodingError") && !text.contains("CodingKeys"), "\(body): \(text)")
                    try log.keep("/api/v1/silences", "post", response)
                }
            }
            try await client.execute(uri: "/api/v1/silences", method: .post, headers: headers,
                                     body: ByteBuffer(string: "{\"labels\": {\"severity\": \"warning\"}, \"ends_at\": \"\(end)\", \"comment\": \"bảo trì\"}")) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                try log.keep("/api/v1/silences", "post", response)
            }
            try await client.execute(uri: "/api/v1/sites/\(ExampleSite.haiChau)/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
                                     method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(response.status == .badRequest && errorCode(response) == APIErrorCode.badParameter.rawValue)
                #expect(String(buffer: response.body).contains("from must not be after to"))
                try log.keep("/api/v1/sites/{code}/history", "get", response)
            }
        }
        try await withTemporaryDirectory { dir in
            let output = try await log.validate(in: dir)
            #expect(output.contains("8 responses checked, 0 failures"), "\(output)")
        }
    }
}
