import Foundation
import ReadinessModel
import SansangAPI
import Testing
@testable import Spool

/// A fresh directory per test, removed afterwards.
func withSpoolDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sansang-spool-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

let t0 = Date(timeIntervalSince1970: 1_780_000_000)
/// The monotonic clock at `t0`: in these tests both clocks advance together (time passes; no clock jumps).
let m0 = ContinuousClock.now

/// The monotonic instant at wall-clock `date`, for a spool whose clocks agree.
func uptime(at date: Date) -> ContinuousClock.Instant { m0 + .seconds(date.timeIntervalSince(t0)) }

func report(boot: String, seq: UInt64, at date: Date) -> Report {
    Report(site: "20242", agent: AgentIdentity(version: "test", hostname: "h", bootId: boot), seq: seq, generatedAt: date,
           links: [LinkReport(role: .lan, interface: "eth0", speed: [SpeedReading(source: .nic, speedMbps: 1000)])])
}

@Suite struct SpoolTests {
    @Test func drainsOldestFirstAcrossBootsAndRemovesOnlyAcknowledged() async throws {
        try await withSpoolDirectory { dir in
            let spool = try Spool(directory: dir)
            // The later boot is appended first: order is by boot start, then seq.
            for seq in 0..<3 { try await spool.append(report(boot: "late", seq: UInt64(seq), at: t0 + 100), bootStartedAt: t0 + 100, now: t0 + 100, uptime: uptime(at: t0 + 100)) }
            for seq in 0..<3 { try await spool.append(report(boot: "early", seq: UInt64(seq), at: t0), bootStartedAt: t0, now: t0 + 100, uptime: uptime(at: t0 + 100)) }
            let batch = try await spool.peekBatch(max: 4)
            #expect(batch.map { "\($0.key.bootId)/\($0.key.seq)" } == ["early/0", "early/1", "early/2", "late/0"])
            #expect(try await spool.remove(keys: [ReportKey(bootId: "early", seq: 1), ReportKey(bootId: "nope", seq: 9)], at: t0 + 200) == 1)
            let status = await spool.status()
            #expect(status.depth == 5)
            #expect(status.acknowledgedReports == 1)
            #expect(status.lastAcknowledgedAt == t0 + 200)
            #expect(status.oldestGeneratedAt == t0)
            #expect(try await spool.peekBatch(max: 10).map(\.key.seq) == [0, 2, 0, 1, 2])
        }
    }

    @Test func sizeBoundDropsOldestAndNextReportCarriesTheExactGap() async throws {
        try await withSpoolDirectory { dir in
            let probe = try Spool(directory: dir.appendingPathComponent("probe"))
            try await probe.append(report(boot: "b", seq: 0, at: t0), bootStartedAt: t0, now: t0)
            let recordSize = await probe.status().bytes
            // Room for 5 records and the append estimate (a record plus 256 bytes of slack for a gap).
            let spool = try Spool(directory: dir.appendingPathComponent("s"), bounds: SpoolBounds(maxBytes: recordSize * 6 + 200, maxAge: 1e9))
            for seq in 0..<5 {
                let spooled = try await spool.append(report(boot: "b", seq: UInt64(seq), at: t0 + Double(seq) * 60), bootStartedAt: t0, now: t0 + Double(seq) * 60, uptime: uptime(at: t0 + Double(seq) * 60))
                #expect(spooled.gap == nil)
            }
            // Seq 5 needs room: seq 0 goes, and seq 5 itself carries the gap.
            let fifth = try await spool.append(report(boot: "b", seq: 5, at: t0 + 300), bootStartedAt: t0, now: t0 + 300, uptime: uptime(at: t0 + 300))
            #expect(fifth.gap == GapRecord(count: 1, firstSeq: 0, lastSeq: 0, from: t0, to: t0, bootId: "b"))
            var status = await spool.status()
            #expect(status.droppedReports == 1)
            #expect(status.pendingGaps.isEmpty)
            // The spooled record itself carries the gap.
            #expect(try await spool.peekBatch(max: 10).last?.report.gap == fifth.gap)
            let sixth = try await spool.append(report(boot: "b", seq: 6, at: t0 + 360), bootStartedAt: t0, now: t0 + 360, uptime: uptime(at: t0 + 360))
            #expect(sixth.gap == GapRecord(count: 1, firstSeq: 1, lastSeq: 1, from: t0 + 60, to: t0 + 60, bootId: "b"))
            status = await spool.status()
            #expect(status.droppedReports == 2)
            #expect(status.depth == 5)
            #expect(try await spool.peekBatch(max: 10).map(\.key.seq) == [2, 3, 4, 5, 6])
        }
    }

