import Foundation
import ReadinessModel
import SansangAPI

/// The JSON payload of a record: the report, and which boot the gap it carries belongs to (a `GapRecord`
/// names sequence numbers but not their boot; the spool needs the boot to account for the gap again if it
/// ever has to drop the report that carries it).
public struct SpooledReport: Sendable, Hashable, Codable {
    public var report: Report
    public var gapBoot: BootOrigin?

    public init(report: Report, gapBoot: BootOrigin? = nil) {
        self.report = report
        self.gapBoot = gapBoot
    }

    enum CodingKeys: String, CodingKey {
        case report
        case gapBoot = "gap_boot"
    }

    public func encoded() throws -> Data { try ReportCoding.encoder().encode(self) }

    public static func decode(_ data: Data) -> Result<SpooledReport, SpoolRecordProblem> {
        do {
            let spooled = try ReportCoding.decoder().decode(SpooledReport.self, from: data)
            guard spooled.report.formatVersion == Report.currentFormatVersion else {
                return .failure(.undecodablePayload("report format_version \(spooled.report.formatVersion)"))
            }
            return .success(spooled)
        } catch {
            return .failure(.undecodablePayload(String(describing: error)))
        }
    }
}

/// One agent boot: its random id and when it started (boots are drained in start order).
public struct BootOrigin: Sendable, Hashable, Codable {
    public var bootId: String
    public var startedAtMilliseconds: Int64

    public init(bootId: String, startedAt: Date) {
        self.init(bootId: bootId, startedAtMilliseconds: milliseconds(startedAt))
    }

    public init(bootId: String, startedAtMilliseconds: Int64) {
        self.bootId = bootId
        self.startedAtMilliseconds = startedAtMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case bootId = "boot_id"
        case startedAtMilliseconds = "started_at_ms"
    }
}

/// What the spool knows of one record without reading it: everything is in its file name, which appears
/// atomically (rename), so the name is trustworthy even when the contents are not.
///
/// Name: `<boot start ms, 15 digits>-<seq, 20 digits>-<generated_at ms, 15 digits>-<boot id>.rec`, so that
/// the names sort oldest first by (boot start, seq).
public struct SpoolEntry: Sendable, Hashable, Comparable {
    public var boot: BootOrigin
    public var seq: UInt64
    public var generatedAtMilliseconds: Int64
    public var bytes: Int

    public init(boot: BootOrigin, seq: UInt64, generatedAt: Date, bytes: Int) {
        self.init(boot: boot, seq: seq, generatedAtMilliseconds: milliseconds(generatedAt), bytes: bytes)
    }

    public init(boot: BootOrigin, seq: UInt64, generatedAtMilliseconds: Int64, bytes: Int) {
        self.boot = boot
        self.seq = seq
        self.generatedAtMilliseconds = generatedAtMilliseconds
        self.bytes = bytes
    }

    public var key: ReportKey { ReportKey(bootId: boot.bootId, seq: seq) }
    public var generatedAt: Date { Date(timeIntervalSince1970: Double(generatedAtMilliseconds) / 1000) }

    public static let suffix = ".rec"

    public var fileName: String {
        func pad(_ value: some BinaryInteger, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(boot.startedAtMilliseconds, 15))-\(pad(seq, 20))-\(pad(generatedAtMilliseconds, 15))-\(boot.bootId)\(Self.suffix)"
    }

    /// The entry a file name stands for, or nil when it is not a record's name.
    public static func parse(fileName: String, bytes: Int) -> SpoolEntry? {
        guard fileName.hasSuffix(suffix) else { return nil }
        let parts = fileName.dropLast(suffix.count).split(separator: "-", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].count == 15, parts[1].count == 20, parts[2].count == 15,
              parts[0...2].allSatisfy({ $0.allSatisfy(\.isASCII) }),
              let start = Int64(parts[0]), let seq = UInt64(parts[1]), let generated = Int64(parts[2]),
              isValidBootId(String(parts[3])) else { return nil }
        return SpoolEntry(boot: BootOrigin(bootId: String(parts[3]), startedAtMilliseconds: start), seq: seq,
                          generatedAtMilliseconds: generated, bytes: bytes)
    }

