#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ReadinessModel
import SansangAPI
import Testing
@testable import Spool

/// A tmpfs of `size` mounted by the test on a fresh directory (needs root), unmounted and removed afterwards.
final class SmallFileSystem {
    let mountPoint: URL

    init(size: String) throws {
        mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("sansang-tmpfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mounted = "size=\(size),mode=0700".withCString { mount("sansang-test", mountPoint.path, "tmpfs", 0, UnsafeRawPointer($0)) }
        guard mounted == 0 else {
            let cause = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: mountPoint)
            throw SpoolError(.createDirectory, "cannot mount a tmpfs on \(mountPoint.path)", cause: cause)
        }
    }

    /// Read-only (`true`): a read-only bind mount of the file system over itself, so that files already open for
    /// writing (the spool's lock) do not prevent it; read-write again (`false`): that bind mount removed.
    func setReadOnly(_ readOnly: Bool) throws {
        let path = mountPoint.path
        let done = readOnly
            ? mount(path, path, nil, UInt(MS_BIND), nil) == 0
                && mount(nil, path, nil, UInt(MS_REMOUNT) | UInt(MS_BIND) | UInt(MS_RDONLY), nil) == 0
            : umount2(path, 0) == 0
        guard done else {
            throw SpoolError(.write, "cannot make \(path) \(readOnly ? "read-only" : "writable")", cause: String(cString: strerror(errno)))
        }
    }

    /// Fills the file system with one file until it is full, then frees `pages` pages of 4 KiB of it.
    /// Returns the filler, to delete to free the space again.
    func fill(leavingPages pages: Int) throws -> URL {
        let filler = mountPoint.appendingPathComponent("filler")
        let fd = open(filler.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw SpoolError(.write, "cannot create \(filler.path)") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x5a, count: 4096)
        var size = 0
        while true {
            let written = write(fd, chunk, chunk.count)
            guard written > 0 else { break }
            size += written
        }
        guard errno == ENOSPC else { throw SpoolError(.write, "filling \(filler.path) stopped before ENOSPC", cause: String(cString: strerror(errno))) }
        guard ftruncate(fd, off_t(size / 4096 * 4096 - pages * 4096)) == 0 else { throw SpoolError(.write, "cannot truncate the filler") }
        return filler
    }

    deinit {
        // The read-only bind mount, if still there, then the tmpfs.
        while umount2(mountPoint.path, Int32(MNT_DETACH)) == 0 {}
        try? FileManager.default.removeItem(at: mountPoint)
    }
}

let isRoot = geteuid() == 0

/// The seqs of the records on disk, from their names.
func recordSeqs(_ dir: URL) throws -> [UInt64] {
    try FileManager.default.contentsOfDirectory(atPath: dir.path)
        .compactMap { SpoolEntry.parse(fileName: $0, bytes: 0)?.seq }.sorted()
}