    @Test func ageBoundDropsOneGapPerBootCarriedByTheNextReports() async throws {
        try await withSpoolDirectory { dir in
            let spool = try Spool(directory: dir, bounds: SpoolBounds(maxBytes: 1 << 30, maxAge: 3600))
            for seq in 0..<3 { try await spool.append(report(boot: "one", seq: UInt64(seq), at: t0 + Double(seq)), bootStartedAt: t0, now: t0, uptime: uptime(at: t0)) }
            for seq in 0..<2 { try await spool.append(report(boot: "two", seq: UInt64(seq), at: t0 + 100 + Double(seq)), bootStartedAt: t0 + 100, now: t0 + 100, uptime: uptime(at: t0 + 100)) }
            // Two hours later every record is too old: two boots, two gaps, carried one per report.
            let later = t0 + 7200
            let first = try await spool.append(report(boot: "three", seq: 0, at: later), bootStartedAt: later, now: later, uptime: uptime(at: later))
            #expect(first.gap == GapRecord(count: 3, firstSeq: 0, lastSeq: 2, from: t0, to: t0 + 2, bootId: "one"))
            #expect(await spool.status().pendingGaps.map(\.boot.bootId) == ["two"])
            let second = try await spool.append(report(boot: "three", seq: 1, at: later + 60), bootStartedAt: later, now: later + 60, uptime: uptime(at: later + 60))
            #expect(second.gap == GapRecord(count: 2, firstSeq: 0, lastSeq: 1, from: t0 + 100, to: t0 + 101, bootId: "two"))
            let third = try await spool.append(report(boot: "three", seq: 2, at: later + 120), bootStartedAt: later, now: later + 120, uptime: uptime(at: later + 120))
            #expect(third.gap == nil)
            #expect(await spool.status().droppedReports == 5)
        }
    }

    @Test func droppingTheReportThatCarriesAGapPutsTheGapBack() async throws {
        try await withSpoolDirectory { dir in
            let spool = try Spool(directory: dir, bounds: SpoolBounds(maxBytes: 1 << 30, maxAge: 3600))
            try await spool.append(report(boot: "one", seq: 0, at: t0), bootStartedAt: t0, now: t0, uptime: uptime(at: t0))
            let carrier = try await spool.append(report(boot: "two", seq: 0, at: t0 + 7200), bootStartedAt: t0 + 7200, now: t0 + 7200, uptime: uptime(at: t0 + 7200))
            #expect(carrier.gap?.count == 1)
            // The carrier is itself dropped unsent: the next report carries the old boot's gap again, then its own.
            let next = try await spool.append(report(boot: "two", seq: 1, at: t0 + 20000), bootStartedAt: t0 + 7200, now: t0 + 20000, uptime: uptime(at: t0 + 20000))
            #expect(next.gap == GapRecord(count: 1, firstSeq: 0, lastSeq: 0, from: t0, to: t0, bootId: "one"))
            let after = try await spool.append(report(boot: "two", seq: 2, at: t0 + 20001), bootStartedAt: t0 + 7200, now: t0 + 20001, uptime: uptime(at: t0 + 20001))
            #expect(after.gap == GapRecord(count: 1, firstSeq: 0, lastSeq: 0, from: t0 + 7200, to: t0 + 7200, bootId: "two"))
        }
    }

