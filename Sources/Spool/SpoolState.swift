import Foundation
import ReadinessModel

/// What the spool remembers besides its records, persisted atomically in `state.json`.
public struct SpoolState: Sendable, Hashable, Codable {
    /// Records whose bytes failed their checks (torn or damaged), moved to `corrupt/`.
    public var corruptRecords = 0
    /// Temporary files of writes interrupted before their rename (a kill -9 mid-write), deleted.
    public var interruptedWrites = 0
    /// Reports dropped to keep the spool within its size and age bounds.
    public var droppedReports = 0
    /// Reports the collector refused for good, moved to `rejected/`.
    public var rejectedReports = 0
    public var acknowledgedReports = 0
    public var lastAcknowledgedAt: Date?
    public var lastError: SpoolStatus.LastError?
    public var gaps = GapLedger()
    /// Reports whose record could not be written (disk full, read-only): their seqs are accounted as gaps.
    public var unspooledReports = 0
    /// How often an unreadable `state.json` was set aside and the gap ledger rebuilt from the records.
    public var stateRebuilds = 0
    public var lastStateRebuild: SpoolStatus.LastError?

    public init() {}

    /// Keys added after the first release may be missing from an older `state.json`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        corruptRecords = try container.decode(Int.self, forKey: .corruptRecords)
        interruptedWrites = try container.decode(Int.self, forKey: .interruptedWrites)
        droppedReports = try container.decode(Int.self, forKey: .droppedReports)
        rejectedReports = try container.decode(Int.self, forKey: .rejectedReports)
        acknowledgedReports = try container.decode(Int.self, forKey: .acknowledgedReports)
        lastAcknowledgedAt = try container.decodeIfPresent(Date.self, forKey: .lastAcknowledgedAt)
        lastError = try container.decodeIfPresent(SpoolStatus.LastError.self, forKey: .lastError)
        gaps = try container.decode(GapLedger.self, forKey: .gaps)
        unspooledReports = try container.decodeIfPresent(Int.self, forKey: .unspooledReports) ?? 0
        stateRebuilds = try container.decodeIfPresent(Int.self, forKey: .stateRebuilds) ?? 0
        lastStateRebuild = try container.decodeIfPresent(SpoolStatus.LastError.self, forKey: .lastStateRebuild)
    }

    enum CodingKeys: String, CodingKey {
        case gaps
        case corruptRecords = "corrupt_records"
        case interruptedWrites = "interrupted_writes"
        case droppedReports = "dropped_reports"
        case rejectedReports = "rejected_reports"
        case acknowledgedReports = "acknowledged_reports"
        case lastAcknowledgedAt = "last_acknowledged_at"
        case lastError = "last_error"
        case unspooledReports = "unspooled_reports"
        case stateRebuilds = "state_rebuilds"
        case lastStateRebuild = "last_state_rebuild"
    }
}

/// What `sansang-agent spool status` shows.
public struct SpoolStatus: Sendable, Hashable, Codable {
    public struct LastError: Sendable, Hashable, Codable {
        public var at: Date
        public var message: String

        public init(at: Date, message: String) {
            self.at = at
            self.message = message
        }
    }

    public var directory: String
    /// Reports waiting to be acknowledged.
    public var depth: Int
    public var bytes: Int
    public var oldestGeneratedAt: Date?
    public var lastAcknowledgedAt: Date?
    public var lastError: LastError?
    public var corruptRecords: Int
    public var interruptedWrites: Int
    public var droppedReports: Int
    public var rejectedReports: Int
    public var acknowledgedReports: Int
    public var pendingGaps: [PendingGap]
    public var unspooledReports: Int
    public var stateRebuilds: Int
    public var lastStateRebuild: LastError?
    /// Why `state.json` could not be saved lately (disk full, read-only), while it has not been saved since:
    /// the records are safe, the counters and gaps shown are those in memory.
    public var stateSaveError: String?

    enum CodingKeys: String, CodingKey {
        case directory, depth, bytes
        case oldestGeneratedAt = "oldest_generated_at"
        case lastAcknowledgedAt = "last_acknowledged_at"
        case lastError = "last_error"
        case corruptRecords = "corrupt_records"
        case interruptedWrites = "interrupted_writes"
        case droppedReports = "dropped_reports"
        case rejectedReports = "rejected_reports"
        case acknowledgedReports = "acknowledged_reports"
        case pendingGaps = "pending_gaps"
        case unspooledReports = "unspooled_reports"
        case stateRebuilds = "state_rebuilds"
        case lastStateRebuild = "last_state_rebuild"
        case stateSaveError = "state_save_error"
    }

    init(directory: URL, entries: [SpoolEntry], state: SpoolState) {
        self.directory = directory.path
        depth = entries.count
        bytes = entries.reduce(0) { $0 + $1.bytes }
        oldestGeneratedAt = entries.map(\.generatedAt).min()
        lastAcknowledgedAt = state.lastAcknowledgedAt
        lastError = state.lastError
        corruptRecords = state.corruptRecords
        interruptedWrites = state.interruptedWrites
        droppedReports = state.droppedReports
        rejectedReports = state.rejectedReports
        acknowledgedReports = state.acknowledgedReports
        pendingGaps = state.gaps.pending
        unspooledReports = state.unspooledReports
        stateRebuilds = state.stateRebuilds
        lastStateRebuild = state.lastStateRebuild
    }
}

/// A spool operation that failed: a stable code, a message and the underlying cause.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case createDirectory = "create_directory"
        case locked
        case write
        case read
        case remove
        case badBootId = "bad_boot_id"
        case encode
    }

    public var code: Code
    public var message: String
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}