    /// Boot ids become part of file names: letters, digits, '-' and '_' only.
    public static func isValidBootId(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_")
        }
    }

    public static func < (a: SpoolEntry, b: SpoolEntry) -> Bool {
        (a.boot.startedAtMilliseconds, a.boot.bootId, a.seq) < (b.boot.startedAtMilliseconds, b.boot.bootId, b.seq)
    }
}

/// A gap not yet carried by a spooled report: reports of one boot that were dropped or found corrupt.
public struct PendingGap: Sendable, Hashable, Codable {
    public var boot: BootOrigin
    public var gap: GapRecord

    public init(boot: BootOrigin, gap: GapRecord) {
        self.boot = boot
        self.gap = gap
    }
}

/// The gaps waiting to be carried, one per boot, oldest boot first (pure).
public struct GapLedger: Sendable, Hashable, Codable {
    public private(set) var pending: [PendingGap] = []

    public init(pending: [PendingGap] = []) {
        self.pending = pending
    }

    /// Accounts for lost reports; reports of a boot that already has a pending gap widen that gap.
    public mutating func record(lost entries: [SpoolEntry]) {
        for entry in entries {
            let date = entry.generatedAt
            add(PendingGap(boot: entry.boot, gap: GapRecord(count: 1, firstSeq: entry.seq, lastSeq: entry.seq,
                                                            from: date, to: date, bootId: entry.boot.bootId)))
        }
    }

    /// Accounts for a whole gap again (the report that carried it was dropped before it was sent).
    public mutating func add(_ gap: PendingGap) {
        if let index = pending.firstIndex(where: { $0.boot.bootId == gap.boot.bootId }) {
            var merged = pending[index].gap
            merged.count += gap.gap.count
            merged.firstSeq = min(merged.firstSeq, gap.gap.firstSeq)
            merged.lastSeq = max(merged.lastSeq, gap.gap.lastSeq)
            merged.from = min(merged.from, gap.gap.from)
            merged.to = max(merged.to, gap.gap.to)
            pending[index].gap = merged
        } else {
            pending.append(gap)
            pending.sort { ($0.boot.startedAtMilliseconds, $0.boot.bootId) < ($1.boot.startedAtMilliseconds, $1.boot.bootId) }
        }
    }

    /// The gap the next report should carry.
    public var next: PendingGap? { pending.first }

    /// Clears a gap once a report carrying it is spooled.
    public mutating func carried(_ gap: PendingGap) {
        pending.removeAll { $0 == gap }
    }

    public var isEmpty: Bool { pending.isEmpty }

