import CollectorCore
import CollectorStore
import CollectorTestSupport
import Foundation
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

private let t0 = Date(timeIntervalSince1970: 1_780_000_000)

/// Issue 17: the collector keeps each report's JSON as the agent sent it instead of encoding it again.
@Suite struct ReportBytesTests {
    func reports() throws -> [Report] {
        let inventory = try exampleInventory()
        var tricky = readyReport(inventory, site: ExampleSite.haiChau, seq: 2, at: t0 + 60)
        // Brackets, braces, commas and escaped quotes inside strings must not cut a report.
        tricky.agent.hostname = "h\"o}s]t,{[\\"
        return [readyReport(inventory, site: ExampleSite.haiChau, seq: 1, at: t0), tricky,
                readyReport(inventory, site: ExampleSite.haiChau, seq: 3, at: t0 + 120)]
    }

    @Test func eachReportKeepsItsBytesAsSent() throws {
        let reports = try reports()
        let texts = try reports.map { String(decoding: try ReportCoding.encoder(pretty: true).encode($0), as: UTF8.self) }
        // Other keys before and after, spacing everywhere.
        let body = "\n { \"note\" : {\"a\": [1, {\"reports\": 2}]} ,\n \"reports\" :\n [ " + texts.joined(separator: " ,\n\t")
            + " ] , \"z\": null }\n"
        let decoded = try BatchDecoding.decodeKeepingJSON(Data(body.utf8))
        #expect(decoded.batch.reports == reports)
        let json = try #require(decoded.json)
        #expect(json.map { String(decoding: $0, as: UTF8.self) } == texts)
        #expect(try json.map { try ReportCoding.decoder().decode(Report.self, from: $0) } == reports)
    }

    @Test func anUnusualBatchIsDecodedAndItsReportsEncodedByTheStore() throws {
        let report = try reports()[0]
        let text = String(decoding: try ReportCoding.encoder().encode(report), as: UTF8.self)
        // The key written with an escape: valid JSON, the same batch, but not worth scanning for.
        let decoded = try BatchDecoding.decodeKeepingJSON(Data("{\"\\u0072eports\": [\(text)]}".utf8))
        #expect(decoded.batch.reports == [report])
        #expect(decoded.json == nil)
    }

    @Test func theStoredReportIsTheBytesAsSent() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let report = try reports()[1]
            let text = String(decoding: try ReportCoding.encoder(pretty: true).encode(report), as: UTF8.self)
            let decoded = try BatchDecoding.decodeKeepingJSON(Data("{\"reports\": [\(text)]}".utf8))
            let ack = try await collector.ingest(decoded, from: .site(ExampleSite.haiChau), receivedAt: t0 + 61)
            #expect(ack.stored == [ReportKey(report)])
            let path = dir.appendingPathComponent("collector.sqlite").path
            let stored = try await run(["python3", "-c", """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1])
                for table in ("report", "latest_report"):
                    sys.stdout.write(c.execute(f"SELECT json FROM {table}").fetchone()[0].decode() + "\\x00")
                """, path])
            #expect(stored == text + "\u{0}" + text + "\u{0}")
            #expect(try await collector.store.latestReport(site: ExampleSite.haiChau)?.report == report)
            #expect(try await collector.store.verdicts(sites: [ExampleSite.haiChau])[ExampleSite.haiChau] != nil,
                    "the site was evaluated in the same ingest")
        }
    }
}
