import CollectorStore
import Foundation
import PostgresNIO
import ReadinessModel
import SansangAPI

/// Incremental evaluation on PostgreSQL (issue 17, `SiteStateStore`): the same compact verdict columns as the SQLite
/// store's v9 migration, so every replica sees from the shared database which verdicts changed and which are due.
extension PostgresStore {
    public func latestReportKeys(sites: [String]?) async throws -> [String: LatestReportKey] {
        let query: PostgresQuery = if let sites {
            "SELECT site, boot_id, seq, received_at FROM latest_report WHERE site = ANY(\(Array(Set(sites))))"
        } else {
            "SELECT site, boot_id, seq, received_at FROM latest_report"
        }
        var result: [String: LatestReportKey] = [:]
        for row in try await rows(query) {
            let (site, bootId, seq, received) = try row.decode((String, String, Int64, Double).self)
            result[site] = LatestReportKey(key: ReportKey(bootId: bootId, seq: UInt64(bitPattern: seq)),
                                           receivedAt: Date(timeIntervalSince1970: received))
        }
        return result
    }

    public func latestReports(sites: [String]) async throws -> [String: StoredReport] {
        var result: [String: StoredReport] = [:]
        for row in try await rows("SELECT site, json, received_at FROM latest_report WHERE site = ANY(\(Array(Set(sites))))") {
            let (site, json, received) = try row.decode((String, Data, Double).self)
            result[site] = try Self.storedReport(json, received)
        }
        return result
    }

    public func latestNotifications(sites: [String]) async throws -> [String: SiteNotification] {
        let rows = try await rows("""
            SELECT DISTINCT ON (site) site, json FROM notification WHERE site = ANY(\(Array(Set(sites))))
            ORDER BY site, id DESC
            """)
        var result: [String: SiteNotification] = [:]
        for row in rows {
            let notification = try Self.notification(row)
            result[notification.site] = notification
        }
        return result
    }

