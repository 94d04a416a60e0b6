import Alerting
import CollectorStore
import Foundation
import PostgresNIO
import ReadinessModel
import SansangAPI

extension PostgresStore {
    // MARK: Alert instances and the notification log

    public func alertInstances() async throws -> [AlertInstance] {
        let decoder = ReportCoding.decoder()
        return try await rows("SELECT json FROM alert_instance ORDER BY rule, site").map {
            try decoder.decode(AlertInstance.self, from: try $0.decode(Data.self))
        }
    }

    public func commitAlertRound(upsert: [AlertInstance], remove: [AlertKey], groups: [NoticeGroup], now: Date) async throws {
        let encoder = ReportCoding.encoder()
        let instances = try upsert.map { ($0, try encoder.encode($0)) }
        let at = now.timeIntervalSince1970
        try await transaction { [self] connection in
            try await checkLeaderFence(connection)
            let decoder = ReportCoding.decoder()
            for (instance, json) in instances {
                _ = try await connection.query("""
                    INSERT INTO alert_instance (rule, site, state, json)
                    VALUES (\(instance.key.rule), \(instance.key.site), \(instance.state.rawValue), \(json))
                    ON CONFLICT (rule, site) DO UPDATE SET state = excluded.state, json = excluded.json
                    """, logger: logger).collect()
            }
            for key in remove {
                _ = try await connection.query("DELETE FROM alert_instance WHERE rule = \(key.rule) AND site = \(key.site)",
                                               logger: logger).collect()
            }
            for group in groups {
                let open = try await connection.query("""
                    SELECT id, json FROM alert_notification
                    WHERE receiver = \(group.receiver) AND group_key = \(group.key) AND sent_at IS NULL AND attempts = 0
                      AND due_at > \(at)
                    ORDER BY id DESC LIMIT 1 FOR UPDATE
                    """, logger: logger).collect().first
                if let open {
                    let (id, json) = try open.decode((Int64, Data).self)
                    var merged = try decoder.decode(NoticeGroup.self, from: json)
                    let keys = Set(group.notices.map(\.key))
                    merged.notices = merged.notices.filter { !keys.contains($0.key) } + group.notices
                    _ = try await connection.query("UPDATE alert_notification SET json = \(try encoder.encode(merged)) WHERE id = \(id)",
                                                   logger: logger).collect()
                } else {
                    let due = at + Double(group.waitSeconds)
                    _ = try await connection.query("""
                        INSERT INTO alert_notification (receiver, group_key, json, created_at, due_at, retry_at)
                        VALUES (\(group.receiver), \(group.key), \(try encoder.encode(group)), \(at), \(due), \(due))
                        """, logger: logger).collect()
                }
            }
        }
    }

    private static let notificationColumns = "id, json, created_at, due_at, sent_at, attempts, last_error"

    public func dueAlertNotifications(now: Date, limit: Int) async throws -> [QueuedNotification] {
        let query: PostgresQuery = """
            SELECT \(unescaped: Self.notificationColumns) FROM alert_notification
            WHERE sent_at IS NULL AND retry_at <= \(now.timeIntervalSince1970) ORDER BY id LIMIT \(Int64(limit))
            """
        let logger = logger
        return try await withConnection { [self] connection in
            try await checkLeaderFence(connection)
            return try await connection.query(query, logger: logger).collect()
        }.map(Self.queuedNotification)
    }

    public func markAlertNotificationSent(id: Int64, at: Date) async throws {
        try await execute("""
            UPDATE alert_notification SET sent_at = \(at.timeIntervalSince1970), attempts = attempts + 1 WHERE id = \(id)
            """)
    }

    public func deferAlertNotification(id: Int64, retryAt: Date, error: String) async throws {
        try await execute("""
            UPDATE alert_notification SET retry_at = \(retryAt.timeIntervalSince1970), attempts = attempts + 1,
                last_error = \(error) WHERE id = \(id)
            """)
    }

    public func alertNotificationLog(limit: Int) async throws -> [QueuedNotification] {
        try await rows("SELECT \(unescaped: Self.notificationColumns) FROM alert_notification ORDER BY id DESC LIMIT \(Int64(limit))")
            .map(Self.queuedNotification)
    }