@Suite(.serialized) struct SpoolFaultTests {
    /// A really full file system: there is room for the record but not for state.json. The record is the
    /// commit point, so the append succeeds; an append that throws stores nothing; no seq names two reports;
    /// what could not be stored is a gap carried by the first report stored after space came back.
    @Test(.enabled(if: isRoot, "mounts a tmpfs: needs root (CI runs as root)"))
    func fullDiskLosesNothingSilentlyAndNeverReusesASeq() async throws {
        let fs = try SmallFileSystem(size: "1m")
        let dir = fs.mountPoint.appendingPathComponent("spool")
        var stored: [UInt64] = [], failed: [UInt64] = []
        do {
            let spool = try Spool(directory: dir)
            // The reporter's loop: the seq comes from the spool every time.
            func reportOnce(at date: Date) async {
                let seq = await spool.nextSeq(bootId: "b")
                do {
                    try await spool.append(report(boot: "b", seq: seq, at: date), bootStartedAt: t0, now: date)
                    stored.append(seq)
                } catch {
                    failed.append(seq)
                }
            }
            for i in 0..<2 { await reportOnce(at: t0 + Double(i)) }
            let filler = try fs.fill(leavingPages: 1)
            for i in 2..<6 { await reportOnce(at: t0 + Double(i)) }
            let full = await spool.status()
            // One page: the record fits (stored although state.json could not be saved), the next ones do not.
            #expect(stored == [0, 1, 2], "stored \(stored), failed \(failed)")
            #expect(failed == [3, 4, 5])
            #expect(full.stateSaveError?.contains("No space left on device") == true, "\(full)")
            #expect(full.unspooledReports == 3)
            #expect(try recordSeqs(dir) == stored, "an append that threw stored nothing; one that returned is on disk")

            try FileManager.default.removeItem(at: filler)
            await reportOnce(at: t0 + 6)
            #expect(stored.last == 6)
            let carrier = try await spool.peekBatch(max: 10).last
            #expect(carrier?.report.gap == GapRecord(count: 3, firstSeq: 3, lastSeq: 5, from: t0 + 3, to: t0 + 5, bootId: "b"))
            #expect(await spool.status().stateSaveError == nil)
        }
        #expect(Set(stored).isDisjoint(with: failed))
        let reopened = try Spool(directory: dir)
        let status = await reopened.status()
        #expect(try await reopened.peekBatch(max: 10).map(\.key.seq) == [0, 1, 2, 6])
        #expect(status.pendingGaps.isEmpty)
        #expect(status.corruptRecords == 0)
        #expect(status.unspooledReports == 3)
    }

    /// A spool whose file system turns read-only: appends fail with the cause and are accounted as a gap,
    /// the records already there are still read and nothing is forgotten; once writable again, all resumes.
    @Test(.enabled(if: isRoot, "mounts a tmpfs: needs root (CI runs as root)"))
    func readOnlySpoolKeepsWhatItHasAndSaysWhy() async throws {
        let fs = try SmallFileSystem(size: "4m")
        let dir = fs.mountPoint.appendingPathComponent("spool")
        let spool = try Spool(directory: dir)
        for seq in 0..<2 { try await spool.append(report(boot: "b", seq: UInt64(seq), at: t0), bootStartedAt: t0, now: t0) }
        try fs.setReadOnly(true)

        let failure = await #expect(throws: SpoolError.self) {
            try await spool.append(report(boot: "b", seq: 2, at: t0 + 1), bootStartedAt: t0, now: t0 + 1)
        }
        #expect(failure?.code == .write)
        #expect(failure?.description.contains("Read-only file system") == true, "\(String(describing: failure))")
        #expect(await spool.nextSeq(bootId: "b") == 3, "the failed seq is used up")
        #expect(try await spool.peekBatch(max: 10).map(\.key.seq) == [0, 1])
        await #expect(throws: SpoolError.self) { try await spool.remove(keys: [ReportKey(bootId: "b", seq: 0)]) }
        #expect(await spool.status().depth == 2, "nothing forgotten that is still on disk")
        // A second agent cannot even open it, and says where and why.
        let second = #expect(throws: SpoolError.self) { try Spool(directory: fs.mountPoint.appendingPathComponent("other")) }
        #expect(second?.description.contains("Read-only file system") == true, "\(String(describing: second))")

