import Foundation
import Synchronization
import GRDB
import ReadinessModel
import SansangAPI

extension SQLiteStore {
    /// Compact verdict columns (issue 17): the reason keys (roll-ups and transition checks read them instead of the
    /// JSON), a revision that grows at each write (what changed since a replica last looked), and when the verdict
    /// must be evaluated again without a new report.
    static func registerSiteStateMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-verdict-columns") { db in
            try db.execute(sql: """
                ALTER TABLE verdict ADD COLUMN reason_keys TEXT NOT NULL DEFAULT '';
                ALTER TABLE verdict ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE verdict ADD COLUMN recheck_at REAL;
                CREATE INDEX verdict_recheck ON verdict (recheck_at) WHERE recheck_at IS NOT NULL;
                """)
            let decoder = ReportCoding.decoder()
            for row in try Row.fetchAll(db, sql: "SELECT site, json FROM verdict") {
                let verdict = try decoder.decode(SiteVerdict.self, from: row["json"] as Data)
                // Evaluated again at the next evaluation round, which sets the real recheck time.
                try db.execute(sql: "UPDATE verdict SET reason_keys = ?, recheck_at = 0 WHERE site = ?",
                               arguments: [ReasonKeyList.encode(verdict.reasons), row["site"] as String])
            }
        }
    }

    /// Counts of reports and verdicts decoded from JSON since the store was opened (tests prove with them that work
    /// for one site decodes nothing of the others).
    public var decodedReports: Int { decodeCounts.reports.load(ordering: .relaxed) }
    public var decodedVerdicts: Int { decodeCounts.verdicts.load(ordering: .relaxed) }

    public func latestReportKeys(sites: [String]?) async throws -> [String: LatestReportKey] {
        try await pool.read { db in
            var result: [String: LatestReportKey] = [:]
            try Self.inChunks(sites, db, sql: "SELECT site, boot_id, seq, received_at FROM latest_report") { row in
                result[row["site"]] = LatestReportKey(key: ReportKey(bootId: row["boot_id"], seq: UInt64(bitPattern: row["seq"])),
                                                      receivedAt: Date(timeIntervalSince1970: row["received_at"]))
            }
            return result
        }
    }

    public func latestReports(sites: [String]) async throws -> [String: StoredReport] {
        try await pool.read { db in
            var result: [String: StoredReport] = [:]
            try Self.inChunks(sites, db, sql: "SELECT site, json, received_at FROM latest_report") { row in
                result[row["site"]] = try self.storedReport(row)
            }
            return result
        }
    }

    public func latestNotifications(sites: [String]) async throws -> [String: SiteNotification] {
        try await pool.read { db in
            var result: [String: SiteNotification] = [:]
            for site in Set(sites) {
                let row = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT site, json FROM notification WHERE site = ? ORDER BY id DESC LIMIT 1
                    """), arguments: [site])
                if let row { result[site] = try Self.notification(row) }
            }
            return result
        }
    }

    public func recordVerdicts(_ verdicts: [SiteVerdict], recheckAt: [String: Date]) async throws -> [String: VerdictTransition] {
        let encoded = try Self.encode(verdicts)
        return try await pool.write { db in try Self.record(encoded, recheckAt: recheckAt, db) }
    }

    public func ingest(_ batches: [IngestBatch], evaluate: @escaping SiteEvaluation) async throws -> IngestEvaluation {
        let encoded = try batches.map { batch in
            (reports: try batch.encoded(), canonical: batch.json == nil, received: batch.receivedAt.timeIntervalSince1970)
        }
        let zone = officeTimeZone
        return try await pool.write { db in
            let outcomes = try encoded.map { batch in
                try Self.insert(batch.reports, canonical: batch.canonical, received: batch.received, officeTimeZone: zone, db)
            }
            var held: [String: [ReportKey: Report]] = [:]
            for (batch, outcome) in zip(batches, outcomes) { batch.storedReports(outcome, into: &held) }
            var result = IngestEvaluation(outcomes: outcomes)
            guard !held.isEmpty else { return result }
            // The verdicts in a savepoint: when they cannot be recorded, the reports are still committed. Then site by
            // site, so that one site's failure does not keep the others' verdicts out.
            let sites = held.keys.sorted()
            do {
                try self.evaluateInSavepoint(sites, held: held, evaluate: evaluate, into: &result, db)
            } catch where sites.count > 1 {
                for site in sites {
                    do {
                        try self.evaluateInSavepoint([site], held: held, evaluate: evaluate, into: &result, db)
                    } catch {
                        result.evaluationError = error
                    }
                }
            } catch {
                result.evaluationError = error
            }
            return result
        }
    }

    /// Reads the inputs of `sites` (the newest report from `held` when it is the one stored), evaluates them and
    /// records their verdicts, in a savepoint of the caller's transaction.
    private func evaluateInSavepoint(_ sites: [String], held: [String: [ReportKey: Report]], evaluate: SiteEvaluation,
                                     into result: inout IngestEvaluation, _ db: Database) throws {
        var inputs: [SiteInputs] = []
        var transitions: [String: VerdictTransition] = [:]
        var verdicts: [SiteVerdict] = []
        try db.inSavepoint {
            inputs = []
            for site in sites {
                var latest: StoredReport?
                if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT boot_id, seq, received_at FROM latest_report WHERE site = ?"),
                                              arguments: [site]) {
                    let key = ReportKey(bootId: row[0], seq: UInt64(bitPattern: row[1]))
                    let received = Date(timeIntervalSince1970: row[2])
                    if let report = held[site]?[key] {
                        latest = StoredReport(report: report, receivedAt: received)
                    } else if let stored = try Row.fetchOne(db.cachedStatement(sql: "SELECT json, received_at FROM latest_report WHERE site = ?"),
                                                            arguments: [site]) {
                        latest = try storedReport(stored)
                    }
                }
                let notification = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT site, json FROM notification WHERE site = ? ORDER BY id DESC LIMIT 1
                    """), arguments: [site]).map(Self.notification)
                inputs.append(SiteInputs(site: site, latest: latest, notification: notification))
            }
            let evaluated = evaluate(inputs)
            verdicts = evaluated.verdicts
            transitions = try Self.record(try Self.encode(evaluated.verdicts), recheckAt: evaluated.recheckAt, db)
            return .commit
        }
        for input in inputs { result.inputs[input.site] = input }
        result.verdicts += verdicts
        result.transitions.merge(transitions) { _, new in new }
    }

    static func encode(_ verdicts: [SiteVerdict]) throws -> [(verdict: SiteVerdict, json: Data)] {
        let encoder = ReportCoding.encoder()
        return try verdicts.map { (verdict: $0, json: try encoder.encode($0)) }
    }

    /// Saves verdicts and their transitions inside the caller's transaction.
    static func record(_ encoded: [(verdict: SiteVerdict, json: Data)], recheckAt: [String: Date],
                       _ db: Database) throws -> [String: VerdictTransition] {
        var transitions: [String: VerdictTransition] = [:]
        for (verdict, json) in encoded {
            // The old state and reason keys from columns: what makes a transition, without decoding the old JSON.
            let old = try Row.fetchOne(db.cachedStatement(sql: "SELECT state, reason_keys FROM verdict WHERE site = ?"),
                                       arguments: [verdict.site]).map { row in
                SiteVerdict(site: verdict.site, state: VerdictState(rawValue: row["state"]) ?? .unknown,
                            reasons: ReasonKeyList.decode(row["reason_keys"]), evaluatedAt: verdict.evaluatedAt,
                            reportGeneratedAt: nil)
            }
            try db.cachedStatement(sql: """
                INSERT INTO verdict (site, state, evaluated_at, json, reason_keys, revision, recheck_at)
                VALUES (?, ?, ?, ?, ?, 1, ?)
                ON CONFLICT (site) DO UPDATE SET state = excluded.state, evaluated_at = excluded.evaluated_at,
                    json = excluded.json, reason_keys = excluded.reason_keys, revision = verdict.revision + 1,
                    recheck_at = excluded.recheck_at
                """).execute(arguments: [verdict.site, verdict.state.rawValue, verdict.evaluatedAt.timeIntervalSince1970, json,
                                         ReasonKeyList.encode(verdict.reasons),
                                         recheckAt[verdict.site]?.timeIntervalSince1970])
            guard isTransition(from: old, to: verdict) else { continue }
            let reasons = try ReportCoding.encoder().encode(verdict.reasons)
            try db.cachedStatement(sql: "INSERT INTO transition (site, at, from_state, to_state, reasons) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [verdict.site, verdict.evaluatedAt.timeIntervalSince1970, old?.state.rawValue,
                                     verdict.state.rawValue, reasons])
            transitions[verdict.site] = VerdictTransition(at: verdict.evaluatedAt, from: old?.state, to: verdict.state,
                                                          reasons: verdict.reasons)
        }
        return transitions
    }

    public func sitesDueForEvaluation(at now: Date) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db.cachedStatement(sql: """
                SELECT site FROM verdict WHERE recheck_at IS NOT NULL AND recheck_at <= ? ORDER BY site
                """), arguments: [now.timeIntervalSince1970])
        }
    }

    public func verdictRevisions() async throws -> [String: Int64] {
        try await pool.read { db in
            var result: [String: Int64] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT site, revision FROM verdict")
            while let row = try rows.next() { result[row[0]] = row[1] }
            return result
        }
    }

    public func verdicts(sites: [String]) async throws -> [String: SiteVerdict] {
        try await pool.read { db in
            let decoder = ReportCoding.decoder()
            var result: [String: SiteVerdict] = [:]
            try Self.inChunks(sites, db, sql: "SELECT site, json FROM verdict") { row in
                self.decodeCounts.verdicts.add(1, ordering: .relaxed)
                result[row["site"]] = try decoder.decode(SiteVerdict.self, from: row["json"] as Data)
            }
            return result
        }
    }

    public func verdictSummaries(sites: [String]?) async throws -> [String: SiteVerdict] {
        try await pool.read { db in
            var result: [String: SiteVerdict] = [:]
            try Self.inChunks(sites, db, sql: "SELECT site, state, evaluated_at, reason_keys FROM verdict") { row in
                let site: String = row[0]
                let keys: String = row[3]
                result[site] = SiteVerdict(site: site, state: VerdictState(rawValue: row[1]) ?? .unknown,
                                           reasons: keys.isEmpty ? [] : ReasonKeyList.decode(keys),
                                           evaluatedAt: Date(timeIntervalSince1970: row[2]), reportGeneratedAt: nil)
            }
            return result
        }
    }

    public func sitesWithTransitions(after: Int64, upTo: Int64) async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT site FROM transition WHERE id > ? AND id <= ?"),
                                    arguments: [after, upTo]))
        }
    }

    /// Runs `sql` (a SELECT over a table with a `site` column, without WHERE) for every row, or for the rows of the
    /// listed sites in chunks (SQLite limits the number of parameters).
    static func inChunks(_ sites: [String]?, _ db: Database, sql: String, _ each: (Row) throws -> Void) throws {
        guard let sites else {
            let rows = try Row.fetchCursor(db, sql: sql)
            while let row = try rows.next() { try each(row) }
            return
        }
        let unique = Array(Set(sites))
        var start = 0
        while start < unique.count {
            let chunk = Array(unique[start..<min(start + 500, unique.count)])
            start += chunk.count
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "\(sql) WHERE site IN (\(marks))"),
                                           arguments: StatementArguments(chunk))
            while let row = try rows.next() { try each(row) }
        }
    }
}

/// Decode counters of a store (relaxed atomics: figures for tests and benchmarks, not synchronisation).
final class DecodeCounts: Sendable {
    let reports = Atomic<Int>(0)
    let verdicts = Atomic<Int>(0)
}
