import CollectorStore
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import ReadinessModel
import SansangAPI
import ServiceLifecycle
import Synchronization

/// The PostgreSQL store: several collector replicas share one database (docs/scale-out.md). Same protocols and
/// same semantics as `SQLiteStore` (the store tests run against both). A pool of connections (`PostgresClient`)
/// that only works while `run()` runs: add the store to the collector's ServiceGroup.
///
/// Concurrency between replicas: unique keys with `ON CONFLICT` decide duplicates (a report posted to two replicas
/// at once is stored by one and is a duplicate for the other); rows read to be changed are locked (`FOR UPDATE`);
/// the batches of one group commit are written in site order, so that two replicas lock rows in the same order.
public final class PostgresStore: ReadinessStore, Service {
    public let configuration: PostgresStoreConfiguration
    let client: PostgresClient
    let logger: Logger
    /// Set once `migrate()` succeeded: before that the store is not ready (`ping` fails).
    private let migrated = Mutex(false)
    /// Whether the database answered the last check (`watchDatabase`).
    private let reachable = Mutex(true)
    /// The backend pid of the session through which this replica holds the alert leader's lock (set by
    /// `PostgresLeaderElection`); nil: no fence (one process, or tests).
    private let leaderFence = Mutex<Int32?>(nil)

    /// Fences the alert leader's writes: while set, an alert round commits and the notification log yields due
    /// groups only while the session `pid` still holds the leader's lock. A replica that has not yet noticed it
    /// lost the leadership (the database restarted, its session ended, another replica took over) cannot then
    /// notify what the new leader notifies.
    public func setLeaderFence(_ pid: Int32?) {
        leaderFence.withLock { $0 = pid }
    }

    /// Throws `notLeader` when a fence is set and its session no longer holds the leader's lock.
    func checkLeaderFence(_ connection: PostgresConnection) async throws {
        guard let pid = leaderFence.withLock({ $0 }) else { return }
        let lock = PostgresSchema.leaderLock
        let high = Int64(UInt64(bitPattern: lock) >> 32), low = Int64(UInt64(bitPattern: lock) & 0xFFFF_FFFF)
        let holds = try await connection.query("""
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = \(pid)
                           AND classid::bigint = \(high) AND objid::bigint = \(low) AND objsubid = 1)
            """, logger: logger).collect().first?.decode(Bool.self) ?? false
        guard holds else { throw PostgresStoreError(.notLeader, "this replica's session no longer holds the alert leader's lock") }
    }

    public init(configuration: PostgresStoreConfiguration, logger: Logger = Logger(label: "sansang.postgresql")) throws {
        self.configuration = configuration
        self.logger = logger
        // The pool logs every failed connection attempt at info: warnings only (the watch says when the database is away).
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        client = PostgresClient(configuration: try Self.clientConfiguration(configuration), backgroundLogger: background)
    }

