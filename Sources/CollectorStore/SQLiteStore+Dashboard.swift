import Foundation
import GRDB
import ReadinessModel
import SansangAPI

extension SQLiteStore {
    static func registerDashboardMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-dashboard-users-sessions") { db in
            try db.execute(sql: """
                CREATE TABLE dashboard_user (
                    name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('read', 'admin')),
                    password_hash TEXT NOT NULL, created_at REAL NOT NULL, disabled_at REAL);
                CREATE TABLE dashboard_session (
                    id_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES dashboard_user (name) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL, created_at REAL NOT NULL, last_seen_at REAL NOT NULL);
                CREATE INDEX dashboard_session_user ON dashboard_session (user);
                """)
        }
    }

    public func insertUser(_ user: DashboardUser) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO dashboard_user (name, role, password_hash, created_at, disabled_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO NOTHING
                """, arguments: [user.name, user.role.rawValue, user.passwordHash, user.createdAt.timeIntervalSince1970,
                                 user.disabledAt?.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func user(name: String) async throws -> DashboardUser? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM dashboard_user WHERE name = ?", arguments: [name]).map(Self.dashboardUser)
        }
    }

    public func users() async throws -> [DashboardUser] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM dashboard_user ORDER BY name").map(Self.dashboardUser)
        }
    }

    public func updateUser(_ user: DashboardUser) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE dashboard_user SET role = ?, password_hash = ?, disabled_at = ? WHERE name = ?",
                           arguments: [user.role.rawValue, user.passwordHash, user.disabledAt?.timeIntervalSince1970, user.name])
            return db.changesCount == 1
        }
    }

    private static func dashboardUser(_ row: Row) -> DashboardUser {
        DashboardUser(name: row["name"], role: TokenRecord.Role(rawValue: row["role"]) ?? .read, passwordHash: row["password_hash"],
                      createdAt: Date(timeIntervalSince1970: row["created_at"]),
                      disabledAt: (row["disabled_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    public func insertSession(_ session: DashboardSession) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO dashboard_session (id_hash, user, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [session.idHash, session.user, session.csrfToken, session.createdAt.timeIntervalSince1970,
                                 session.lastSeenAt.timeIntervalSince1970])
        }
    }

    public func session(idHash: String) async throws -> DashboardSession? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM dashboard_session WHERE id_hash = ?"), arguments: [idHash]).map { row in
                DashboardSession(idHash: row["id_hash"], user: row["user"], csrfToken: row["csrf_token"],
                                 createdAt: Date(timeIntervalSince1970: row["created_at"]),
                                 lastSeenAt: Date(timeIntervalSince1970: row["last_seen_at"]))
            }
        }
    }

    public func touchSession(idHash: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE dashboard_session SET last_seen_at = ? WHERE id_hash = ?",
                           arguments: [at.timeIntervalSince1970, idHash])
        }
    }

    public func deleteSession(idHash: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM dashboard_session WHERE id_hash = ?", arguments: [idHash])
        }
    }

    public func deleteSessions(user: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM dashboard_session WHERE user = ?", arguments: [user])
        }
    }

    public func deleteSessions(lastSeenBefore before: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM dashboard_session WHERE last_seen_at < ?", arguments: [before.timeIntervalSince1970])
            return db.changesCount
        }
    }

    public func recentTransitions(limit: Int) async throws -> [SiteTransitionRecord] {
        try await pool.read { db in
            let decoder = ReportCoding.decoder()
            return try Row.fetchAll(db, sql: """
                SELECT id, site, at, from_state, to_state, reasons FROM transition ORDER BY id DESC LIMIT ?
                """, arguments: [limit]).map { row in
                SiteTransitionRecord(id: row["id"], site: row["site"], transition: try Self.transition(row, decoder: decoder))
            }
        }
    }

    public func stateChanges(from: Date, to: Date) async throws -> [String: [VerdictTransition]] {
        try await pool.read { db in
            var result: [String: [VerdictTransition]] = [:]
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT site, at, from_state, to_state FROM transition WHERE at > ? AND at <= ? ORDER BY site, at, id
                """), arguments: [from.timeIntervalSince1970, to.timeIntervalSince1970])
            while let row = try rows.next() {
                result[row[0], default: []].append(VerdictTransition(
                    at: Date(timeIntervalSince1970: row[1]), from: (row[2] as String?).flatMap(VerdictState.init(rawValue:)),
                    to: VerdictState(rawValue: row[3]) ?? .unknown, reasons: []))
            }
            return result
        }
    }

    public func latestTransitionID() async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(id), 0) FROM transition")) ?? 0
        }
    }
}