    public func recordVerdicts(_ verdicts: [SiteVerdict], recheckAt: [String: Date]) async throws -> [String: VerdictTransition] {
        let encoder = ReportCoding.encoder()
        // In site order, so that two replicas recording verdicts lock the rows in the same order.
        let encoded = try verdicts.enumerated().sorted { ($0.element.site, $0.offset) < ($1.element.site, $1.offset) }.map {
            (verdict: $0.element, json: try encoder.encode($0.element), reasons: try encoder.encode($0.element.reasons))
        }
        let logger = logger
        return try await transaction { connection in
            var pending: [(verdict: SiteVerdict, old: VerdictState?, reasons: Data)] = []
            for (verdict, json, reasons) in encoded {
                let site = verdict.site, state = verdict.state.rawValue, at = verdict.evaluatedAt.timeIntervalSince1970
                let keys = ReasonKeyList.encode(verdict.reasons)
                let recheck = recheckAt[site]?.timeIntervalSince1970
                // The old state and reason keys from columns, under a row lock: what makes a transition, without
                // decoding the old JSON. A first verdict is inserted.
                let oldRow = try await connection.query(
                    "SELECT state, reason_keys FROM verdict WHERE site = \(site) FOR UPDATE", logger: logger).collect().first
                var old: SiteVerdict?
                if let oldRow {
                    let (oldState, oldKeys) = try oldRow.decode((String, String).self)
                    old = SiteVerdict(site: site, state: VerdictState(rawValue: oldState) ?? .unknown,
                                      reasons: ReasonKeyList.decode(oldKeys), evaluatedAt: verdict.evaluatedAt, reportGeneratedAt: nil)
                    _ = try await connection.query("""
                        UPDATE verdict SET state = \(state), evaluated_at = \(at), json = \(json), reason_keys = \(keys),
                            revision = revision + 1, recheck_at = \(recheck)
                        WHERE site = \(site)
                        """, logger: logger).collect()
                } else {
                    // Another replica may insert the same site's first verdict at the same moment: then ours replaces
                    // it as an update would (the row lock above could not cover a row that did not exist yet).
                    _ = try await connection.query("""
                        INSERT INTO verdict (site, state, evaluated_at, json, reason_keys, revision, recheck_at)
                        VALUES (\(site), \(state), \(at), \(json), \(keys), 1, \(recheck))
                        ON CONFLICT (site) DO UPDATE SET state = excluded.state, evaluated_at = excluded.evaluated_at,
                            json = excluded.json, reason_keys = excluded.reason_keys, revision = verdict.revision + 1,
                            recheck_at = excluded.recheck_at
                        """, logger: logger).collect()
                }
                guard isTransition(from: old, to: verdict) else { continue }
                pending.append((verdict, old?.state, reasons))
            }
            // Transition ids must become visible in commit order: a roll-up keeps its summaries while the newest
            // transition id is unchanged, and an id taken by a transaction that commits after a later one would never
            // be seen. Taken last, after every row lock of this transaction, so that waiting for it cannot deadlock.
            if !pending.isEmpty {
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.transitionLock))", logger: logger).collect()
            }
            var transitions: [String: VerdictTransition] = [:]
            for (verdict, oldState, reasons) in pending {
                let at = verdict.evaluatedAt.timeIntervalSince1970
                _ = try await connection.query("""
                    INSERT INTO transition (site, at, from_state, to_state, reasons)
                    VALUES (\(verdict.site), \(at), \(oldState?.rawValue), \(verdict.state.rawValue), \(reasons))
                    """, logger: logger).collect()
                transitions[verdict.site] = VerdictTransition(at: verdict.evaluatedAt, from: oldState, to: verdict.state,
                                                              reasons: verdict.reasons)
            }
            return transitions
        }
    }

    public func sitesDueForEvaluation(at now: Date) async throws -> [String] {
        try await rows("""
            SELECT site FROM verdict WHERE recheck_at IS NOT NULL AND recheck_at <= \(now.timeIntervalSince1970) ORDER BY site
            """).map { try $0.decode(String.self) }
    }

    public func verdictRevisions() async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for row in try await rows("SELECT site, revision FROM verdict") {
            let (site, revision) = try row.decode((String, Int64).self)
            result[site] = revision
        }
        return result
    }

    public func verdicts(sites: [String]) async throws -> [String: SiteVerdict] {
        let decoder = ReportCoding.decoder()
        var result: [String: SiteVerdict] = [:]
        for row in try await rows("SELECT site, json FROM verdict WHERE site = ANY(\(Array(Set(sites))))") {
            let (site, json) = try row.decode((String, Data).self)
            result[site] = try decoder.decode(SiteVerdict.self, from: json)
        }
        return result
    }

    public func verdictSummaries(sites: [String]?) async throws -> [String: SiteVerdict] {
        var result: [String: SiteVerdict] = [:]
        let query: PostgresQuery = if let sites {
            "SELECT site, state, evaluated_at, reason_keys FROM verdict WHERE site = ANY(\(Array(Set(sites))))"
        } else {
            "SELECT site, state, evaluated_at, reason_keys FROM verdict"
        }
        for row in try await rows(query) {
            let (site, state, evaluated, keys) = try row.decode((String, String, Double, String).self)
            result[site] = SiteVerdict(site: site, state: VerdictState(rawValue: state) ?? .unknown,
                                       reasons: keys.isEmpty ? [] : ReasonKeyList.decode(keys),
                                       evaluatedAt: Date(timeIntervalSince1970: evaluated), reportGeneratedAt: nil)
        }
        return result
    }

    public func sitesWithTransitions(after: Int64, upTo: Int64) async throws -> Set<String> {
        Set(try await rows("SELECT DISTINCT site FROM transition WHERE id > \(after) AND id <= \(upTo)").map { try $0.decode(String.self) })
    }
}
