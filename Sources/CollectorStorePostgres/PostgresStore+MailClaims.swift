import Foundation
import PostgresNIO

extension PostgresStore {
    public func claimMail(id: String, at: Date) async throws -> Bool {
        try await !rows("""
            INSERT INTO mail_claim (id, claimed_at) VALUES (\(id), \(at.timeIntervalSince1970)) ON CONFLICT (id) DO NOTHING
            RETURNING id
            """).isEmpty
    }

    public func releaseMailClaim(id: String) async throws {
        try await execute("DELETE FROM mail_claim WHERE id = \(id)")
    }
}