    static func clientConfiguration(_ settings: PostgresStoreConfiguration) throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let directory = settings.unixSocketDirectory {
            configuration = .init(unixSocketPath: "\(directory)/.s.PGSQL.\(settings.port)", username: settings.user,
                                  password: settings.password, database: settings.database)
        } else {
            configuration = .init(host: settings.host, port: settings.port, username: settings.user, password: settings.password,
                                  database: settings.database, tls: try tls(settings))
        }
        configuration.options.maximumConnections = settings.maximumConnections
        configuration.options.connectTimeout = .seconds(Int64(settings.connectTimeoutSeconds))
        return configuration
    }

    static func tlsConfiguration(_ settings: PostgresStoreConfiguration) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        return tls
    }

    static func tls(_ settings: PostgresStoreConfiguration) throws -> PostgresClient.Configuration.TLS {
        switch settings.tls {
        case .disable: .disable
        case .prefer: .prefer(try tlsConfiguration(settings))
        case .require: .require(try tlsConfiguration(settings))
        }
    }

    /// Runs the connection pool, and the watch on the database, until the service group shuts down.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await cancelWhenGracefulShutdown { await self.watchDatabase() } }
        }
    }

    /// How long an operation may wait for the database before the watch calls it away.
    public static let answerTimeout: Duration = .seconds(3)

    /// Checks every second that the database answers within `answerTimeout`. While it does not, operations fail at
    /// once with `unavailable` (ingest answers 503 with Retry-After) instead of waiting in the pool's queue for a
    /// connection that cannot be made (postgres-nio fails queued requests only after a minute).
    private func watchDatabase() async {
        while !Task.isCancelled {
            let answered = await answers()
            if reachable.withLock({ value in defer { value = answered }; return value != answered }) {
                if answered {
                    logger.info("the database answers again", metadata: ["database": "\(configuration.redactedDescription)"])
                } else {
                    logger.error("the database does not answer", metadata: ["database": "\(configuration.redactedDescription)"])
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Whether `SELECT 1` on a pooled connection answers, waiting at most `timeout` for the connection. A query once
    /// sent is never cancelled (a cancelled query could keep its connection leased for good).
    public func answers(within timeout: Duration = PostgresStore.answerTimeout) async -> Bool {
        let logger = logger
        return (try? await withConnection(wait: timeout, evenIfAway: true) { connection in
            try await connection.query("SELECT 1", logger: logger).collect()
        }) != nil
    }

    /// Throws `unavailable` while the watch finds the database away.
    private func checkReachable() throws {
        guard reachable.withLock({ $0 }) else {
            throw PostgresStoreError(.unavailable, "the database \(configuration.redactedDescription) does not answer")
        }
    }

    /// Runs `body` with the pool running (for commands that are not a ServiceGroup: `migrate`, `token`, tests).
    public func withRunning<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    // MARK: Queries

    /// The rows of one query on a pooled connection.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let logger = logger
        return try await withConnection { connection in try await connection.query(query, logger: logger).collect() }
    }

    /// Runs `body` on a pooled connection, waiting at most `connect_timeout_s` for one: while the database is away the
    /// pool keeps requests queued (postgres-nio fails them only after a minute), and a caller (an agent's report)
    /// must rather hear `unavailable` and retry. Once `body` has started, it is never cut short.
    func withConnection<T: Sendable>(wait: Duration? = nil, evenIfAway: Bool = false,
                                     _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        if !evenIfAway { try checkReachable() }
        let started = StartedFlag()
        let wait = wait ?? Duration.seconds(configuration.connectTimeoutSeconds)
        let client = client
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        started.value.withLock { $0 = true }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: wait)
                    if !started.value.withLock({ $0 }) {
                        throw PostgresStoreError(.unavailable, "no database connection within \(wait)")
                    }
                    return nil
                }
                while let result = try await group.next() {
                    if let value = result {
                        group.cancelAll()
                        return value
                    }
                }
                throw PostgresStoreError(.unavailable, "no answer from the database")
            }
        } catch let error as PostgresTransactionError {
            throw Self.classify(error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch {
            throw Self.classify(error)
        }
    }

    func execute(_ query: PostgresQuery) async throws {
        _ = try await rows(query)
    }

    /// A failure to reach the database (connection refused, closed, no connection in time) as `unavailable`;
    /// errors of the SQL itself as they are.
    static func classify(_ error: any Error) -> any Error {
        switch error {
        case is PostgresStoreError, is CancellationError: return error
        // The server going away answers with SQLSTATE class 57 (operator intervention) or 08 (connection exception).
        case let psql as PSQLError where psql.code == .server
            && !["57", "08"].contains(psql.serverInfo?[.sqlState]?.prefix(2) ?? ""): return error
        default: return PostgresStoreError(.unavailable, "the database connection failed", cause: error)
        }
    }

    /// One transaction: committed when `body` returns, rolled back when it throws.
    /// Throws what `body` threw (postgres-nio wraps it in a `PostgresTransactionError`).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = logger
        return try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    // MARK: Migrations

    public func migrate() async throws {
        let known = PostgresSchema.migrations.map(\.identifier)
        try await transaction { [self] connection in
            // Two replicas starting together: the second waits here until the first has committed.
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))", logger: logger).collect()
            _ = try await connection.query(PostgresQuery(unsafeSQL: PostgresSchema.migrationsTable), logger: logger).collect()
            let applied = try await connection.query("SELECT identifier FROM sansang_migrations", logger: logger).collect()
                .map { try $0.decode(String.self) }
            let unknown = Set(applied).subtracting(known)
            guard unknown.isEmpty else {
                throw PostgresStoreError(.newerSchema, """
                    the database was migrated by a newer sansang-collector (it has \(unknown.sorted().joined(separator: ", ")); \
                    this binary knows up to \(known.last ?? "")): install that version or newer
                    """)
            }
            let now = Date().timeIntervalSince1970
            for migration in PostgresSchema.migrations where !applied.contains(migration.identifier) {
                for statement in migration.statements {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
                }
                _ = try await connection.query(
                    "INSERT INTO sansang_migrations (identifier, applied_at) VALUES (\(migration.identifier), \(now))", logger: logger
                ).collect()
                logger.info("migrated the database", metadata: ["migration": "\(migration.identifier)"])
            }
        }
        migrated.withLock { $0 = true }
    }

    /// The identifiers of the migrations applied to the database, in order.
    public func appliedMigrations() async throws -> [String] {
        inVersionOrder(try await rows("SELECT identifier FROM sansang_migrations").map { try $0.decode(String.self) })
    }

    /// Proves the database answers and its schema is this binary's (after `migrate()`).
    public func ping() async throws {
        guard migrated.withLock({ $0 }) else { throw PostgresStoreError(.unavailable, "the schema is not migrated yet") }
        try checkReachable()
        guard await answers() else {
            throw PostgresStoreError(.unavailable, "the database \(configuration.redactedDescription) does not answer")
        }
    }

    // MARK: Reports

    public func ingest(_ batches: [IngestBatch]) async throws -> [IngestedKeys] {
        let encoded = try batches.map { batch in
            (reports: try batch.encoded(), canonical: batch.json == nil, received: batch.receivedAt.timeIntervalSince1970)
        }
        // Written in the order of their sites (ties: as received), answered in the order asked.
        let order = encoded.indices.sorted { a, b in
            let siteA = encoded[a].reports.first?.report.site ?? "", siteB = encoded[b].reports.first?.report.site ?? ""
            return siteA == siteB ? a < b : siteA < siteB
        }
        return try await transaction { [self] connection in
            var outcomes = [IngestedKeys](repeating: IngestedKeys(), count: encoded.count)
            for index in order {
                outcomes[index] = try await insert(encoded[index].reports, canonical: encoded[index].canonical,
                                                   received: encoded[index].received, connection)
            }
            return outcomes
        }
    }

    /// As SQLiteStore: `canonical` JSON gets its digest stored; JSON as received gets it computed from the decoded
    /// report when the same id comes again.
    private func insert(_ encoded: [(report: Report, json: Data)], canonical: Bool, received: Double,
                        _ connection: PostgresConnection) async throws -> IngestedKeys {
        var outcome = IngestedKeys()
        for (report, json) in encoded {
            let key = ReportKey(report)
            let generated = report.generatedAt.timeIntervalSince1970
            let digest = canonical ? reportDigest(json) : nil
            let seq = Int64(bitPattern: key.seq)
            let inserted = try await connection.query("""
                INSERT INTO report (site, boot_id, seq, generated_at, received_at, json, digest)
                VALUES (\(report.site), \(key.bootId), \(seq), \(generated), \(received), \(json), \(digest))
                ON CONFLICT (site, boot_id, seq) DO NOTHING RETURNING id
                """, logger: logger).collect()
            guard !inserted.isEmpty else {
                let row = try await connection.query("""
                    SELECT digest, json FROM report WHERE site = \(report.site) AND boot_id = \(key.bootId) AND seq = \(seq)
                    """, logger: logger).collect().first
                let (storedDigest, storedJSON) = try row?.decode((String?, Data).self) ?? (nil, Data())
                let stored = storedDigest ?? ((try? canonicalReportDigest(storedJSON)) ?? reportDigest(storedJSON))
                let digest = try reportDigest(of: report)
                if stored == digest {
                    outcome.duplicates.append(key)
                } else {
                    outcome.conflicts.append(ReportConflict(key: key, storedDigest: stored, receivedDigest: digest))
                }
                continue
            }
            outcome.stored.append(key)
            // As SQLiteStore: newest by the collector's clock; within one boot the higher seq wins.
            _ = try await connection.query("""
                INSERT INTO latest_report (site, boot_id, seq, generated_at, received_at, json)
                VALUES (\(report.site), \(key.bootId), \(seq), \(generated), \(received), \(json))
                ON CONFLICT (site) DO UPDATE SET boot_id = excluded.boot_id, seq = excluded.seq,
                    generated_at = excluded.generated_at, received_at = excluded.received_at, json = excluded.json
                WHERE (excluded.boot_id = latest_report.boot_id AND excluded.seq > latest_report.seq)
                   OR (excluded.boot_id <> latest_report.boot_id AND excluded.received_at >= latest_report.received_at)
                """, logger: logger).collect()
            for point in SeriesExtraction.points(of: report) {
                _ = try await connection.query("""
                    INSERT INTO point (site, at, series, value)
                    VALUES (\(report.site), \(point.at.timeIntervalSince1970), \(point.series), \(point.value))
                    ON CONFLICT (site, series, at) DO NOTHING
                    """, logger: logger).collect()
            }
            for service in report.services {
                let day = Int64(officeDay(service.checkedAt))
                let ok: Int64 = service.ok ? 1 : 0
                _ = try await connection.query("""
                    INSERT INTO service_day (service, day, site, ok, total, last_checked_at)
                    VALUES (\(service.name), \(day), \(report.site), \(ok), 1, \(service.checkedAt.timeIntervalSince1970))
                    ON CONFLICT (service, day, site) DO UPDATE SET ok = service_day.ok + excluded.ok,
                        total = service_day.total + 1, last_checked_at = excluded.last_checked_at
                    WHERE excluded.last_checked_at > service_day.last_checked_at
                    """, logger: logger).collect()
            }
            if let gap = report.gap {
                _ = try await connection.query("""
                    INSERT INTO gap (site, boot_id, seq, count, first_seq, last_seq, from_at, to_at, received_at, lost_boot_id)
                    VALUES (\(report.site), \(key.bootId), \(seq), \(Int64(gap.count)), \(Int64(bitPattern: gap.firstSeq)),
                            \(Int64(bitPattern: gap.lastSeq)), \(gap.from.timeIntervalSince1970), \(gap.to.timeIntervalSince1970),
                            \(received), \(gap.bootId ?? key.bootId))
                    """, logger: logger).collect()
            }
        }
        return outcome
    }

    public func latestReport(site: String) async throws -> StoredReport? {
        try await rows("SELECT json, received_at FROM latest_report WHERE site = \(site)").first.map { row in
            let (json, received) = try row.decode((Data, Double).self)
            return try Self.storedReport(json, received)
        }
    }

    public func latestReports() async throws -> [String: StoredReport] {
        var result: [String: StoredReport] = [:]
        for row in try await rows("SELECT site, json, received_at FROM latest_report") {
            let (site, json, received) = try row.decode((String, Data, Double).self)
            result[site] = try Self.storedReport(json, received)
        }
        return result
    }

    public func latestReceivedAt() async throws -> [String: Date] {
        var result: [String: Date] = [:]
        for row in try await rows("SELECT site, received_at FROM latest_report") {
            let (site, received) = try row.decode((String, Double).self)
            result[site] = Date(timeIntervalSince1970: received)
        }
        return result
    }

    static func storedReport(_ json: Data, _ received: Double) throws -> StoredReport {
        StoredReport(report: try ReportCoding.decoder().decode(Report.self, from: json), receivedAt: Date(timeIntervalSince1970: received))
    }

    public func reportCount(site: String) async throws -> Int {
        try await rows("SELECT count(*) FROM report WHERE site = \(site)").first?.decode(Int.self) ?? 0
    }

    // MARK: Verdicts

    /// Without recheck times: these verdicts are looked at again only when their site reports (or by a full evaluation).
    public func recordVerdicts(_ verdicts: [SiteVerdict]) async throws -> [String: VerdictTransition] {
        try await recordVerdicts(verdicts, recheckAt: [:])
    }

    public func currentVerdicts() async throws -> [String: SiteVerdict] {
        let decoder = ReportCoding.decoder()
        var result: [String: SiteVerdict] = [:]
        for row in try await rows("SELECT site, json FROM verdict") {
            let (site, json) = try row.decode((String, Data).self)
            result[site] = try decoder.decode(SiteVerdict.self, from: json)
        }
        return result
    }

    public func transitions(site: String, from: Date, to: Date) async throws -> [VerdictTransition] {
        let decoder = ReportCoding.decoder()
        return try await rows("""
            SELECT at, from_state, to_state, reasons FROM transition
            WHERE site = \(site) AND at BETWEEN \(from.timeIntervalSince1970) AND \(to.timeIntervalSince1970) ORDER BY at, id
            """).map { try Self.transition($0, decoder: decoder) }
    }

    /// A transition from the columns (at, from_state, to_state, reasons).
    static func transition(_ row: PostgresRow, decoder: JSONDecoder) throws -> VerdictTransition {
        let (at, from, to, reasons) = try row.decode((Double, String?, String, Data).self)
        return VerdictTransition(at: Date(timeIntervalSince1970: at), from: from.flatMap(VerdictState.init(rawValue:)),
                                 to: VerdictState(rawValue: to) ?? .unknown, reasons: try decoder.decode([Reason].self, from: reasons))
    }

    public func points(site: String, from: Date, to: Date) async throws -> [SiteHistoryBody.Point] {
        try await rows("""
            SELECT at, series, value FROM point
            WHERE site = \(site) AND at BETWEEN \(from.timeIntervalSince1970) AND \(to.timeIntervalSince1970) ORDER BY at, series
            """).map { row in
            let (at, series, value) = try row.decode((Double, String, Double).self)
            return SiteHistoryBody.Point(at: Date(timeIntervalSince1970: at), series: series, value: value)
        }
    }

    public func gaps(site: String, from: Date, to: Date) async throws -> [GapRecord] {
        try await rows("""
            SELECT count, first_seq, last_seq, from_at, to_at, lost_boot_id FROM gap
            WHERE site = \(site) AND received_at BETWEEN \(from.timeIntervalSince1970) AND \(to.timeIntervalSince1970)
            ORDER BY received_at, id
            """).map { row in
            let (count, first, last, fromAt, toAt, boot) = try row.decode((Int64, Int64, Int64, Double, Double, String?).self)
            return GapRecord(count: Int(count), firstSeq: UInt64(bitPattern: first), lastSeq: UInt64(bitPattern: last),
                             from: Date(timeIntervalSince1970: fromAt), to: Date(timeIntervalSince1970: toAt), bootId: boot)
        }
    }

    // MARK: Notifications

    @discardableResult
    public func recordNotifications(_ notifications: [SiteNotification]) async throws -> Int {
        let encoder = ReportCoding.encoder()
        let rows = try notifications.map { ($0, try encoder.encode($0)) }
        return try await transaction { [self] connection in
            var duplicates = 0
            for (notification, json) in rows {
                let inserted = try await connection.query("""
                    INSERT INTO notification (site, received_at, json, boot_id, report_seq, kind)
                    VALUES (\(notification.site), \(notification.receivedAt.timeIntervalSince1970), \(json), \(notification.bootId),
                            \(Int64(bitPattern: notification.reportSeq)), \(notification.kind.rawValue))
                    ON CONFLICT (site, boot_id, report_seq, kind) DO NOTHING RETURNING id
                    """, logger: logger).collect()
                if inserted.isEmpty { duplicates += 1 }
            }
            return duplicates
        }
    }

    public func notifications(site: String, from: Date, to: Date) async throws -> [SiteNotification] {
        try await rows("""
            SELECT site, json FROM notification
            WHERE site = \(site) AND received_at BETWEEN \(from.timeIntervalSince1970) AND \(to.timeIntervalSince1970)
            ORDER BY received_at, id
            """).map(Self.notification)
    }

    public func latestNotifications() async throws -> [String: SiteNotification] {
        let rows = try await rows("""
            SELECT n.site, n.json FROM notification n
            JOIN (SELECT site, MAX(id) AS id FROM notification GROUP BY site) newest ON n.id = newest.id
            """)
        return try Dictionary(uniqueKeysWithValues: rows.map { row in
            let notification = try Self.notification(row)
            return (notification.site, notification)
        })
    }

    static func notification(_ row: PostgresRow) throws -> SiteNotification {
        let (site, json) = try row.decode((String, Data).self)
        var notification = try ReportCoding.decoder().decode(SiteNotification.self, from: json)
        notification.site = site
        return notification
    }

    public func prune(before: Date) async throws -> PruneOutcome {
        let cutoff = before.timeIntervalSince1970
        let day = Int64(officeDay(before))
        return try await transaction { [self] connection in
            let reports = try await connection.query("DELETE FROM report WHERE received_at < \(cutoff) RETURNING 1", logger: logger)
                .collect().count
            let points = try await connection.query("DELETE FROM point WHERE at < \(cutoff) RETURNING 1", logger: logger).collect().count
            _ = try await connection.query("DELETE FROM notification WHERE received_at < \(cutoff)", logger: logger).collect()
            _ = try await connection.query("DELETE FROM alert_notification WHERE sent_at < \(cutoff)", logger: logger).collect()
            _ = try await connection.query("DELETE FROM service_day WHERE day < \(day)", logger: logger).collect()
            return PruneOutcome(reports: reports, points: points)
        }
    }

    // MARK: Tokens

    public func insertToken(_ token: TokenRecord) async throws {
        try await execute("""
            INSERT INTO token (id, kind, site, name, role, sha256, created_at, revoked_at)
            VALUES (\(token.id), \(token.kind.rawValue), \(token.site), \(token.name), \(token.role?.rawValue), \(token.sha256),
                    \(token.createdAt.timeIntervalSince1970), \(token.revokedAt?.timeIntervalSince1970))
            """)
    }

    private static let tokenColumns = "id, kind, site, name, role, sha256, created_at, revoked_at"

    public func token(id: String) async throws -> TokenRecord? {
        try await rows("SELECT \(unescaped: Self.tokenColumns) FROM token WHERE id = \(id)").first.map(Self.tokenRecord)
    }

    public func tokens() async throws -> [TokenRecord] {
        try await rows("SELECT \(unescaped: Self.tokenColumns) FROM token ORDER BY created_at, id").map(Self.tokenRecord)
    }

    public func revokeToken(id: String, at: Date) async throws -> Bool {
        try await transaction { [self] connection in
            guard try await !connection.query("SELECT 1 FROM token WHERE id = \(id) FOR UPDATE", logger: logger).collect().isEmpty else {
                return false
            }
            _ = try await connection.query("""
                UPDATE token SET revoked_at = \(at.timeIntervalSince1970) WHERE id = \(id) AND revoked_at IS NULL
                """, logger: logger).collect()
            return true
        }
    }

    private static func tokenRecord(_ row: PostgresRow) throws -> TokenRecord {
        let (id, kind, site, name, role, sha256, created, revoked) =
            try row.decode((String, String, String?, String, String?, String, Double, Double?).self)
        return TokenRecord(id: id, kind: TokenRecord.Kind(rawValue: kind) ?? .site, site: site, name: name,
                           role: role.flatMap(TokenRecord.Role.init(rawValue:)), sha256: sha256,
                           createdAt: Date(timeIntervalSince1970: created), revokedAt: revoked.map(Date.init(timeIntervalSince1970:)))
    }

    // MARK: Enrolment codes

    public func insertEnrolmentCode(_ code: EnrolmentCodeRecord) async throws {
        try await execute("""
            INSERT INTO enrolment_code (sha256, site, created_at, expires_at, used_at)
            VALUES (\(code.sha256), \(code.site), \(code.createdAt.timeIntervalSince1970), \(code.expiresAt.timeIntervalSince1970),
                    \(code.usedAt?.timeIntervalSince1970))
            """)
    }

    public func consumeEnrolmentCode(sha256: String, site: String, now: Date) async throws -> EnrolmentCodeOutcome {
        try await transaction { [self] connection -> EnrolmentCodeOutcome in
            guard let row = try await connection.query("""
                SELECT site, used_at, expires_at FROM enrolment_code WHERE sha256 = \(sha256) FOR UPDATE
                """, logger: logger).collect().first else { return .unknown }
            let (owner, used, expires) = try row.decode((String, Double?, Double).self)
            if owner != site { return .otherSite(owner) }
            if used != nil { return .used }
            if now.timeIntervalSince1970 >= expires { return .expired }
            _ = try await connection.query("""
                UPDATE enrolment_code SET used_at = \(now.timeIntervalSince1970) WHERE sha256 = \(sha256)
                """, logger: logger).collect()
            return .consumed
        }
    }
}

