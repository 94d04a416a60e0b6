import CollectorCore
import CollectorStore
import CollectorTestSupport
import Foundation
import Inventory
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

private let now = Date(timeIntervalSince1970: 1_780_000_000)

/// Issue 14, items 18, 3 and 4: numbers at the edges, refusals that pass, and storage that fails.
@Suite struct HostileIngestTests {
    /// Before: a stored report with `interval_s` = Int.max trapped the evaluator, on every start. Now that site
    /// is marked (NO_DATA, "cannot be judged") and every other site is evaluated.
    @Test func aPoisonedStoredReportIsMarkedAndOtherSitesGoOn() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            var poisoned = readyReport(collector.inventory, site: ExampleSite.haiChau, seq: 1, at: now)
            poisoned.intervalSeconds = Int.max
            // Straight into the store, as a collector without limits would have stored it.
            _ = try await collector.store.ingest([poisoned], receivedAt: now)
            let good = ReportBatch(reports: [readyReport(collector.inventory, site: ExampleSite.hoaCuong, seq: 1, at: now)])
            _ = try await collector.ingest(good, from: .site(ExampleSite.hoaCuong), receivedAt: now)
            try await collector.evaluateAll(now: now + 10)
            let verdicts = try await collector.store.currentVerdicts()
            let marked = try #require(verdicts[ExampleSite.haiChau])
            #expect(marked.state == .unknown)
            #expect(marked.reasons.map(\.code) == [.noData])
            #expect(marked.reasons.first?.evidence.contains("cannot be judged: interval_s") == true)
            #expect(verdicts[ExampleSite.hoaCuong]?.state == .ready)
            #expect(verdicts.count == collector.inventory.offices.count)
        }
    }

    /// The wire's numbers are bounded: the refusal names the field (before: interval_s = Int.max was stored).
    @Test func outOfRangeNumbersAndHugeStringsAreRefusedNamingTheField() async throws {
        let report = readyReport(try exampleInventory(), site: ExampleSite.haiChau, seq: 1, at: now)
        let body = String(decoding: try ReportCoding.encoder().encode(ReportBatch(reports: [report])), as: UTF8.self)
        let lan = try #require(report.links.firstIndex { $0.role == .lan })
        func message(_ text: String) -> String? {
            do {
                _ = try BatchDecoding.decode(Data(text.utf8))
                return nil
            } catch {
                return error.code == .invalidReport ? error.message : "\(error.code): \(error.message)"
            }
        }
        let cases: [(String, String, String)] = [
            ("\"interval_s\":60", "\"interval_s\":9223372036854775807", "reports[0].interval_s: must be in 1…86400"),
            ("\"interval_s\":60", "\"interval_s\":0", "reports[0].interval_s: must be in 1…86400"),
            ("\"seq\":1", "\"seq\":9223372036854775808", "reports[0].seq: must be below 2^63"),
            ("\"boot_id\":\"boot-1\"", "\"boot_id\":\"\(String(repeating: "b", count: 3_000_000))\"",
             "reports[0].agent.boot_id: longer than 128 bytes"),
            ("\"loss_percent\":0", "\"loss_percent\":150", "reports[0].services[0].loss_percent: must be in 0…100"),
            ("\"speed_mbps\":10000", "\"speed_mbps\":-10000", "reports[0].links[\(lan)].speed[0].speed_mbps: must be in 0…10000000"),
            // Foundation's own message for these named no field (": The given data was not valid JSON.").
            ("\"seq\":1", "\"seq\":-1", "reports[0].seq: must be a whole number ≥ 0 within 64 bits, not -1"),
            ("\"interval_s\":60", "\"interval_s\":99999999999999999999", "reports[0].interval_s: must be a whole number within 64 bits"),
            ("\"interval_s\":60", "\"interval_s\":60.5", "reports[0].interval_s: must be a whole number within 64 bits, not 60.5"),
        ]
        for (original, replacement, expected) in cases {
            #expect(body.contains(original), "fixture lacks \(original)")
            let got = message(body.replacingOccurrences(of: original, with: replacement))
            #expect(got?.hasPrefix(expected) == true, "\(expected): got \(got ?? "accepted")")
        }
    }

    /// A site missing from the inventory (a reload in progress) is a refusal that passes: `unknown_site`, which
    /// the agent retries, not `invalid_report`, which it sets aside for good. Nothing is stored meanwhile.
    @Test func unknownSiteIsRetryableAndStoresNothing() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let full = collector.inventory
            let batch = ReportBatch(reports: [readyReport(full, site: ExampleSite.haiChau, seq: 1, at: now)])
            collector.replaceInventory(Inventory(sites: full.sites.filter { $0.code != ExampleSite.haiChau }, profiles: full.profiles))
            #expect(await errorCode { try await collector.ingest(batch, from: .site(ExampleSite.haiChau)) } == .unknownSite)
            var noOffice = ReportBatch(reports: [batch.reports[0]])
            noOffice.reports[0].site = ExampleSite.hoangSa
            #expect(await errorCode { try await collector.ingest(noOffice, from: .site(ExampleSite.hoangSa)) } == .unknownSite)
            #expect(try await collector.store.reportCount(site: ExampleSite.haiChau) == 0)
            collector.replaceInventory(full)
            #expect(try await collector.ingest(batch, from: .site(ExampleSite.haiChau), receivedAt: now).stored.count == 1)
        }
    }

    /// Beyond `maxPendingIngests` batches waiting for storage, a batch is refused with `unavailable` (503) at once,
    /// and a slot freed by an answered batch is taken again.
    @Test func overloadIsRefusedAsUnavailable() async throws {
        try await withTemporaryDirectory { dir in
            let store = try SQLiteStore(path: dir.appendingPathComponent("collector.sqlite").path)
            try await store.migrate()
            let inventory = try exampleInventory()
            let batch = ReportBatch(reports: [readyReport(inventory, site: ExampleSite.haiChau, seq: 1, at: now)])
            let full = Collector(store: store, inventory: inventory, maxPendingIngests: 0)
            #expect(await errorCode { try await full.ingest(batch, from: .site(ExampleSite.haiChau)) } == .unavailable)
            #expect(try await store.reportCount(site: ExampleSite.haiChau) == 0)
            let one = Collector(store: store, inventory: inventory, maxPendingIngests: 1)
            #expect(try await one.ingest(batch, from: .site(ExampleSite.haiChau), receivedAt: now).stored.count == 1)
            var next = batch
            next.reports[0].seq = 2
            #expect(try await one.ingest(next, from: .site(ExampleSite.haiChau), receivedAt: now).stored.count == 1)
        }
    }

    /// A database error answers `unavailable` (503) and acknowledges nothing; once it passes, the retry stores.
    @Test func aDatabaseErrorAcknowledgesNothing() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            let path = dir.appendingPathComponent("collector.sqlite").path
            let batch = ReportBatch(reports: (1...3).map { readyReport(collector.inventory, site: ExampleSite.haiChau, seq: $0, at: now) })
            // A real SQLite failure on the third row, from another connection (python3's sqlite3).
            try await sql(path, "CREATE TRIGGER refuse BEFORE INSERT ON report WHEN NEW.seq = 3 BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
            do {
                _ = try await collector.ingest(batch, from: .site(ExampleSite.haiChau), receivedAt: now)
                Issue.record("acknowledged a batch that was not stored")
            } catch let error as CollectorError {
                #expect(error.code == .unavailable)
                #expect(error.message.contains("retry later"))
            } catch {
                Issue.record("not a CollectorError: \(error)")
            }
            #expect(try await collector.store.reportCount(site: ExampleSite.haiChau) == 0)
            try await sql(path, "DROP TRIGGER refuse")
            #expect(try await collector.ingest(batch, from: .site(ExampleSite.haiChau), receivedAt: now).stored.count == 3)
        }
    }

    /// A full disk (an 8 MiB tmpfs filled up): 503 with "disk is full", nothing acknowledged, reads still
    /// answer; once space is freed, the retried batch is stored.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskAnswersUnavailableAndAcknowledgesNothing() async throws {
        try await withTemporaryDirectory { dir in
            let mount = dir.appendingPathComponent("small")
            try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
            _ = try await run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.path])
            try await withCleanup {
                let collector = try await makeCollector(in: mount)
                let inventory = collector.inventory
                _ = try await collector.ingest(ReportBatch(reports: [readyReport(inventory, site: ExampleSite.haiChau, seq: 1, at: now)]),
                                               from: .site(ExampleSite.haiChau), receivedAt: now)
                // Fill what is left (dd stops at ENOSPC and fails: expected).
                let filler = mount.appendingPathComponent("filler")
                _ = try? await runCapturing(["dd", "if=/dev/zero", "of=\(filler.path)", "bs=64k"])
                let big = ReportBatch(reports: (2...801).map { readyReport(inventory, site: ExampleSite.haiChau, seq: UInt64($0), at: now) })
                do {
                    _ = try await collector.ingest(big, from: .site(ExampleSite.haiChau), receivedAt: now + 1)
                    Issue.record("acknowledged a batch on a full disk")
                } catch let error as CollectorError {
                    #expect(error.code == .unavailable)
                    #expect(error.message.contains("disk is full"), "\(error.message)")
                } catch {
                    Issue.record("not a CollectorError: \(error)")
                }
                #expect(try await collector.store.reportCount(site: ExampleSite.haiChau) == 1)
                try FileManager.default.removeItem(at: filler)
                #expect(try await collector.ingest(big, from: .site(ExampleSite.haiChau), receivedAt: now + 2).stored.count == 800)
                #expect(try await collector.store.reportCount(site: ExampleSite.haiChau) == 801)
            } cleanup: { _ = try? await run(["umount", "-l", mount.path]) }
        }
    }
}

/// Runs one SQL statement on the database file through another connection.
private func sql(_ path: String, _ statement: String) async throws {
    _ = try await run(["python3", "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()",
                 path, statement])
}