    @Test func stateSurvivesReopen() async throws {
        try await withSpoolDirectory { dir in
            do {
                let spool = try Spool(directory: dir, bounds: SpoolBounds(maxBytes: 1 << 30, maxAge: 3600))
                for seq in 0..<4 { try await spool.append(report(boot: "b", seq: UInt64(seq), at: t0 + Double(seq)), bootStartedAt: t0, now: t0, uptime: uptime(at: t0)) }
                try await spool.remove(keys: [ReportKey(bootId: "b", seq: 0)], at: t0 + 5)
                try await spool.recordError("connection refused", at: t0 + 6)
                try await spool.reject(key: ReportKey(bootId: "b", seq: 1), reason: "invalid_report", at: t0 + 7)
                // Age-drop seq 2 and 3 by appending much later: a pending gap only if nothing carries it, so
                // append a report that already has a gap of its own (the pending one stays pending).
                var own = report(boot: "c", seq: 0, at: t0 + 7200)
                own.gap = GapRecord(count: 9, firstSeq: 1, lastSeq: 9, from: t0, to: t0)
                try await spool.append(own, bootStartedAt: t0 + 7200, now: t0 + 7200, uptime: uptime(at: t0 + 7200))
            }
            let reopened = try Spool(directory: dir, bounds: SpoolBounds(maxBytes: 1 << 30, maxAge: 3600))
            let status = await reopened.status()
            #expect(status.depth == 1)
            #expect(status.acknowledgedReports == 1)
            #expect(status.rejectedReports == 1)
            #expect(status.droppedReports == 2)
            #expect(status.lastAcknowledgedAt == t0 + 5)
            #expect(status.lastError?.message.contains("invalid_report") == true)
            #expect(status.pendingGaps.map(\.gap) == [GapRecord(count: 2, firstSeq: 2, lastSeq: 3, from: t0 + 2, to: t0 + 3, bootId: "b")])
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("rejected").path))
            #expect(try Spool.status(directory: dir).depth == 1)
        }
    }

    @Test func tornAndForeignFilesAreCountedMovedAsideAndGapped() async throws {
        try await withSpoolDirectory { dir in
            var names: [String] = []
            do {
                let spool = try Spool(directory: dir)
                for seq in 0..<3 { try await spool.append(report(boot: "b", seq: UInt64(seq), at: t0 + Double(seq)), bootStartedAt: t0, now: t0, uptime: uptime(at: t0)) }
                names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".rec") }.sorted()
            }
            // Tear the middle record, leave an interrupted write behind, and drop garbage in.
            let middle = dir.appendingPathComponent(names[1])
            let bytes = try Data(contentsOf: middle)
            try bytes.prefix(bytes.count / 2).write(to: middle)
            try Data("half".utf8).write(to: dir.appendingPathComponent("tmp").appendingPathComponent(names[2]))
            try Data("garbage".utf8).write(to: dir.appendingPathComponent("zzz.rec"))

            let spool = try Spool(directory: dir)
            let status = await spool.status()
            #expect(status.depth == 2)
            #expect(status.corruptRecords == 2)
            #expect(status.interruptedWrites == 1)
            #expect(status.pendingGaps.map(\.gap) == [GapRecord(count: 1, firstSeq: 1, lastSeq: 1, from: t0 + 1, to: t0 + 1, bootId: "b")])
            #expect(try await spool.peekBatch(max: 10).map(\.key.seq) == [0, 2])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("corrupt").path).count == 2)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("tmp").path).isEmpty)
        }
    }

    @Test func aRecordDamagedWhileOpenIsSkippedOnRead() async throws {
        try await withSpoolDirectory { dir in
            let spool = try Spool(directory: dir)
            for seq in 0..<3 { try await spool.append(report(boot: "b", seq: UInt64(seq), at: t0), bootStartedAt: t0, now: t0, uptime: uptime(at: t0)) }
            let first = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".rec") }.sorted()[0]
            try Data(count: 40).write(to: dir.appendingPathComponent(first))
            #expect(try await spool.peekBatch(max: 2).map(\.key.seq) == [1, 2])
            #expect(await spool.status().corruptRecords == 1)
            let next = try await spool.append(report(boot: "b", seq: 3, at: t0), bootStartedAt: t0, now: t0, uptime: uptime(at: t0))
            #expect(next.gap?.firstSeq == 0)
        }
    }

    @Test func oneAgentPerSpool() async throws {
        try await withSpoolDirectory { dir in
            let first = try Spool(directory: dir)
            #expect(throws: SpoolError.self) { try Spool(directory: dir) }
            _ = first
        }
    }
}
