import CollectorStore
import Foundation
import GRDB
import PostgresNIO

/// Copies an SQLite collector database into an empty PostgreSQL one (`sansang-collector migrate --from sqlite:PATH
/// --to postgresql:URL`, docs/scale-out.md): every table, row for row, in one PostgreSQL transaction (all or nothing).
extension PostgresStore {
    /// The tables in a foreign-key-safe order, each with the columns that order its rows (its key).
    static let importedTables: [(name: String, key: [String])] = [
        ("token", ["id"]), ("report", ["id"]), ("latest_report", ["site"]), ("verdict", ["site"]), ("transition", ["id"]),
        ("point", ["site", "series", "at"]), ("gap", ["id"]), ("notification", ["id"]), ("alert_instance", ["rule", "site"]),
        ("alert_notification", ["id"]), ("silence", ["id"]), ("service_day", ["service", "day", "site"]),
        ("enrolment_code", ["sha256"]), ("dashboard_user", ["name"]), ("dashboard_session", ["id_hash"]),
        ("mail_claim", ["id"]),
    ]
    /// Tables whose `id` PostgreSQL numbers itself (an identity column): copied ids kept, the sequence moved past them.
    static let identityTables: Set<String> = ["report", "transition", "gap", "notification", "alert_notification"]

    /// Copies `sqlite` (migrated first, so any older schema works) into this database, which must be migrated and
    /// empty. Returns the rows copied per table. `progress` is told each table's count as it is done.
    public func importSQLite(_ sqlite: SQLiteStore, progress: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws
        -> [String: Int] {
        try await sqlite.migrate()
        var readOnly = Configuration()
        readOnly.readonly = true
        let source = try DatabaseQueue(path: sqlite.path, configuration: readOnly)
        let logger = logger
        let tables = Self.importedTables
        let copied = try await transaction { connection -> [String: Int] in
            for (table, _) in tables {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table) LIMIT 1"), logger: logger).collect()
                guard rows.isEmpty else {
                    throw PostgresStoreError(.notEmpty, "the PostgreSQL database already has rows in \(table): import only into an empty one")
                }
            }
            var counts: [String: Int] = [:]
            for (table, key) in tables {
                let columns = try await source.read { db in try db.columns(in: table).map(\.name) }
                var after: [DatabaseValue]?
                var count = 0
                while true {
                    let from = after
                    let chunk = try await source.read { db in
                        try Self.chunk(db, table: table, columns: columns, key: key, after: from)
                    }
                    guard let last = chunk.last else { break }
                    try await Self.insert(chunk, into: table, columns: columns, connection, logger: logger)
                    count += chunk.count
                    after = key.map { last[columns.firstIndex(of: $0) ?? 0] }
                }
                if Self.identityTables.contains(table) {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM \(table)
                        """), logger: logger).collect()
                }
                counts[table] = count
                progress(table, count)
            }
            return counts
        }
        return copied
    }

    /// Up to 500 rows after the key `after`, in key order, as values in the order of `columns`.
    private static func chunk(_ db: Database, table: String, columns: [String], key: [String], after: [DatabaseValue]?) throws
        -> [[DatabaseValue]] {
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let keyList = key.map { "\"\($0)\"" }.joined(separator: ", ")
        var sql = "SELECT \(list) FROM \(table)"
        var arguments: StatementArguments = []
        if let after {
            sql += " WHERE (\(keyList)) > (\(key.map { _ in "?" }.joined(separator: ", ")))"
            arguments = StatementArguments(after)
        }
        sql += " ORDER BY \(keyList) LIMIT 500"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in columns.indices.map { row[$0] as DatabaseValue } }
    }

    /// One multi-row INSERT; SQLite NULLs become SQL NULL literals (a typed NULL parameter would not fit every column).
    private static func insert(_ rows: [[DatabaseValue]], into table: String, columns: [String], _ connection: PostgresConnection,
                               logger: Logger) async throws {
        var bindings = PostgresBindings(capacity: rows.count * columns.count)
        var tuples: [String] = []
        for row in rows {
            var values: [String] = []
            for value in row {
                switch value.storage {
                case .null: values.append("NULL")
                case .int64(let int):
                    bindings.append(int)
                    values.append("$\(bindings.count)")
                case .double(let double):
                    bindings.append(double)
                    values.append("$\(bindings.count)")
                case .string(let string):
                    bindings.append(string)
                    values.append("$\(bindings.count)")
                case .blob(let data):
                    try bindings.append(data)
                    values.append("$\(bindings.count)")
                }
            }
            tuples.append("(" + values.joined(separator: ", ") + ")")
        }
        let overriding = identityTables.contains(table) ? " OVERRIDING SYSTEM VALUE" : ""
        let sql = "INSERT INTO \(table) (\(columns.map { "\"\($0)\"" }.joined(separator: ", ")))\(overriding) VALUES "
            + tuples.joined(separator: ", ")
        _ = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).collect()
    }
}
