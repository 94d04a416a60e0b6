import Foundation
import GRDB

extension SQLiteStore {
    public func claimMail(id: String, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO mail_claim (id, claimed_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                           arguments: [id, at.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func releaseMailClaim(id: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM mail_claim WHERE id = ?", arguments: [id]) }
    }
}
