#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ReadinessModel
import SansangAPI
import SystemSupport

/// The agent's durable report spool: one record file per report, written (fsync, rename, fsync of the
/// directory) before any send; removed only when acknowledged; bounded by size and age, with every loss
/// accounted for in a gap record carried by the next report.
///
/// Layout of `directory`: `*.rec` records, `state.json`, `lock`, `tmp/` (writes in progress),
/// `corrupt/` (records that failed their checks), `rejected/` (reports the collector refused for good).
public actor Spool {
    // Every method fsyncs: they run on the spool's own thread, not on the cooperative pool.
    private let executor = DedicatedThreadExecutor(name: "sansang-spool")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    public struct Item: Sendable, Hashable {
        public var entry: SpoolEntry
        public var report: Report
        public var key: ReportKey { entry.key }
    }

    public nonisolated let directory: URL
    public let bounds: SpoolBounds
    private var entries: [SpoolEntry] = []
    private var carriedGaps: [ReportKey: PendingGap] = [:]
    private var state: SpoolState
    private var lockDescriptor: Int32
    /// When each record spooled by this process was appended, by the monotonic clock (CLOCK_BOOTTIME: it counts
    /// suspended time and never jumps): the age bound is held against it too, so that a wall clock jumping
    /// forward does not make fresh records look old. Records found on disk at opening have only their dates.
    private var appendedAt: [ReportKey: ContinuousClock.Instant] = [:]
    /// The highest seq given to `append` per boot id in this process, stored or not (see `nextSeq`).
    private var highestSeq: [String: UInt64] = [:]
    /// Set when this opening found `state.json` unreadable and rebuilt the gap ledger: what it did (to log).
    public private(set) var rebuiltOnOpen: String?
    /// Why the last state save failed, while it has not succeeded since.
    private var stateSaveError: String?

    private var temporaryDirectory: URL { directory.appendingPathComponent("tmp") }
    private var corruptDirectory: URL { directory.appendingPathComponent("corrupt") }
    private var rejectedDirectory: URL { directory.appendingPathComponent("rejected") }
    private static func stateFile(_ directory: URL) -> URL { directory.appendingPathComponent("state.json") }

    /// Opens (creating if needed) the spool in `directory` and recovers it: interrupted writes are deleted
    /// and counted, every record is checked, damaged ones are moved to `corrupt/`, counted and accounted
    /// for as a gap.
    public init(directory: URL, bounds: SpoolBounds = SpoolBounds()) throws(SpoolError) {
        self.directory = directory
        self.bounds = bounds
        for dir in [directory, directory.appendingPathComponent("tmp"), directory.appendingPathComponent("corrupt"),
                    directory.appendingPathComponent("rejected")] {
            try DurableFiles.createDirectory(dir)
        }
        lockDescriptor = try DurableFiles.lock(directory.appendingPathComponent("lock"))
        do {
            let read = Self.readState(directory)
            var state = read.0
            let problem = read.problem
            // Read before recovery quarantines anything new: those are gapped by recovery itself.
            let previouslyCorrupt = problem == nil ? [] : Self.recordNames(in: directory.appendingPathComponent("corrupt"))
            (entries, carriedGaps) = try Self.recover(directory, &state)
            if let problem {
                try Self.rebuildLedger(directory, &state, problem: problem, kept: entries, carried: Array(carriedGaps.values),
                                       previouslyCorrupt: previouslyCorrupt)
            }
            self.state = state
            rebuiltOnOpen = problem == nil ? nil : state.lastStateRebuild?.message
            try Self.saveState(state, in: directory)
        } catch {
            close(lockDescriptor)
            throw error
        }
    }

    deinit { close(lockDescriptor) }

    private static func recover(_ directory: URL, _ state: inout SpoolState)
    throws(SpoolError) -> ([SpoolEntry], [ReportKey: PendingGap]) {
        let temporaryDirectory = directory.appendingPathComponent("tmp")
        let leftovers = try DurableFiles.list(temporaryDirectory)
        for leftover in leftovers { try DurableFiles.remove(temporaryDirectory.appendingPathComponent(leftover.name)) }
        state.interruptedWrites += leftovers.count
        var entries: [SpoolEntry] = []
        var carriedGaps: [ReportKey: PendingGap] = [:]
        var lost: [SpoolEntry] = []
        func quarantine(_ url: URL) throws(SpoolError) {
            try DurableFiles.move(url, into: directory.appendingPathComponent("corrupt"))
            state.corruptRecords += 1
        }
        for file in try DurableFiles.list(directory) where file.name.hasSuffix(SpoolEntry.suffix) {
            let url = directory.appendingPathComponent(file.name)
            guard let entry = SpoolEntry.parse(fileName: file.name, bytes: file.bytes) else {
                try quarantine(url)
                continue
            }
            switch Self.load(url) {
            case .success(let spooled):
                guard ReportKey(spooled.report) == entry.key else {
                    try quarantine(url)
                    lost.append(entry)
                    continue
                }
                entries.append(entry)
                if let gap = spooled.report.gap, let boot = spooled.gapBoot {
                    carriedGaps[entry.key] = PendingGap(boot: boot, gap: gap)
                }
            case .failure:
                try quarantine(url)
                lost.append(entry)
            }
        }
        entries.sort()
        state.gaps.record(lost: lost)
        // A crash between spooling a report that carries a gap and saving the state leaves the gap pending
        // although a record carries it: it must not be reported twice.
        for carried in carriedGaps.values { state.gaps.carried(carried) }
        return (entries, carriedGaps)
    }

    /// `state.json` could not be read: moves it to `corrupt/`, rebuilds the gap ledger from the records on
    /// disk (see `GapLedger.rebuilt`) and records that it did so, for `spool status` and the log.
    private static func rebuildLedger(_ directory: URL, _ state: inout SpoolState, problem: String, kept: [SpoolEntry],
                                      carried: [PendingGap], previouslyCorrupt: [SpoolEntry]) throws(SpoolError) {
        let now = Date()
        let aside = "state-\(milliseconds(now)).json"
        let corrupt = directory.appendingPathComponent("corrupt")
        if FileManager.default.fileExists(atPath: stateFile(directory).path) {
            guard rename(stateFile(directory).path, corrupt.appendingPathComponent(aside).path) == 0 else {
                throw SpoolError(.write, "cannot move the unreadable \(stateFile(directory).path) aside",
                                 cause: String(cString: strerror(errno)))
            }
            try DurableFiles.syncDirectory(corrupt)
        }
        let rejected = recordNames(in: directory.appendingPathComponent("rejected"))
        let rebuilt = GapLedger.rebuilt(kept: kept, carried: carried, rejected: rejected, corrupt: previouslyCorrupt,
                                        pending: state.gaps.pending)
        for gap in rebuilt.pending { state.gaps.add(gap) }
        let lost = rebuilt.pending.reduce(0) { $0 + $1.gap.count }
        state.stateRebuilds += 1
        state.lastStateRebuild = SpoolStatus.LastError(
            at: now,
            message: "state.json was unreadable (\(problem)); moved to corrupt/\(aside); gap ledger rebuilt from \(kept.count) "
                + "records: \(lost) missing reports in \(rebuilt.pending.count) gaps; counters restart at 0; "
                + "reports lost before the oldest record cannot be known")
    }

    /// The records named in `directory` (corrupt/ or rejected/), from their names alone.
    private static func recordNames(in directory: URL) -> [SpoolEntry] {
        ((try? DurableFiles.list(directory)) ?? []).compactMap { SpoolEntry.parse(fileName: $0.name, bytes: $0.bytes) }
    }

    private static func load(_ url: URL) -> Result<SpooledReport, SpoolRecordProblem> {
        guard let data = try? DurableFiles.read(url) else { return .failure(.truncatedHeader(0)) }
        return SpoolRecord.decode(data).flatMap(SpooledReport.decode)
    }

    private func quarantine(_ url: URL) throws(SpoolError) {
        try DurableFiles.move(url, into: corruptDirectory)
        state.corruptRecords += 1
    }

    // MARK: Writing

    /// Spools `report` durably and returns it as spooled: carrying the oldest pending gap, if any (which is
    /// cleared only now that a spooled report carries it). Makes room first by dropping the oldest records: those
    /// older than the age bound by the wall clock `now` — and, when this process spooled them, by the monotonic
    /// clock `uptime` too — then the oldest until the new one fits.
    @discardableResult
    public func append(_ report: Report, bootStartedAt: Date, now: Date = Date(),
                       uptime: ContinuousClock.Instant = .now) throws(SpoolError) -> Report {
        let boot = BootOrigin(bootId: report.agent.bootId, startedAt: bootStartedAt)
        guard SpoolEntry.isValidBootId(boot.bootId) else {
            throw SpoolError(.badBootId, "boot id \"\(boot.bootId)\" cannot name a spool file")
        }
        var spooled = SpooledReport(report: report)
        let estimate = try Self.record(spooled).count + 256
        let young = Set(appendedAt.filter { uptime - $0.value < .seconds(bounds.maxAge) }.keys)
        try drop(bounds.entriesToDrop(entries, incoming: estimate, now: now, young: young))

        let carried = report.gap == nil ? state.gaps.next : nil
        if let carried {
            spooled.report.gap = carried.gap
            spooled.gapBoot = carried.boot
        }
        let data = try Self.record(spooled)
        let entry = SpoolEntry(boot: boot, seq: report.seq, generatedAt: report.generatedAt, bytes: data.count)
        highestSeq[boot.bootId] = max(highestSeq[boot.bootId] ?? 0, report.seq)
        do {
            try DurableFiles.writeAtomically(data, to: directory.appendingPathComponent(entry.fileName),
                                             via: temporaryDirectory.appendingPathComponent(entry.fileName))
        } catch {
            // Nothing of this report is stored: its seq is used up all the same (see `nextSeq`) and accounted
            // for as a gap, so the collector learns of the loss from the next report that can be stored.
            state.gaps.record(lost: [entry])
            state.unspooledReports += 1
            saveStateIfPossible()
            throw error
        }
        // The renamed record is the commit point: from here on the report is stored, whatever happens to
        // state.json (a crash before it is saved is recovered from the records, see `recover`).
        entries.removeAll { $0.key == entry.key }
        entries.insert(entry, at: entries.firstIndex { entry < $0 } ?? entries.endIndex)
        appendedAt[entry.key] = uptime
        if let carried {
            carriedGaps[entry.key] = carried
            state.gaps.carried(carried)
        }
        saveStateIfPossible()
        return spooled.report
    }

    /// The seq the next report of boot `bootId` must use: one past every seq this spool has been given for
    /// that boot, stored or not, and past every record of that boot on disk. A seq is never used twice.
    public func nextSeq(bootId: String) -> UInt64 {
        let onDisk = entries.filter { $0.boot.bootId == bootId }.map(\.seq).max()
        guard let highest = [onDisk, highestSeq[bootId]].compactMap({ $0 }).max() else { return 0 }
        return highest == .max ? highest : highest + 1
    }

    private static func record(_ spooled: SpooledReport) throws(SpoolError) -> Data {
        do {
            return SpoolRecord.encode(payload: try spooled.encoded())
        } catch {
            throw SpoolError(.encode, "cannot encode report \(spooled.report.seq)", cause: String(describing: error))
        }
    }

    private func drop(_ victims: [SpoolEntry]) throws(SpoolError) {
        guard !victims.isEmpty else { return }
        for victim in victims {
            try DurableFiles.remove(directory.appendingPathComponent(victim.fileName))
            // A dropped report that carried a gap takes the gap back to the ledger.
            if let carried = carriedGaps.removeValue(forKey: victim.key) { state.gaps.add(carried) }
        }
        try DurableFiles.syncDirectory(directory)
        let keys = Set(victims.map(\.key))
        entries.removeAll { keys.contains($0.key) }
        keys.forEach { appendedAt[$0] = nil }
        state.gaps.record(lost: victims)
        state.droppedReports += victims.count
    }

    // MARK: Draining

    /// Up to `max` reports, oldest first. A record found damaged now is moved aside, counted and gapped.
    public func peekBatch(max: Int) throws(SpoolError) -> [Item] {
        var items: [Item] = []
        var lost: [SpoolEntry] = []
        var index = 0
        while items.count < max, index < entries.count {
            let entry = entries[index]
            let url = directory.appendingPathComponent(entry.fileName)
            switch Self.load(url) {
            case .success(let spooled):
                items.append(Item(entry: entry, report: spooled.report))
                index += 1
            case .failure:
                try quarantine(url)
                entries.remove(at: index)
                carriedGaps[entry.key] = nil
                lost.append(entry)
            }
        }
        if !lost.isEmpty {
            state.gaps.record(lost: lost)
            saveStateIfPossible()
        }
        return items
    }

    /// Removes the acknowledged reports; returns how many of `keys` were in the spool.
    @discardableResult
    public func remove(keys: some Sequence<ReportKey>, at now: Date = Date()) throws(SpoolError) -> Int {
        let wanted = Set(keys)
        let removed = entries.filter { wanted.contains($0.key) }
        guard !removed.isEmpty else { return 0 }
        var count = 0
        defer {
            if count > 0 {
                state.acknowledgedReports += count
                state.lastAcknowledgedAt = now
                saveStateIfPossible()
            }
        }
        // Forgotten one by one as each is unlinked: a failure half-way (a read-only file system) leaves the
        // index matching the files.
        for entry in removed {
            try DurableFiles.remove(directory.appendingPathComponent(entry.fileName))
            entries.removeAll { $0.key == entry.key }
            carriedGaps[entry.key] = nil
            appendedAt[entry.key] = nil
            count += 1
        }
        try DurableFiles.syncDirectory(directory)
        return count
    }

    /// Moves a report the collector will never accept to `rejected/`, so that it no longer blocks the queue.
    public func reject(key: ReportKey, reason: String, at now: Date = Date()) throws(SpoolError) {
        guard let entry = entries.first(where: { $0.key == key }) else { return }
        try DurableFiles.move(directory.appendingPathComponent(entry.fileName), into: rejectedDirectory)
        entries.removeAll { $0.key == key }
        carriedGaps[key] = nil
        appendedAt[key] = nil
        state.rejectedReports += 1
        state.lastError = SpoolStatus.LastError(at: now, message: "report \(key.bootId)/\(key.seq) rejected: \(reason)")
        saveStateIfPossible()
    }

    /// Remembers the last send failure for `spool status`.
    public func recordError(_ message: String, at now: Date = Date()) throws(SpoolError) {
        state.lastError = SpoolStatus.LastError(at: now, message: message)
        try saveState()
    }

    public var isEmpty: Bool { entries.isEmpty }

    public func status() -> SpoolStatus {
        var status = SpoolStatus(directory: directory, entries: entries, state: state)
        status.stateSaveError = stateSaveError
        return status
    }

    // MARK: State

    private func saveState() throws(SpoolError) {
        do {
            try Self.saveState(state, in: directory)
            stateSaveError = nil
        } catch {
            stateSaveError = error.description
            throw error
        }
    }

    /// Saves the state after a change that is already durable elsewhere (a record renamed into place): a
    /// failure (disk full, read-only) is remembered for `spool status` and retried by the next save.
    private func saveStateIfPossible() { try? saveState() }

    private static func saveState(_ state: SpoolState, in directory: URL) throws(SpoolError) {
        let data: Data
        do {
            data = try ReportCoding.encoder(pretty: true).encode(state)
        } catch {
            throw SpoolError(.encode, "cannot encode the spool state", cause: String(describing: error))
        }
        try DurableFiles.writeAtomically(data, to: stateFile(directory),
                                         via: directory.appendingPathComponent("tmp/state.json.\(UUID().uuidString)"))
    }

    /// The saved state; a fresh one when there is none yet, or when it cannot be read (then with the problem).
    private static func readState(_ directory: URL) -> (SpoolState, problem: String?) {
        let file = stateFile(directory)
        guard FileManager.default.fileExists(atPath: file.path) else { return (SpoolState(), nil) }
        do {
            let data = try Data(contentsOf: file)
            return (try ReportCoding.decoder().decode(SpoolState.self, from: data), nil)
        } catch let error as DecodingError {
            return (SpoolState(), "not a spool state: \(decodingSummary(error))")
        } catch {
            return (SpoolState(), "cannot read it: \(error.localizedDescription)")
        }
    }

    private static func decodingSummary(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
             .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "invalid JSON" : "bad field \(path)"
        @unknown default:
            return "invalid JSON"
        }
    }

    /// The status of the spool in `directory` without opening it (no lock, no recovery, no writes): safe
    /// while the agent runs. Records are counted from their names.
    public static func status(directory: URL) throws(SpoolError) -> SpoolStatus {
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw SpoolError(.read, "no spool at \(directory.path)")
        }
        let entries = try DurableFiles.list(directory).compactMap { SpoolEntry.parse(fileName: $0.name, bytes: $0.bytes) }
        return SpoolStatus(directory: directory, entries: entries, state: readState(directory).0)
    }
}