    private static func queuedNotification(_ row: PostgresRow) throws -> QueuedNotification {
        let (id, json, created, due, sent, attempts, error) = try row.decode((Int64, Data, Double, Double, Double?, Int64, String?).self)
        return QueuedNotification(id: id, group: try ReportCoding.decoder().decode(NoticeGroup.self, from: json),
                                  createdAt: Date(timeIntervalSince1970: created), dueAt: Date(timeIntervalSince1970: due),
                                  sentAt: sent.map(Date.init(timeIntervalSince1970:)), attempts: Int(attempts), lastError: error)
    }

    // MARK: Silences

    public func insertSilence(_ silence: Silence) async throws {
        let json = try ReportCoding.encoder().encode(silence)
        try await execute("""
            INSERT INTO silence (id, starts_at, ends_at, json)
            VALUES (\(silence.id), \(silence.startsAt.timeIntervalSince1970), \(silence.endsAt.timeIntervalSince1970), \(json))
            """)
    }

    public func silences(endingAfter since: Date) async throws -> [Silence] {
        let decoder = ReportCoding.decoder()
        return try await rows("SELECT json FROM silence WHERE ends_at > \(since.timeIntervalSince1970) ORDER BY starts_at, id").map {
            try decoder.decode(Silence.self, from: try $0.decode(Data.self))
        }
    }

    public func expireSilence(id: String, at: Date) async throws -> Bool {
        let encoder = ReportCoding.encoder()
        return try await transaction { [self] connection in
            guard let row = try await connection.query("SELECT json FROM silence WHERE id = \(id) FOR UPDATE", logger: logger)
                .collect().first else { return false }
            var silence = try ReportCoding.decoder().decode(Silence.self, from: try row.decode(Data.self))
            guard silence.endsAt > at else { return true }
            silence.endsAt = max(at, silence.startsAt)
            _ = try await connection.query("""
                UPDATE silence SET ends_at = \(silence.endsAt.timeIntervalSince1970), json = \(try encoder.encode(silence))
                WHERE id = \(id)
                """, logger: logger).collect()
            return true
        }
    }

    // MARK: Weekly summary

    public func serviceTallies(from: Date, to: Date) async throws -> [ServiceTally] {
        try await rows("""
            SELECT service, SUM(ok)::BIGINT, SUM(total)::BIGINT FROM service_day
            WHERE day >= \(Int64(officeDay(from))) AND day < \(Int64(officeDay(to))) GROUP BY service ORDER BY service
            """).map { row in
            let (service, ok, total) = try row.decode((String, Int64, Int64).self)
            return ServiceTally(service: service, ok: Int(ok), total: Int(total))
        }
    }

    public func allTransitions(upTo to: Date) async throws -> [String: [VerdictTransition]] {
        let decoder = ReportCoding.decoder()
        var result: [String: [VerdictTransition]] = [:]
        for row in try await rows("""
            SELECT at, from_state, to_state, reasons, site FROM transition WHERE at <= \(to.timeIntervalSince1970) ORDER BY site, at, id
            """) {
            let site = try row.makeRandomAccess()[4].decode(String.self)
            result[site, default: []].append(try Self.transition(row, decoder: decoder))
        }
        return result
    }

    // MARK: Dashboard users and sessions

    public func insertUser(_ user: DashboardUser) async throws -> Bool {
        try await !rows("""
            INSERT INTO dashboard_user (name, role, password_hash, created_at, disabled_at)
            VALUES (\(user.name), \(user.role.rawValue), \(user.passwordHash), \(user.createdAt.timeIntervalSince1970),
                    \(user.disabledAt?.timeIntervalSince1970))
            ON CONFLICT (name) DO NOTHING RETURNING name
            """).isEmpty
    }

    private static let userColumns = "name, role, password_hash, created_at, disabled_at"

    public func user(name: String) async throws -> DashboardUser? {
        try await rows("SELECT \(unescaped: Self.userColumns) FROM dashboard_user WHERE name = \(name)").first.map(Self.dashboardUser)
    }

