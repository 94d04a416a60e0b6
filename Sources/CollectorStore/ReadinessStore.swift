import Crypto
import Foundation
import ReadinessModel
import SansangAPI

/// Where the collector keeps reports, verdicts, series and tokens. Storage-neutral: SQLite (`SQLiteStore`) and
/// PostgreSQL (`PostgresStore` in CollectorStorePostgres) behind this one protocol. Every method is atomic.
public protocol ReadinessStore: AlertStore, DashboardStore, SiteStateStore {
    /// Brings the schema up to date (idempotent).
    func migrate() async throws

    /// Proves the database answers (for `/readyz`).
    func ping() async throws

    /// Claims a mail that must go out once whatever the number of collectors sharing the database (the weekly
    /// summary of a week, by its Message-ID): true for the first claim, false when any collector claimed it before.
    func claimMail(id: String, at: Date) async throws -> Bool
    /// Gives a claim back when the mail could not be queued, so that a later run sends it.
    func releaseMailClaim(id: String) async throws

    /// Stores batches of reports in ONE transaction (one commit for many requests under load): all or nothing.
    /// A report whose (site, boot id, seq) is already stored (or repeated in the batches) is listed as a
    /// duplicate (same content) or a conflict (other content) and not stored again. One outcome per batch, in order.
    func ingest(_ batches: [IngestBatch]) async throws -> [IngestedKeys]

    /// The newest report of one site by the collector's clock: within one boot the highest seq, across boots the
    /// last received (never by the agent's `generated_at`).
    func latestReport(site: String) async throws -> StoredReport?
    /// The newest report of every site that has one, by site code.
    func latestReports() async throws -> [String: StoredReport]
    /// When the newest report of each site that has one was received (cheap: no report is decoded).
    func latestReceivedAt() async throws -> [String: Date]

    /// Saves each verdict as its site's current one; records a transition for each site whose state or
    /// set of reason keys changed (or that had no verdict before). Returns the transitions recorded.
    func recordVerdicts(_ verdicts: [SiteVerdict]) async throws -> [String: VerdictTransition]
    /// The current verdict of every site that has one, by site code.
    func currentVerdicts() async throws -> [String: SiteVerdict]

    /// Transitions of one site with `from <= at <= to`, oldest first.
    func transitions(site: String, from: Date, to: Date) async throws -> [VerdictTransition]
    /// Series points of one site with `from <= at <= to`, by time then series.
    func points(site: String, from: Date, to: Date) async throws -> [SiteHistoryBody.Point]
    /// Gap records the agent of one site sent with `from <= received_at <= to`, oldest first.
    func gaps(site: String, from: Date, to: Date) async throws -> [GapRecord]
    /// Stores SNMP notifications accepted from sites' agents, in one transaction. One already stored under its
    /// (site, boot id, report seq, kind) — a replayed INFORM — is not stored again; returns how many were not.
    @discardableResult
    func recordNotifications(_ notifications: [SiteNotification]) async throws -> Int
    /// Notifications of one site with `from <= received_at <= to`, oldest first.
    func notifications(site: String, from: Date, to: Date) async throws -> [SiteNotification]
    /// The newest notification of every site that has one, by site code.
    func latestNotifications() async throws -> [String: SiteNotification]

    /// Number of raw reports stored for one site.
    func reportCount(site: String) async throws -> Int

    /// Retention: deletes raw reports, series points, notifications, sent alert notifications and daily service
    /// tallies older than `before`; transitions, gaps and each site's latest report are kept.
    func prune(before: Date) async throws -> PruneOutcome

    func insertToken(_ token: TokenRecord) async throws
    func token(id: String) async throws -> TokenRecord?
    /// Every token, oldest first.
    func tokens() async throws -> [TokenRecord]
    /// Sets `revoked_at` once; false when there is no such token (revoking twice keeps the first time).
    func revokeToken(id: String, at: Date) async throws -> Bool

    /// Stores a one-time enrolment code (only its hash).
    func insertEnrolmentCode(_ code: EnrolmentCodeRecord) async throws
    /// Marks the code with this hash used, atomically, when it is for `site`, unused and not expired at `now`;
    /// otherwise leaves it as it is and says why not.
    func consumeEnrolmentCode(sha256: String, site: String, now: Date) async throws -> EnrolmentCodeOutcome
}

/// Migration identifiers ("v10-mail-claims") in the order of their version numbers, not of their text ("v10" after
/// "v9"): the order both stores apply them in.
public func inVersionOrder(_ identifiers: some Sequence<String>) -> [String] {
    func version(_ identifier: String) -> Int { Int(identifier.dropFirst().prefix { $0.isNumber }) ?? .max }
    return identifiers.sorted { (version($0), $0) < (version($1), $1) }
}

/// An error of a store that knows whether the database is away (callers answer 503 and retry) or the operation
/// itself failed.
public protocol StoreError: Error, Sendable {
    /// The database does not answer now; the same operation may succeed later.
    var isUnavailable: Bool { get }
}

extension ReadinessStore {
    /// Stores one batch of reports in one transaction: all or nothing.
    public func ingest(_ reports: [Report], receivedAt: Date) async throws -> IngestedKeys {
        try await ingest([IngestBatch(reports: reports, receivedAt: receivedAt)])[0]
    }
}

/// The reports of one request and when they were received.
public struct IngestBatch: Sendable {
    public var reports: [Report]
    public var receivedAt: Date
    /// The JSON of each report as received (same order), stored as it is; nil: the store encodes the reports.
    public var json: [Data]?

    public init(reports: [Report], receivedAt: Date, json: [Data]? = nil) {
        precondition(json == nil || json?.count == reports.count, "one JSON text per report")
        self.reports = reports
        self.receivedAt = receivedAt
        self.json = json
    }