    /// The gaps that can be proven from the records alone, when `state.json` is lost: per boot, the seqs
    /// missing between its first and last record kept (`kept`), and those of its records in `corrupt/`
    /// after its first kept record; minus the seqs refused by the collector (`rejected`), those a kept
    /// record's gap already carries (`carried`) and those already in `pending`. What was lost before the
    /// first kept record of a boot (or of a boot with no record left) cannot be told from an acknowledged
    /// report and is not guessed.
    public static func rebuilt(kept: [SpoolEntry], carried: [PendingGap], rejected: [SpoolEntry], corrupt: [SpoolEntry],
                               pending: [PendingGap]) -> GapLedger {
        var ledger = GapLedger()
        for (bootId, records) in Dictionary(grouping: kept, by: \.boot.bootId) {
            let records = records.sorted { $0.seq < $1.seq }
            guard let first = records.first, let last = records.last else { continue }
            // Known seqs as closed ranges: kept, rejected, carried and pending.
            var known: [ClosedRange<UInt64>] = records.map { $0.seq...$0.seq }
            known += rejected.filter { $0.boot.bootId == bootId }.map { $0.seq...$0.seq }
            for gap in carried + pending where gap.boot.bootId == bootId && gap.gap.firstSeq <= gap.gap.lastSeq {
                known.append(gap.gap.firstSeq...gap.gap.lastSeq)
            }
            let merged = Self.merge(known)
            // Missing: the holes of `merged` inside first...last, then corrupt records beyond.
            var missing: [(range: ClosedRange<UInt64>, from: Int64, to: Int64)] = []
            func time(atOrBefore seq: UInt64) -> Int64 {
                records.last { $0.seq <= seq }?.generatedAtMilliseconds ?? first.generatedAtMilliseconds
            }
            func time(after seq: UInt64) -> Int64 {
                records.first { $0.seq > seq }?.generatedAtMilliseconds ?? last.generatedAtMilliseconds
            }
            for (lower, upper) in zip(merged, merged.dropFirst())
            where upper.lowerBound > lower.upperBound + 1 && lower.upperBound >= first.seq && upper.lowerBound <= last.seq {
                let hole = (lower.upperBound + 1)...(upper.lowerBound - 1)
                missing.append((hole, time(atOrBefore: hole.lowerBound), time(after: hole.upperBound)))
            }
            for entry in corrupt where entry.boot.bootId == bootId && entry.seq > last.seq
            && !merged.contains(where: { $0.contains(entry.seq) }) && !missing.contains(where: { $0.range.contains(entry.seq) }) {
                missing.append((entry.seq...entry.seq, entry.generatedAtMilliseconds, entry.generatedAtMilliseconds))
            }
            for hole in missing {
                let from = Date(timeIntervalSince1970: Double(hole.from) / 1000)
                let to = Date(timeIntervalSince1970: Double(hole.to) / 1000)
                ledger.add(PendingGap(boot: first.boot, gap: GapRecord(
                    count: Int(clamping: hole.range.upperBound - hole.range.lowerBound + 1), firstSeq: hole.range.lowerBound,
                    lastSeq: hole.range.upperBound, from: min(from, to), to: max(from, to), bootId: bootId)))
            }
        }
        return ledger
    }

    /// `ranges` sorted and with overlapping or adjacent ranges joined.
    static func merge(_ ranges: [ClosedRange<UInt64>]) -> [ClosedRange<UInt64>] {
        var merged: [ClosedRange<UInt64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, last.upperBound == .max || range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }
}

/// How large and how old the spool may grow.
public struct SpoolBounds: Sendable, Hashable {
    public var maxBytes: Int
    public var maxAge: TimeInterval

    public init(maxBytes: Int = 64 << 20, maxAge: TimeInterval = 72 * 3600) {
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }

    /// The entries to drop (a subset of `entries`, which are sorted oldest first) so that a new record of
    /// `incoming` bytes fits: every entry older than `maxAge`, then the oldest until the total fits.
    /// The newest record itself is never dropped to make room for itself. Entries in `young` (spooled less than
    /// `maxAge` ago by the monotonic clock) are not old whatever the wall clock says: a wall clock that jumped
    /// forward does not age them.
    public func entriesToDrop(_ entries: [SpoolEntry], incoming: Int, now: Date, young: Set<ReportKey> = []) -> [SpoolEntry] {
        let cutoff = milliseconds(now.addingTimeInterval(-maxAge))
        var drop = Set<Int>()
        var total = incoming
        for (index, entry) in entries.enumerated() {
            if entry.generatedAtMilliseconds < cutoff && !young.contains(entry.key) { drop.insert(index) } else { total += entry.bytes }
        }
        for (index, entry) in entries.enumerated() where total > maxBytes && !drop.contains(index) {
            drop.insert(index)
            total -= entry.bytes
        }
        return entries.indices.filter(drop.contains).map { entries[$0] }
    }
}

/// Milliseconds since 1970, rounded down (file names and boot order).
func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