    public func users() async throws -> [DashboardUser] {
        try await rows("SELECT \(unescaped: Self.userColumns) FROM dashboard_user ORDER BY name").map(Self.dashboardUser)
    }

    public func updateUser(_ user: DashboardUser) async throws -> Bool {
        try await !rows("""
            UPDATE dashboard_user SET role = \(user.role.rawValue), password_hash = \(user.passwordHash),
                disabled_at = \(user.disabledAt?.timeIntervalSince1970) WHERE name = \(user.name) RETURNING name
            """).isEmpty
    }

    private static func dashboardUser(_ row: PostgresRow) throws -> DashboardUser {
        let (name, role, hash, created, disabled) = try row.decode((String, String, String, Double, Double?).self)
        return DashboardUser(name: name, role: TokenRecord.Role(rawValue: role) ?? .read, passwordHash: hash,
                             createdAt: Date(timeIntervalSince1970: created), disabledAt: disabled.map(Date.init(timeIntervalSince1970:)))
    }

    public func insertSession(_ session: DashboardSession) async throws {
        try await execute("""
            INSERT INTO dashboard_session (id_hash, "user", csrf_token, created_at, last_seen_at)
            VALUES (\(session.idHash), \(session.user), \(session.csrfToken), \(session.createdAt.timeIntervalSince1970),
                    \(session.lastSeenAt.timeIntervalSince1970))
            """)
    }

    public func session(idHash: String) async throws -> DashboardSession? {
        try await rows("""
            SELECT id_hash, "user", csrf_token, created_at, last_seen_at FROM dashboard_session WHERE id_hash = \(idHash)
            """).first.map { row in
            let (id, user, csrf, created, seen) = try row.decode((String, String, String, Double, Double).self)
            return DashboardSession(idHash: id, user: user, csrfToken: csrf, createdAt: Date(timeIntervalSince1970: created),
                                    lastSeenAt: Date(timeIntervalSince1970: seen))
        }
    }

    public func touchSession(idHash: String, at: Date) async throws {
        try await execute("UPDATE dashboard_session SET last_seen_at = \(at.timeIntervalSince1970) WHERE id_hash = \(idHash)")
    }

    public func deleteSession(idHash: String) async throws {
        try await execute("DELETE FROM dashboard_session WHERE id_hash = \(idHash)")
    }

    public func deleteSessions(user: String) async throws {
        try await execute(#"DELETE FROM dashboard_session WHERE "user" = \#(user)"#)
    }

    public func deleteSessions(lastSeenBefore before: Date) async throws -> Int {
        try await rows("DELETE FROM dashboard_session WHERE last_seen_at < \(before.timeIntervalSince1970) RETURNING 1").count
    }

    public func recentTransitions(limit: Int) async throws -> [SiteTransitionRecord] {
        let decoder = ReportCoding.decoder()
        return try await rows("""
            SELECT at, from_state, to_state, reasons, id, site FROM transition ORDER BY id DESC LIMIT \(Int64(limit))
            """).map { row in
            let columns = row.makeRandomAccess()
            return SiteTransitionRecord(id: try columns[4].decode(Int64.self), site: try columns[5].decode(String.self),
                                        transition: try Self.transition(row, decoder: decoder))
        }
    }

    public func stateChanges(from: Date, to: Date) async throws -> [String: [VerdictTransition]] {
        var result: [String: [VerdictTransition]] = [:]
        for row in try await rows("""
            SELECT site, at, from_state, to_state FROM transition
            WHERE at > \(from.timeIntervalSince1970) AND at <= \(to.timeIntervalSince1970) ORDER BY site, at, id
            """) {
            let (site, at, old, new) = try row.decode((String, Double, String?, String).self)
            result[site, default: []].append(VerdictTransition(at: Date(timeIntervalSince1970: at),
                                                               from: old.flatMap(VerdictState.init(rawValue:)),
                                                               to: VerdictState(rawValue: new) ?? .unknown, reasons: []))
        }
        return result
    }

    public func latestTransitionID() async throws -> Int64 {
        try await rows("SELECT COALESCE(MAX(id), 0)::BIGINT FROM transition").first?.decode(Int64.self) ?? 0
    }
}