    /// Each report with the JSON to store for it.
    public func encoded() throws -> [(report: Report, json: Data)] {
        if let json { return Array(zip(reports, json)) }
        let encoder = ReportCoding.encoder()
        return try reports.map { (report: $0, json: try encoder.encode($0)) }
    }
}

/// What `ingest` did with each report of a batch: the keys stored now and the keys it already had.
public struct IngestedKeys: Sendable, Hashable {
    public var stored: [ReportKey]
    /// Already stored with the same content.
    public var duplicates: [ReportKey]
    /// Already stored with other content (a broken or cloned agent): the stored report is kept.
    public var conflicts: [ReportConflict]

    public init(stored: [ReportKey] = [], duplicates: [ReportKey] = [], conflicts: [ReportConflict] = []) {
        self.stored = stored
        self.duplicates = duplicates
        self.conflicts = conflicts
    }
}

/// A report whose (site, boot id, seq) was stored before with other content.
public struct ReportConflict: Sendable, Hashable {
    public var key: ReportKey
    /// Lowercase hex SHA-256 of the canonical JSON of the stored and of the received report.
    public var storedDigest: String
    public var receivedDigest: String

    public init(key: ReportKey, storedDigest: String, receivedDigest: String) {
        self.key = key
        self.storedDigest = storedDigest
        self.receivedDigest = receivedDigest
    }
}

/// Lowercase hex SHA-256 of a report's canonical JSON (`ReportCoding.encoder()`).
public func reportDigest(_ json: Data) -> String {
    lowercaseHex(SHA256.hash(data: json))
}

/// Bytes as lowercase hexadecimal (without Foundation's per-byte formatting: this is on every request's path).
public func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 15)])
    }
    return String(decoding: text, as: UTF8.self)
}

/// The digest of a report's canonical JSON.
public func reportDigest(of report: Report) throws -> String {
    reportDigest(try ReportCoding.encoder().encode(report))
}

/// The digest of the canonical JSON of a stored report's JSON: rows keep the JSON as the agent sent it (any key order
/// and spacing), so a repeated report compares by content, not by bytes.
public func canonicalReportDigest(_ stored: Data) throws -> String {
    try reportDigest(of: ReportCoding.decoder().decode(Report.self, from: stored))
}

/// A report as stored, with the time the collector received it.
public struct StoredReport: Sendable, Hashable {
    public var report: Report
    public var receivedAt: Date

    public init(report: Report, receivedAt: Date) {
        self.report = report
        self.receivedAt = receivedAt
    }
}

public struct PruneOutcome: Sendable, Hashable {
    public var reports: Int
    public var points: Int

    public init(reports: Int, points: Int) {
        self.reports = reports
        self.points = points
    }
}

/// A bearer token as stored: never the token itself, only its SHA-256.
public struct TokenRecord: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case site
        case noc
    }

    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        case read
        case admin
    }

    public var id: String
    public var kind: Kind
    /// The site a site token is bound to; nil for NOC tokens.
    public var site: String?
    /// The NOC user a NOC token belongs to; for a site token, the site code.
    public var name: String
    /// Nil for site tokens.
    public var role: Role?
    /// Lowercase hex SHA-256 of the whole token string.
    public var sha256: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: String, kind: Kind, site: String?, name: String, role: Role?, sha256: String, createdAt: Date,
                revokedAt: Date? = nil) {
        self.id = id
        self.kind = kind
        self.site = site
        self.name = name
        self.role = role
        self.sha256 = sha256
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, site, name, role, sha256
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }
}

/// The measured series a report contributes to history charts.
public enum SeriesExtraction {
    /// "link:<role>:<source>" speed in Mbit/s at the report time, "throughput:<role>:<direction>" Mbit/s at
    /// the measurement time, "service:<name>" total ms at the check time. Unknown readings give no point.
    public static func points(of report: Report) -> [SiteHistoryBody.Point] {
        var points: [SiteHistoryBody.Point] = []
        for link in report.links {
            for reading in link.speed {
                if let speed = reading.speedMbps {
                    points.append(.init(at: report.generatedAt, series: "link:\(link.role.rawValue):\(reading.source.rawValue)",
                                        value: Double(speed)))
                }
            }
            if let throughput = link.throughput, throughput.error == nil {
                for direction in ThroughputDirection.allCases {
                    if let mbps = throughput.mbps[direction] {
                        points.append(.init(at: throughput.measuredAt,
                                            series: "throughput:\(link.role.rawValue):\(direction.rawValue)", value: mbps))
                    }
                }
            }
        }
        for service in report.services {
            if let total = service.totalMilliseconds {
                points.append(.init(at: service.checkedAt, series: "service:\(service.name)", value: total))
            }
        }
        return points
    }
}

/// Whether a new verdict is a transition from the old one: state or the set of reason keys changed.
public func isTransition(from old: SiteVerdict?, to new: SiteVerdict) -> Bool {
    guard let old else { return true }
    return old.state != new.state || Set(old.reasons.map(\.key.description)) != Set(new.reasons.map(\.key.description))
}

/// A one-time enrolment code as stored: never the code itself, only its SHA-256.
public struct EnrolmentCodeRecord: Sendable, Hashable {
    public var sha256: String
    public var site: String
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    public init(sha256: String, site: String, createdAt: Date, expiresAt: Date, usedAt: Date? = nil) {
        self.sha256 = sha256
        self.site = site
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// What `consumeEnrolmentCode` did.
public enum EnrolmentCodeOutcome: Sendable, Hashable {
    case consumed
    case unknown
    case used
    case expired
    /// The code exists but was issued for this other site.
    case otherSite(String)
}
