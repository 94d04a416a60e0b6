import CollectorCore
import CollectorHTTP
import CollectorStore
import CollectorTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Inventory
import Logging
import Metrics
import ReadinessModel
import SansangAPI
import Synchronization
import TestSupport
import Testing

/// Issue 14 over HTTP: refusals that pass (3), conflicts (2), headers and media types (24), log injection (20).
@Suite struct HostileHTTPTests {
    /// A site missing from the inventory answers 409 `unknown_site` with Retry-After (the agent keeps the batch).
    @Test func unknownSiteIs409WithRetryAfter() async throws {
        try await APIFixture.run { fixture, client in
            let full = fixture.collector.inventory
            fixture.collector.replaceInventory(Inventory(sites: full.sites.filter { $0.code != ExampleSite.haiChau },
                                                         profiles: full.profiles))
            let batch = try encode(ReportBatch(reports: [readyReport(full, site: ExampleSite.haiChau, seq: 1, at: Date())]))
            var headers = bearer(fixture.siteTokens[ExampleSite.haiChau])
            headers[.contentType] = "application/json"
            try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers, body: batch) { response in
                #expect(response.status == .conflict)
                #expect(errorCode(response) == APIErrorCode.unknownSite.rawValue)
                #expect(response.headers[.retryAfter] == "60")
            }
            fixture.collector.replaceInventory(full)
            try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers, body: batch) { response in
                #expect(response.status == .accepted)
            }
        }
    }

    /// The same id with other content: 202 with the key under `conflicts` (not `duplicates`), counted in /metrics.
    @Test func conflictIsListedSeparatelyAndCounted() async throws {
        let log = ResponseLog()
        try await APIFixture.run { fixture, client in
            let original = readyReport(fixture.collector.inventory, site: ExampleSite.haiChau, seq: 1, at: Date())
            var clone = original
            clone.agent.hostname = "a-cloned-disk"
            var headers = bearer(fixture.siteTokens[ExampleSite.haiChau])
            headers[.contentType] = "application/json"
            for report in [original, original, clone] {
                try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers,
                                         body: try encode(ReportBatch(reports: [report]))) { response in
                    #expect(response.status == .accepted)
                    try log.keep("/api/v1/reports", "post", response)
                }
            }
            let acks = try await [original, clone].asyncMap { report in
                try await fixture.collector.ingest(ReportBatch(reports: [report]), from: .site(ExampleSite.haiChau))
            }
            #expect(acks[0] == IngestAcknowledgement(stored: [], duplicates: [ReportKey(original)], conflicts: []))
            #expect(acks[1] == IngestAcknowledgement(stored: [], duplicates: [], conflicts: [ReportKey(original)]))
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("sansang_reports_conflict_total 2"))
            }
        }
        try await withTemporaryDirectory { dir in
            let output = try await log.validate(in: dir)
            #expect(output.contains("3 responses checked, 0 failures"), "\(output)")
        }
    }

    /// Issue 14, item 4, within the default 4 MiB body limit: a batch over 1000 and JSON nested 100,000 deep.
    @Test func bigBatchesAndDeepNestingAreRefused() async throws {
        try await APIFixture.run { fixture, client in
            let report = readyReport(fixture.collector.inventory, site: ExampleSite.haiChau, seq: 1, at: Date())
            let tooMany = try encode(ReportBatch(reports: (1...1001).map { seq in
                var copy = report
                copy.seq = UInt64(seq)
                return copy
            }))
            let deep = ByteBuffer(string: String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
            var headers = bearer(fixture.siteTokens[ExampleSite.haiChau])
            headers[.contentType] = "application/json"
            for (body, code) in [(tooMany, APIErrorCode.invalidReport), (deep, .malformedJSON)] {
                try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .badRequest)
                    #expect(errorCode(response) == code.rawValue)
                }
            }
            #expect(try await fixture.collector.store.reportCount(site: ExampleSite.haiChau) == 0)
        }
    }

    /// API data is never cached or sniffed; a body declared as something else than JSON is refused with 415.
    @Test func headersAndMediaTypes() async throws {
        try await APIFixture.run { fixture, client in
            try await client.execute(uri: "/api/v1/readiness", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/api/v1/nothing", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
            }
            let batch = try encode(ReportBatch(reports: [readyReport(fixture.collector.inventory, site: ExampleSite.haiChau, seq: 1,
                                                                      at: Date())]))
            for type in ["text/plain", "application/x-www-form-urlencoded"] {
                var headers = bearer(fixture.siteTokens[ExampleSite.haiChau])
                headers[.contentType] = type
                try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers, body: batch) { response in
                    #expect(response.status == .unsupportedMediaType, "\(type)")
                    #expect(errorCode(response) == APIErrorCode.unsupportedMediaType.rawValue, "\(type)")
                }
            }
            #expect(try await fixture.collector.store.reportCount(site: ExampleSite.haiChau) == 0)
            var headers = bearer(fixture.siteTokens[ExampleSite.haiChau])
            headers[.contentType] = "application/json; charset=utf-8"
            try await client.execute(uri: "/api/v1/reports", method: .post, headers: headers, body: batch) { response in
                #expect(response.status == .accepted)
            }
        }
    }

    /// Before: a newline in a report's `site` was logged raw and forged a whole log line. Conflicts are logged with
    /// both digests.
    @Test func untrustedValuesAreLoggedEscapedAndConflictsWithBothDigests() async throws {
        try await withTemporaryDirectory { dir in
            let captured = CapturedLog()
            let store = try SQLiteStore(path: dir.appendingPathComponent("collector.sqlite").path)
            try await store.migrate()
            let collector = Collector(store: store, inventory: try exampleInventory(),
                                      logger: Logger(label: "test") { _ in CaptureHandler(captured: captured) },
                                      metricsFactory: NOOPMetricsHandler.instance)
            var forged = readyReport(collector.inventory, site: ExampleSite.haiChau, seq: 1, at: Date())
            forged.site = "20242\n2026-12-07T10:00:00+0700 info sansang.http : method=DELETE path=/api/v1/silences/all status=200"
            _ = try? await collector.ingest(ReportBatch(reports: [forged]), from: .site(ExampleSite.haiChau))
            let refused = try #require(captured.lines.first { $0.contains("refused reports for another site") })
            #expect(!refused.contains("\n"))
            #expect(refused.contains("report_site=20242\\n2026-12-07T10:00:00+0700 info sansang.http"))

            let original = readyReport(collector.inventory, site: ExampleSite.haiChau, seq: 1, at: Date())
            var clone = original
            clone.agent.hostname = "a-cloned-disk"
            _ = try await collector.ingest(ReportBatch(reports: [original]), from: .site(ExampleSite.haiChau))
            _ = try await collector.ingest(ReportBatch(reports: [clone]), from: .site(ExampleSite.haiChau))
            let encoder = ReportCoding.encoder()
            let line = try #require(captured.lines.first { $0.contains("conflicts with the one stored") })
            #expect(line.contains("stored_digest=\(reportDigest(try encoder.encode(original)))"))
            #expect(line.contains("received_digest=\(reportDigest(try encoder.encode(clone)))"))
            #expect(line.contains("seq=1") && line.contains("boot_id=boot-1"))
        }
    }
}