/// Whether a leased connection's work has begun (shared by the lease and its timer).
private final class StartedFlag: Sendable {
    let value = Mutex(false)
}

/// A failure of the PostgreSQL store with a stable code, a message and the cause.
public struct PostgresStoreError: StoreError, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The database has migrations this binary does not know: it was upgraded by a newer collector.
        case newerSchema = "newer_schema"
        /// The database does not answer (yet): the collector retries.
        case unavailable
        /// An import into a database that already has rows.
        case notEmpty = "not_empty"
        /// An alert leader's write after it lost the leadership (fenced).
        case notLeader = "not_leader"
    }

    public var code: Code
    public var message: String
    /// What postgres-nio said, in full (its errors' descriptions hide the details).
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause.map { String(reflecting: $0) }
    }

    public var isUnavailable: Bool { code == .unavailable }
    public var description: String { "\(code.rawValue): \(message)" + (cause.map { " (\($0))" } ?? "") }
}

extension PostgresStore {
    /// The office day a service check counts for, as the SQLite store's (`configuration.officeTimeZone`).
    func officeDay(_ date: Date) -> Int { OfficeTime.day(of: date, in: configuration.officeTimeZone) }
}

/// Migrates the PostgreSQL schema when `serve` starts, retrying every `retryInterval` while the database does not
/// answer (the collector serves meanwhile: `/healthz` true, `/readyz` false, ingest 503 with Retry-After). A
/// database of a newer schema than this binary knows stops the collector with `newer_schema`.
public struct PostgresMigrationService: Service {
    public let store: PostgresStore
    public var retryInterval: Duration = .seconds(5)
    private let logger: Logger

    public init(store: PostgresStore, logger: Logger = Logger(label: "sansang.postgresql")) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await migrateUntilDone() }
        // A service that returns ends the group: wait for the shutdown.
        try? await gracefulShutdown()
    }

    private func migrateUntilDone() async throws {
        var attempts = 0
        while !Task.isCancelled {
            do {
                // Not in the pool's queue while the database is away: first a bounded check that it answers.
                guard await store.answers(within: .seconds(store.configuration.connectTimeoutSeconds + 1)) else {
                    throw PostgresStoreError(.unavailable, "no answer within \(store.configuration.connectTimeoutSeconds + 1) s")
                }
                try await store.migrate()
                logger.info("database ready", metadata: ["database": "\(store.configuration.redactedDescription)"])
                break
            } catch let error as PostgresStoreError where error.code == .newerSchema {
                logger.critical("refusing to start", metadata: ["error": "\(error)"])
                throw error
            } catch {
                if attempts % 12 == 0 {
                    logger.error("the database does not answer; retrying every \(retryInterval)", metadata: [
                        "database": "\(store.configuration.redactedDescription)", "error": "\(String(reflecting: error))",
                    ])
                }
                attempts += 1
                try? await Task.sleep(for: retryInterval)
            }
        }
    }
}
