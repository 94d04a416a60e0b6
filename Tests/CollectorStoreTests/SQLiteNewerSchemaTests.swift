import CollectorStore
import Foundation
import GRDB
import TestSupport
import Testing

/// A database migrated by a newer collector is refused, not used (as on PostgreSQL: `newer_schema`).
@Suite struct SQLiteNewerSchemaTests {
    @Test func aDatabaseOfANewerVersionIsRefusedWithNewerSchema() async throws {
        try await withStore { store, path in
            try await DatabaseQueue(path: path).write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
            }
            let error = await #expect(throws: SQLiteStoreError.self) { try await store.migrate() }
            #expect(error?.code == "newer_schema")
            #expect(error?.message.contains("v99-from-the-future") == true)
        }
    }
}