extension Array where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

/// Log lines as "level message key=value …" (metadata sorted), kept in memory.
final class CapturedLog: Sendable {
    private let storage = Mutex<[String]>([])
    var lines: [String] { storage.withLock { $0 } }
    func append(_ line: String) { storage.withLock { $0.append(line) } }
}

struct CaptureHandler: LogHandler {
    let captured: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        captured.append("\(event.level) \(event.message) \(fields)")
    }
}

/// Issue 14, item 25: the document and the server agree on methods and query values.
@Suite struct APIContractTests {
    /// Before: 404 for a path that exists with another method, and 404 for HEAD where GET is answered.
    @Test func unsupportedMethodsAre405WithAllow() async throws {
        try await APIFixture.run { fixture, client in
            for (method, uri, allow) in [(HTTPRequest.Method.delete, "/api/v1/reports", "POST"),
                                         (.put, "/api/v1/sites/20242", "GET, HEAD"), (.post, "/api/v1/readiness", "GET, HEAD"),
                                         (.get, "/api/v1/silences/abc", "DELETE")] {
                try await client.execute(uri: uri, method: method, headers: bearer(fixture.adminToken)) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                    #expect(errorCode(response) == APIErrorCode.methodNotAllowed.rawValue)
                }
            }
            try await client.execute(uri: "/api/v1/readiness", method: .head, headers: bearer(fixture.nocToken)) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/api/v1/nothing", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    /// Before: `?expired=AAA` was read as false.
    @Test func unknownQueryValuesAre400() async throws {
        try await APIFixture.run { fixture, client in
            try await client.execute(uri: "/api/v1/silences?expired=AAA", method: .get, headers: bearer(fixture.nocToken)) { response in
                #expect(response.status == .badRequest)
                #expect(errorCode(response) == APIErrorCode.badParameter.rawValue)
            }
            for value in ["true", "false"] {
                try await client.execute(uri: "/api/v1/silences?expired=\(value)", method: .get, headers: bearer(fixture.nocToken)) {
                    #expect($0.status == .ok)
                }
            }
        }
    }
}
