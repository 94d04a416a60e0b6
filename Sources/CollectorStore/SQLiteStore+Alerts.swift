import Alerting
import Foundation
import GRDB
import ReadinessModel
import SansangAPI

extension SQLiteStore {
    // MARK: Alert instances and the notification log

    public func alertInstances() async throws -> [AlertInstance] {
        try await pool.read { db in
            let decoder = ReportCoding.decoder()
            return try Data.fetchAll(db, sql: "SELECT json FROM alert_instance ORDER BY rule, site").map {
                try decoder.decode(AlertInstance.self, from: $0)
            }
        }
    }

    public func commitAlertRound(upsert: [AlertInstance], remove: [AlertKey], groups: [NoticeGroup], now: Date) async throws {
        let encoder = ReportCoding.encoder()
        let instances = try upsert.map { ($0, try encoder.encode($0)) }
        let at = now.timeIntervalSince1970
        try await pool.write { db in
            let decoder = ReportCoding.decoder()
            for (instance, json) in instances {
                try db.execute(sql: """
                    INSERT INTO alert_instance (rule, site, state, json) VALUES (?, ?, ?, ?)
                    ON CONFLICT (rule, site) DO UPDATE SET state = excluded.state, json = excluded.json
                    """, arguments: [instance.key.rule, instance.key.site, instance.state.rawValue, json])
            }
            for key in remove {
                try db.execute(sql: "DELETE FROM alert_instance WHERE rule = ? AND site = ?", arguments: [key.rule, key.site])
            }
            for group in groups {
                let open = try Row.fetchOne(db, sql: """
                    SELECT id, json FROM alert_notification
                    WHERE receiver = ? AND group_key = ? AND sent_at IS NULL AND attempts = 0 AND due_at > ?
                    ORDER BY id DESC LIMIT 1
                    """, arguments: [group.receiver, group.key, at])
                if let open {
                    var merged = try decoder.decode(NoticeGroup.self, from: open["json"] as Data)
                    let keys = Set(group.notices.map(\.key))
                    merged.notices = merged.notices.filter { !keys.contains($0.key) } + group.notices
                    try db.execute(sql: "UPDATE alert_notification SET json = ? WHERE id = ?",
                                   arguments: [try encoder.encode(merged), open["id"] as Int64])
                } else {
                    let due = at + Double(group.waitSeconds)
                    try db.execute(sql: """
                        INSERT INTO alert_notification (receiver, group_key, json, created_at, due_at, retry_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, arguments: [group.receiver, group.key, try encoder.encode(group), at, due, due])
                }
            }
        }
    }

    public func dueAlertNotifications(now: Date, limit: Int) async throws -> [QueuedNotification] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM alert_notification WHERE sent_at IS NULL AND retry_at <= ? ORDER BY id LIMIT ?
                """, arguments: [now.timeIntervalSince1970, limit]).map(Self.queuedNotification)
        }
    }

    public func markAlertNotificationSent(id: Int64, at: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE alert_notification SET sent_at = ?, attempts = attempts + 1 WHERE id = ?",
                           arguments: [at.timeIntervalSince1970, id])
        }
    }

    public func deferAlertNotification(id: Int64, retryAt: Date, error: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE alert_notification SET retry_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
                           arguments: [retryAt.timeIntervalSince1970, error, id])
        }
    }

    public func alertNotificationLog(limit: Int) async throws -> [QueuedNotification] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alert_notification ORDER BY id DESC LIMIT ?", arguments: [limit])
                .map(Self.queuedNotification)
        }
    }

    private static func queuedNotification(_ row: Row) throws -> QueuedNotification {
        QueuedNotification(id: row["id"], group: try ReportCoding.decoder().decode(NoticeGroup.self, from: row["json"] as Data),
                           createdAt: Date(timeIntervalSince1970: row["created_at"]), dueAt: Date(timeIntervalSince1970: row["due_at"]),
                           sentAt: (row["sent_at"] as Double?).map(Date.init(timeIntervalSince1970:)), attempts: row["attempts"],
                           lastError: row["last_error"])
    }

    // MARK: Silences

    public func insertSilence(_ silence: Silence) async throws {
        let json = try ReportCoding.encoder().encode(silence)
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO silence (id, starts_at, ends_at, json) VALUES (?, ?, ?, ?)",
                           arguments: [silence.id, silence.startsAt.timeIntervalSince1970, silence.endsAt.timeIntervalSince1970, json])
        }
    }

    public func silences(endingAfter since: Date) async throws -> [Silence] {
        try await pool.read { db in
            let decoder = ReportCoding.decoder()
            return try Data.fetchAll(db, sql: "SELECT json FROM silence WHERE ends_at > ? ORDER BY starts_at, id",
                                     arguments: [since.timeIntervalSince1970]).map { try decoder.decode(Silence.self, from: $0) }
        }
    }

    public func expireSilence(id: String, at: Date) async throws -> Bool {
        let encoder = ReportCoding.encoder()
        return try await pool.write { db in
            guard let json = try Data.fetchOne(db, sql: "SELECT json FROM silence WHERE id = ?", arguments: [id]) else { return false }
            var silence = try ReportCoding.decoder().decode(Silence.self, from: json)
            guard silence.endsAt > at else { return true }
            silence.endsAt = max(at, silence.startsAt)
            try db.execute(sql: "UPDATE silence SET ends_at = ?, json = ? WHERE id = ?",
                           arguments: [silence.endsAt.timeIntervalSince1970, try encoder.encode(silence), id])
            return true
        }
    }

    // MARK: Weekly summary

    public func serviceTallies(from: Date, to: Date) async throws -> [ServiceTally] {
        let days = [OfficeTime.day(of: from, in: officeTimeZone), OfficeTime.day(of: to, in: officeTimeZone)]
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT service, SUM(ok) AS ok, SUM(total) AS total FROM service_day
                WHERE day >= ? AND day < ? GROUP BY service ORDER BY service
                """, arguments: StatementArguments(days)).map {
                ServiceTally(service: $0["service"], ok: $0["ok"], total: $0["total"])
            }
        }
    }

    public func allTransitions(upTo to: Date) async throws -> [String: [VerdictTransition]] {
        try await pool.read { db in
            let decoder = ReportCoding.decoder()
            var result: [String: [VerdictTransition]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT site, at, from_state, to_state, reasons FROM transition WHERE at <= ? ORDER BY site, at, id
                """, arguments: [to.timeIntervalSince1970]) {
                result[row["site"], default: []].append(try Self.transition(row, decoder: decoder))
            }
            return result
        }
    }
}