        try fs.setReadOnly(false)
        let next = try await spool.append(report(boot: "b", seq: 3, at: t0 + 2), bootStartedAt: t0, now: t0 + 2)
        #expect(next.gap == GapRecord(count: 1, firstSeq: 2, lastSeq: 2, from: t0 + 1, to: t0 + 1, bootId: "b"))
        #expect(try await spool.remove(keys: [0, 1, 3].map { ReportKey(bootId: "b", seq: $0) }) == 3)
        #expect(await spool.status().stateSaveError == nil)
    }

    /// The wall clock jumps back a day, then forward again: reports drain in seq order whatever their
    /// dates, and nothing is dropped while the clock is behind nor when it is set right a minute later (the
    /// monotonic clock says those records are a minute old). Spooled by an earlier process, records dated while
    /// the clock was wrong have only their dates: past the age bound, they are dropped as a gap the next report
    /// carries — never silently.
    @Test func clockJumpsBackwardsAndForwards() async throws {
        try await withSpoolDirectory { dir in
            let behind = t0 - 86_400
            let m0 = ContinuousClock.now
            do {
                let spool = try Spool(directory: dir, bounds: SpoolBounds(maxBytes: 1 << 30, maxAge: 3600))
                for seq in 0..<3 {
                    try await spool.append(report(boot: "b", seq: UInt64(seq), at: t0 + Double(seq)), bootStartedAt: t0, now: t0, uptime: m0)
                }
                for seq in 3..<5 {
                    let spooled = try await spool.append(report(boot: "b", seq: UInt64(seq), at: behind), bootStartedAt: t0, now: behind,
                                                         uptime: m0 + .seconds(10))
                    #expect(spooled.gap == nil)
                }
                #expect(try await spool.peekBatch(max: 10).map(\.key.seq) == [0, 1, 2, 3, 4])
                #expect(await spool.status().droppedReports == 0)
                #expect(await spool.nextSeq(bootId: "b") == 5)

                // The clock is set right again (a day forward) a minute later: nothing is old by the monotonic clock.
                let next = try await spool.append(report(boot: "b", seq: 5, at: t0 + 60), bootStartedAt: t0, now: t0 + 60,
                                                  uptime: m0 + .seconds(60))
                #expect(next.gap == nil)
                #expect(try await spool.peekBatch(max: 10).map(\.key.seq) == [0, 1, 2, 3, 4, 5])
                #expect(await spool.status().droppedReports == 0)
            }
            // The agent restarts: the two reports dated yesterday are past the age bound by their dates alone.
            let spool = try Spool(directory: dir, bounds: SpoolBounds(maxBytes: 1 << 30, maxAge: 3600))
            let next = try await spool.append(report(boot: "b", seq: 6, at: t0 + 120), bootStartedAt: t0, now: t0 + 120)
            #expect(next.gap == GapRecord(count: 2, firstSeq: 3, lastSeq: 4, from: behind, to: behind, bootId: "b"))
            #expect(try await spool.peekBatch(max: 10).map(\.key.seq) == [0, 1, 2, 5, 6])
            #expect(await spool.status().droppedReports == 2)
        }
    }

    /// Issue 14: the wall clock jumps five days forward (a bad NTP step, an RTC reset): before, every record in the
    /// spool looked older than the age bound and was dropped. The monotonic clock says they were spooled a minute
    /// ago: nothing is dropped. Once they are old by both clocks, they are dropped as a gap, never silently.
    @Test func aForwardClockJumpDropsNothingThatIsYoungByTheMonotonicClock() async throws {
        try await withSpoolDirectory { dir in
            let spool = try Spool(directory: dir, bounds: SpoolBounds(maxBytes: 1 << 30, maxAge: 3600))
            let m0 = ContinuousClock.now
            for seq in 0..<3 {
                try await spool.append(report(boot: "b", seq: UInt64(seq), at: t0 + Double(seq)), bootStartedAt: t0, now: t0, uptime: m0)
            }
            let jumped = t0 + 5 * 86_400
            let next = try await spool.append(report(boot: "b", seq: 3, at: jumped), bootStartedAt: t0, now: jumped,
                                              uptime: m0 + .seconds(60))
            #expect(next.gap == nil)
            #expect(try await spool.peekBatch(max: 10).map(\.key.seq) == [0, 1, 2, 3])
            #expect(await spool.status().droppedReports == 0)

            // An hour and more later by both clocks: old, dropped, and carried as a gap.
            let later = try await spool.append(report(boot: "b", seq: 4, at: jumped + 3640), bootStartedAt: t0, now: jumped + 3640,
                                               uptime: m0 + .seconds(3700))
            #expect(later.gap == GapRecord(count: 4, firstSeq: 0, lastSeq: 3, from: t0, to: jumped, bootId: "b"))
            #expect(try await spool.peekBatch(max: 10).map(\.key.seq) == [4])
            #expect(await spool.status().droppedReports == 4)
        }
    }

    /// A corrupt state.json is set aside and the gap ledger rebuilt from the records (never silently reset).
    @Test func corruptStateRebuildsTheGapLedgerAndSaysSo() async throws {
        try await withSpoolDirectory { dir in
            do {
                let spool = try Spool(directory: dir, bounds: SpoolBounds(maxBytes: 1 << 30, maxAge: 1e9))
                for seq in 0..<8 { try await spool.append(report(boot: "b", seq: UInt64(seq), at: t0 + Double(seq)), bootStartedAt: t0, now: t0) }
                try await spool.reject(key: ReportKey(bootId: "b", seq: 2), reason: "invalid_report")
            }
            // Seqs 4 and 5 lost (their records damaged) while the state was being lost too; 7 lost at the end.
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".rec") }.sorted()
            for name in names where [4, 5, 7].contains(SpoolEntry.parse(fileName: name, bytes: 0)?.seq) {
                try FileManager.default.moveItem(at: dir.appendingPathComponent(name),
                                                 to: dir.appendingPathComponent("corrupt").appendingPathComponent(name))
            }
            try Data("{\"gaps\": {\"pend".utf8).write(to: dir.appendingPathComponent("state.json"))

            let spool = try Spool(directory: dir, bounds: SpoolBounds(maxBytes: 1 << 30, maxAge: 1e9))
            let status = await spool.status()
            let rebuilt = await spool.rebuiltOnOpen
            #expect(rebuilt?.contains("state.json was unreadable") == true, "\(String(describing: rebuilt))")
            #expect(status.stateRebuilds == 1)
            #expect(status.lastStateRebuild?.message == rebuilt)
            // 4 and 5 lie between kept records; 2 was rejected, not lost; 7 is after the last kept record but
            // its damaged record names it.
            #expect(status.pendingGaps.map(\.gap) == [GapRecord(count: 3, firstSeq: 4, lastSeq: 7, from: t0 + 3, to: t0 + 7, bootId: "b")])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("corrupt").path)
                .contains { $0.hasPrefix("state-") && $0.hasSuffix(".json") })
            let next = try await spool.append(report(boot: "b", seq: 8, at: t0 + 8), bootStartedAt: t0, now: t0 + 8)
            #expect(next.gap?.count == 3)
            // Opened again, the state is read as saved: no second rebuild.
            _ = spool
        }
    }

    @Test func rebuiltLedgerLeavesOutWhatIsCarriedPendingOrBeforeTheFirstRecord() {
        let boot = BootOrigin(bootId: "b", startedAt: t0)
        func entry(_ seq: UInt64) -> SpoolEntry { SpoolEntry(boot: boot, seq: seq, generatedAt: t0 + Double(seq), bytes: 1) }
        let carried = PendingGap(boot: boot, gap: GapRecord(count: 2, firstSeq: 3, lastSeq: 4, from: t0, to: t0, bootId: "b"))
        let pending = PendingGap(boot: boot, gap: GapRecord(count: 1, firstSeq: 7, lastSeq: 7, from: t0, to: t0, bootId: "b"))
        let ledger = GapLedger.rebuilt(kept: [10, 2, 5, 6, 9].map(entry), carried: [carried], rejected: [entry(8)],
                                       corrupt: [entry(0), entry(12)], pending: [pending])
        // 0 and 1 are before the first kept record (2): unknowable; 3–4 carried, 7 pending, 8 rejected; 11 and 12 after
        // the last: 12 is named by its damaged record, 11 by nothing.
        #expect(ledger.pending.map(\.gap) == [GapRecord(count: 1, firstSeq: 12, lastSeq: 12, from: t0 + 12, to: t0 + 12, bootId: "b")])
    }
}
