import Crypto
import Foundation
import GRDB
import ReadinessModel
import SansangAPI

/// The SQLite store: one file, WAL (a `DatabasePool` gives concurrent readers beside the one writer).
/// Dates are stored as Unix seconds (REAL) so that ranges compare as numbers.
public final class SQLiteStore: ReadinessStore {
    public let path: String
    /// The offices' wall clock (`office_time_zone:`): the day a service check counts for in `service_day`.
    public let officeTimeZone: TimeZone
    let pool: DatabasePool
    let decodeCounts = DecodeCounts()

    /// Opens (creating if needed) the database file; its directory must exist. Call `migrate()` before use.
    public init(path: String, officeTimeZone: TimeZone = OfficeTime.zone) throws {
        self.path = path
        self.officeTimeZone = officeTimeZone
        var configuration = Configuration()
        configuration.label = "sansang-collector"
        // Writers queue behind each other instead of failing with SQLITE_BUSY under load.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    /// Refuses a database that a newer collector has migrated further than this binary knows (`newer_schema`):
    /// running on it could misread or damage what the newer schema keeps.
    public func migrate() async throws {
        let migrator = Self.migrator
        let unknown = try await pool.read { db in
            try Set(migrator.appliedIdentifiers(db)).subtracting(migrator.migrations).sorted()
        }
        guard unknown.isEmpty else {
            throw SQLiteStoreError(code: "newer_schema", message: """
                the database was migrated by a newer collector (\(unknown.joined(separator: ", ")) unknown to this one): \
                run the newer collector, or restore a backup made before its upgrade
                """)
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            migrator.asyncMigrate(pool) { result in
                continuation.resume(with: result.map { _ in () })
            }
        }
    }

    /// The identifiers of the migrations applied to the database, in order.
    public func appliedMigrations() async throws -> [String] {
        let migrator = Self.migrator
        return try await pool.read { db in inVersionOrder(try migrator.appliedIdentifiers(db)) }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-reports-verdicts-series-tokens") { db in
            try db.execute(sql: """
                CREATE TABLE report (
                    id INTEGER PRIMARY KEY,
                    site TEXT NOT NULL, boot_id TEXT NOT NULL, seq INTEGER NOT NULL,
                    generated_at REAL NOT NULL, received_at REAL NOT NULL, json BLOB NOT NULL,
                    UNIQUE (site, boot_id, seq));
                CREATE INDEX report_received ON report (received_at);
                CREATE TABLE latest_report (
                    site TEXT PRIMARY KEY, boot_id TEXT NOT NULL, seq INTEGER NOT NULL,
                    generated_at REAL NOT NULL, received_at REAL NOT NULL, json BLOB NOT NULL);
                CREATE TABLE verdict (
                    site TEXT PRIMARY KEY, state TEXT NOT NULL, evaluated_at REAL NOT NULL, json BLOB NOT NULL);
                CREATE TABLE transition (
                    id INTEGER PRIMARY KEY, site TEXT NOT NULL, at REAL NOT NULL,
                    from_state TEXT, to_state TEXT NOT NULL, reasons BLOB NOT NULL);
                CREATE INDEX transition_site_at ON transition (site, at);
                CREATE TABLE point (
                    site TEXT NOT NULL, at REAL NOT NULL, series TEXT NOT NULL, value REAL NOT NULL,
                    PRIMARY KEY (site, series, at)) WITHOUT ROWID;
                CREATE INDEX point_at ON point (at);
                CREATE TABLE gap (
                    id INTEGER PRIMARY KEY, site TEXT NOT NULL, boot_id TEXT NOT NULL, seq INTEGER NOT NULL,
                    count INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
                    from_at REAL NOT NULL, to_at REAL NOT NULL, received_at REAL NOT NULL);
                CREATE INDEX gap_site ON gap (site, received_at);
                CREATE TABLE token (
                    id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('site', 'noc')), site TEXT,
                    name TEXT NOT NULL, role TEXT CHECK (role IN ('read', 'admin')), sha256 TEXT NOT NULL,
                    created_at REAL NOT NULL, revoked_at REAL);
                """)
        }
        // The boot whose reports a gap lost (it may differ from the boot of the report carrying it).
        migrator.registerMigration("v2-gap-lost-boot") { db in
            try db.execute(sql: "ALTER TABLE gap ADD COLUMN lost_boot_id TEXT")
        }
        migrator.registerMigration("v3-snmp-notifications") { db in
            try db.execute(sql: """
                CREATE TABLE notification (
                    id INTEGER PRIMARY KEY, site TEXT NOT NULL, received_at REAL NOT NULL, json BLOB NOT NULL);
                CREATE INDEX notification_site ON notification (site, received_at);
                """)
        }
        migrator.registerMigration("v4-alerts-silences-service-days") { db in
            try db.execute(sql: """
                CREATE TABLE alert_instance (
                    rule TEXT NOT NULL, site TEXT NOT NULL, state TEXT NOT NULL, json BLOB NOT NULL,
                    PRIMARY KEY (rule, site));
                CREATE TABLE alert_notification (
                    id INTEGER PRIMARY KEY, receiver TEXT NOT NULL, group_key TEXT NOT NULL, json BLOB NOT NULL,
                    created_at REAL NOT NULL, due_at REAL NOT NULL, retry_at REAL NOT NULL, sent_at REAL,
                    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);
                CREATE INDEX alert_notification_queue ON alert_notification (sent_at, retry_at);
                CREATE TABLE silence (
                    id TEXT PRIMARY KEY, starts_at REAL NOT NULL, ends_at REAL NOT NULL, json BLOB NOT NULL);
                CREATE TABLE service_day (
                    service TEXT NOT NULL, day INTEGER NOT NULL, site TEXT NOT NULL,
                    ok INTEGER NOT NULL, total INTEGER NOT NULL, last_checked_at REAL NOT NULL,
                    PRIMARY KEY (service, day, site)) WITHOUT ROWID;
                """)
        }
        // One-time enrolment codes (sansang-collector enroll issue), stored hashed.
        migrator.registerMigration("v5-enrolment-codes") { db in
            try db.execute(sql: """
                CREATE TABLE enrolment_code (
                    sha256 TEXT PRIMARY KEY, site TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL,
                    used_at REAL);
                """)
        }
        // The SHA-256 of each report's canonical JSON: the same id with other content is a conflict, not a duplicate.
        migrator.registerMigration("v6-report-digest") { db in
            try db.execute(sql: "ALTER TABLE report ADD COLUMN digest TEXT")
        }
        // A notification is stored once per (site, boot, report seq, kind): an INFORM replayed within USM's time
        // window is a duplicate, as a resent report is. Rows stored before have no key (NULLs never collide).
        migrator.registerMigration("v7-notification-key") { db in
            try db.execute(sql: """
                ALTER TABLE notification ADD COLUMN boot_id TEXT;
                ALTER TABLE notification ADD COLUMN report_seq INTEGER;
                ALTER TABLE notification ADD COLUMN kind TEXT;
                CREATE UNIQUE INDEX notification_key ON notification (site, boot_id, report_seq, kind);
                """)
        }
        registerDashboardMigration(&migrator)
        registerSiteStateMigration(&migrator)
        migrator.registerMigration("v10-mail-claims") { db in
            try db.execute(sql: "CREATE TABLE mail_claim (id TEXT PRIMARY KEY, claimed_at REAL NOT NULL)")
        }
        // Transitions by time, for reads bounded by a window (the dashboard's trend) instead of all history.
        migrator.registerMigration("v11-transition-at") { db in
            try db.execute(sql: "CREATE INDEX transition_at ON transition (at)")
        }
        return migrator
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Reports

    public func ingest(_ batches: [IngestBatch]) async throws -> [IngestedKeys] {
        let encoded = try batches.map { batch in
            (reports: try batch.encoded(), canonical: batch.json == nil, received: batch.receivedAt.timeIntervalSince1970)
        }
        let zone = officeTimeZone
        return try await pool.write { db in
            try encoded.map { batch in
                try Self.insert(batch.reports, canonical: batch.canonical, received: batch.received, officeTimeZone: zone, db)
            }
        }
    }

    /// One batch's rows, inside the caller's transaction. `canonical`: the JSON texts are the reports' canonical
    /// encoding (their digest is stored); otherwise they are as the agent sent them and the digest is left NULL, to be
    /// computed from the decoded report only when the same id comes again (rare: a retry or a conflict).
    static func insert(_ encoded: [(report: Report, json: Data)], canonical: Bool, received: Double, officeTimeZone: TimeZone,
                       _ db: Database) throws -> IngestedKeys {
        var outcome = IngestedKeys()
        for (report, json) in encoded {
            let key = ReportKey(report)
            let generated = report.generatedAt.timeIntervalSince1970
            let arguments: StatementArguments = [report.site, key.bootId, Int64(bitPattern: key.seq), generated, received, json]
            try db.cachedStatement(sql: """
                INSERT INTO report (site, boot_id, seq, generated_at, received_at, json, digest) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (site, boot_id, seq) DO NOTHING
                """).execute(arguments: arguments + [canonical ? reportDigest(json) : nil])
            guard db.changesCount == 1 else {
                let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT digest, json FROM report WHERE site = ? AND boot_id = ? AND seq = ?"),
                                           arguments: [report.site, key.bootId, Int64(bitPattern: key.seq)])
                // Rows stored as received (or before digests existed) are hashed now, by content.
                let stored = (row?["digest"] as String?)
                    ?? (row?["json"] as Data?).map { json in (try? canonicalReportDigest(json)) ?? reportDigest(json) } ?? ""
                let digest = try reportDigest(of: report)
                if stored == digest {
                    outcome.duplicates.append(key)
                } else {
                    outcome.conflicts.append(ReportConflict(key: key, storedDigest: stored, receivedDigest: digest))
                }
                continue
            }
            outcome.stored.append(key)
            // Newest by the collector's clock, never the agent's (a clock in 2099 must not freeze the site): within
            // one boot the higher seq wins (a report drained late from the spool must not hide a newer one); a
            // new boot wins when received at or after the latest (the last report of a batch wins its ties).
            try db.cachedStatement(sql: """
                INSERT INTO latest_report (site, boot_id, seq, generated_at, received_at, json) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (site) DO UPDATE SET boot_id = excluded.boot_id, seq = excluded.seq,
                    generated_at = excluded.generated_at, received_at = excluded.received_at, json = excluded.json
                WHERE (excluded.boot_id = latest_report.boot_id AND excluded.seq > latest_report.seq)
                   OR (excluded.boot_id <> latest_report.boot_id AND excluded.received_at >= latest_report.received_at)
                """).execute(arguments: arguments)
            for point in SeriesExtraction.points(of: report) {
                try db.cachedStatement(sql: """
                    INSERT INTO point (site, at, series, value) VALUES (?, ?, ?, ?)
                    ON CONFLICT (site, series, at) DO NOTHING
                    """).execute(arguments: [report.site, point.at.timeIntervalSince1970, point.series, point.value])
            }
            // Reports repeat the newest result of a check until it runs again: count each check time once.
            for service in report.services {
                try db.cachedStatement(sql: """
                    INSERT INTO service_day (service, day, site, ok, total, last_checked_at) VALUES (?, ?, ?, ?, 1, ?)
                    ON CONFLICT (service, day, site) DO UPDATE SET ok = ok + excluded.ok, total = total + 1,
                        last_checked_at = excluded.last_checked_at
                    WHERE excluded.last_checked_at > service_day.last_checked_at
                    """).execute(arguments: [service.name, OfficeTime.day(of: service.checkedAt, in: officeTimeZone), report.site,
                                             service.ok ? 1 : 0, service.checkedAt.timeIntervalSince1970])
            }
            if let gap = report.gap {
                try db.cachedStatement(sql: """
                    INSERT INTO gap (site, boot_id, seq, count, first_seq, last_seq, from_at, to_at, received_at,
                                     lost_boot_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [report.site, key.bootId, Int64(bitPattern: key.seq), gap.count,
                                     Int64(bitPattern: gap.firstSeq), Int64(bitPattern: gap.lastSeq),
                                     gap.from.timeIntervalSince1970, gap.to.timeIntervalSince1970, received,
                                     gap.bootId ?? key.bootId])
            }
        }
        return outcome
    }

    public func latestReport(site: String) async throws -> StoredReport? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT json, received_at FROM latest_report WHERE site = ?"), arguments: [site])
                .map(storedReport)
        }
    }

    public func latestReports() async throws -> [String: StoredReport] {
        try await pool.read { db in
            var result: [String: StoredReport] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT site, json, received_at FROM latest_report") {
                result[row["site"]] = try storedReport(row)
            }
            return result
        }
    }

    public func latestReceivedAt() async throws -> [String: Date] {
        try await pool.read { db in
            var result: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT site, received_at FROM latest_report") {
                result[row["site"]] = Date(timeIntervalSince1970: row["received_at"])
            }
            return result
        }
    }

    func storedReport(_ row: Row) throws -> StoredReport {
        decodeCounts.reports.add(1, ordering: .relaxed)
        return StoredReport(report: try ReportCoding.decoder().decode(Report.self, from: row["json"] as Data),
                     receivedAt: Date(timeIntervalSince1970: row["received_at"]))
    }

    public func reportCount(site: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM report WHERE site = ?", arguments: [site]) ?? 0
        }
    }

    // MARK: Verdicts

    /// Without recheck times: these verdicts are looked at again only when their site reports (or by a full evaluation).
    public func recordVerdicts(_ verdicts: [SiteVerdict]) async throws -> [String: VerdictTransition] {
        try await recordVerdicts(verdicts, recheckAt: [:])
    }

    public func currentVerdicts() async throws -> [String: SiteVerdict] {
        try await pool.read { db in
            let decoder = ReportCoding.decoder()
            var result: [String: SiteVerdict] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT site, json FROM verdict") {
                decodeCounts.verdicts.add(1, ordering: .relaxed)
                result[row["site"]] = try decoder.decode(SiteVerdict.self, from: row["json"] as Data)
            }
            return result
        }
    }

    public func transitions(site: String, from: Date, to: Date) async throws -> [VerdictTransition] {
        try await pool.read { db in
            let decoder = ReportCoding.decoder()
            return try Row.fetchAll(db, sql: """
                SELECT at, from_state, to_state, reasons FROM transition
                WHERE site = ? AND at BETWEEN ? AND ? ORDER BY at, id
                """, arguments: [site, from.timeIntervalSince1970, to.timeIntervalSince1970]).map { row in
                try Self.transition(row, decoder: decoder)
            }
        }
    }

    static func transition(_ row: Row, decoder: JSONDecoder) throws -> VerdictTransition {
        VerdictTransition(at: Date(timeIntervalSince1970: row["at"]),
                          from: (row["from_state"] as String?).flatMap(VerdictState.init(rawValue:)),
                          to: VerdictState(rawValue: row["to_state"]) ?? .unknown,
                          reasons: try decoder.decode([Reason].self, from: row["reasons"] as Data))
    }

    public func points(site: String, from: Date, to: Date) async throws -> [SiteHistoryBody.Point] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT at, series, value FROM point WHERE site = ? AND at BETWEEN ? AND ? ORDER BY at, series
                """, arguments: [site, from.timeIntervalSince1970, to.timeIntervalSince1970]).map { row in
                SiteHistoryBody.Point(at: Date(timeIntervalSince1970: row["at"]), series: row["series"], value: row["value"])
            }
        }
    }

    public func gaps(site: String, from: Date, to: Date) async throws -> [GapRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT count, first_seq, last_seq, from_at, to_at, lost_boot_id FROM gap
                WHERE site = ? AND received_at BETWEEN ? AND ? ORDER BY received_at, id
                """, arguments: [site, from.timeIntervalSince1970, to.timeIntervalSince1970]).map { row in
                GapRecord(count: row["count"], firstSeq: UInt64(bitPattern: row["first_seq"]),
                          lastSeq: UInt64(bitPattern: row["last_seq"]),
                          from: Date(timeIntervalSince1970: row["from_at"]), to: Date(timeIntervalSince1970: row["to_at"]),
                          bootId: row["lost_boot_id"])
            }
        }
    }

    // MARK: Notifications

    @discardableResult
    public func recordNotifications(_ notifications: [SiteNotification]) async throws -> Int {
        let encoder = ReportCoding.encoder()
        let rows = try notifications.map { ($0, try encoder.encode($0)) }
        return try await pool.write { db in
            var duplicates = 0
            for (notification, json) in rows {
                try db.execute(sql: """
                    INSERT INTO notification (site, received_at, json, boot_id, report_seq, kind) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (site, boot_id, report_seq, kind) DO NOTHING
                    """, arguments: [notification.site, notification.receivedAt.timeIntervalSince1970, json, notification.bootId,
                                     Int64(bitPattern: notification.reportSeq), notification.kind.rawValue])
                if db.changesCount == 0 { duplicates += 1 }
            }
            return duplicates
        }
    }

    public func notifications(site: String, from: Date, to: Date) async throws -> [SiteNotification] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT site, json FROM notification WHERE site = ? AND received_at BETWEEN ? AND ? ORDER BY received_at, id
                """, arguments: [site, from.timeIntervalSince1970, to.timeIntervalSince1970]).map(Self.notification)
        }
    }

    public func latestNotifications() async throws -> [String: SiteNotification] {
        try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT n.site, n.json FROM notification n
                JOIN (SELECT site, MAX(id) AS id FROM notification GROUP BY site) newest ON n.id = newest.id
                """)
            return try Dictionary(uniqueKeysWithValues: rows.map { row in (row["site"] as String, try Self.notification(row)) })
        }
    }

    static func notification(_ row: Row) throws -> SiteNotification {
        var notification = try ReportCoding.decoder().decode(SiteNotification.self, from: row["json"] as Data)
        notification.site = row["site"]
        return notification
    }

    public func prune(before: Date) async throws -> PruneOutcome {
        let cutoff = before.timeIntervalSince1970
        let day = OfficeTime.day(of: before, in: officeTimeZone)
        return try await pool.write { db in
            try db.execute(sql: "DELETE FROM report WHERE received_at < ?", arguments: [cutoff])
            let reports = db.changesCount
            try db.execute(sql: "DELETE FROM point WHERE at < ?", arguments: [cutoff])
            let points = db.changesCount
            try db.execute(sql: "DELETE FROM notification WHERE received_at < ?", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM alert_notification WHERE sent_at < ?", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM service_day WHERE day < ?", arguments: [day])
            return PruneOutcome(reports: reports, points: points)
        }
    }

    // MARK: Tokens

    public func insertToken(_ token: TokenRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO token (id, kind, site, name, role, sha256, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [token.id, token.kind.rawValue, token.site, token.name, token.role?.rawValue, token.sha256,
                                 token.createdAt.timeIntervalSince1970, token.revokedAt?.timeIntervalSince1970])
        }
    }

    public func token(id: String) async throws -> TokenRecord? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM token WHERE id = ?"), arguments: [id]).map(Self.tokenRecord)
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM token ORDER BY created_at, id").map(Self.tokenRecord)
        }
    }

    public func revokeToken(id: String, at: Date) async throws -> Bool {
        try await pool.write { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM token WHERE id = ?", arguments: [id]) != nil else { return false }
            try db.execute(sql: "UPDATE token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           arguments: [at.timeIntervalSince1970, id])
            return true
        }
    }

    // MARK: Enrolment codes

    public func insertEnrolmentCode(_ code: EnrolmentCodeRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO enrolment_code (sha256, site, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [code.sha256, code.site, code.createdAt.timeIntervalSince1970,
                                 code.expiresAt.timeIntervalSince1970, code.usedAt?.timeIntervalSince1970])
        }
    }

    public func consumeEnrolmentCode(sha256: String, site: String, now: Date) async throws -> EnrolmentCodeOutcome {
        try await pool.write { db -> EnrolmentCodeOutcome in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM enrolment_code WHERE sha256 = ?", arguments: [sha256]) else {
                return .unknown
            }
            let owner: String = row["site"]
            if owner != site { return .otherSite(owner) }
            if (row["used_at"] as Double?) != nil { return .used }
            if now.timeIntervalSince1970 >= row["expires_at"] { return .expired }
            try db.execute(sql: "UPDATE enrolment_code SET used_at = ? WHERE sha256 = ?",
                           arguments: [now.timeIntervalSince1970, sha256])
            return .consumed
        }
    }

    private static func tokenRecord(_ row: Row) -> TokenRecord {
        TokenRecord(id: row["id"], kind: TokenRecord.Kind(rawValue: row["kind"]) ?? .site, site: row["site"],
                    name: row["name"], role: (row["role"] as String?).flatMap(TokenRecord.Role.init(rawValue:)),
                    sha256: row["sha256"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}

/// A refusal of the SQLite store with a stable code and a message.
public struct SQLiteStoreError: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var description: String { "\(code): \(message)" }
}
