import CollectorCore
import CollectorStore
import Foundation
import Testing
import TestSupport
import YAMLConfig

/// `database:` in collector.yaml: SQLite or PostgreSQL (docs/scale-out.md).
@Suite struct DatabaseConfigurationTests {
    @Test func postgresqlKeysAreRead() throws {
        let parsed = try CollectorConfiguration.parse(yaml: """
            database:
              postgresql_url: "postgresql://sansang@10.0.0.5:5433/noc"
              password_file: postgresql.password
              tls: {mode: require, ca_file: /etc/sansang/pg-ca.pem}
              max_connections: 8
              connect_timeout_s: 4
            """, file: "c.yaml")
        let postgresql = try #require(parsed.postgresql)
        #expect(postgresql.host == "10.0.0.5" && postgresql.port == 5433 && postgresql.user == "sansang" && postgresql.database == "noc")
        #expect(postgresql.tls == .require && postgresql.caFile == "/etc/sansang/pg-ca.pem")
        #expect(postgresql.maximumConnections == 8 && postgresql.connectTimeoutSeconds == 4)
        #expect(parsed.postgresqlPasswordFile == "postgresql.password")
        #expect(try CollectorConfiguration.parse(yaml: "", file: "c.yaml").postgresql == nil)
    }

    @Test func badDatabaseKeysNameFileLineAndField() {
        let errors = Self.errors("""
            database:
              postgresql_url: "mysql://sansang@db/sansang"
              tls: {mode: always}
            """)
        #expect(errors.contains { $0.hasPrefix("c.yaml:2:19: database.postgresql_url:") && $0.contains("not a postgresql://") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("c.yaml:3:15: database.tls.mode:") && $0.contains("disable, prefer, require") }, "\(errors)")

        let both = Self.errors("database: {sqlite_path: /x.sqlite, postgresql_url: \"postgresql://u@h/d\"}\n")
        #expect(both.contains { $0.contains("database.sqlite_path:") && $0.contains("not both") }, "\(both)")
        let stray = Self.errors("database: {sqlite_path: /x.sqlite, password_file: /p}\n")
        #expect(stray.contains { $0.contains("database.password_file:") && $0.contains("PostgreSQL only") }, "\(stray)")
        let inline = Self.errors("database: {postgresql_url: \"postgresql://u:secret@h/d\"}\n")
        #expect(inline.contains { $0.contains("database.postgresql_url:") && $0.contains("password_file") }, "\(inline)")
    }

    @Test func thePasswordFileIsReadRelativeToTheConfigAndMustBePrivate() async throws {
        try await withTemporaryDirectory { directory in
            let config = directory.appendingPathComponent("collector.yaml")
            try "database: {postgresql_url: \"postgresql://sansang@127.0.0.1/sansang\", password_file: pg.password}\n"
                .write(to: config, atomically: true, encoding: .utf8)
            let password = directory.appendingPathComponent("pg.password")
            try "mật-khẩu\n".write(to: password, atomically: true, encoding: .utf8)
            chmod(password.path, 0o644)
            let refused = try #require(throws: ConfigErrors.self) { try CollectorConfiguration.load(file: config.path) }
            #expect(refused.errors.first?.description.contains("database.password_file") == true, "\(refused)")
            chmod(password.path, 0o600)
            let loaded = try CollectorConfiguration.load(file: config.path)
            #expect(loaded.postgresql?.password == "mật-khẩu")
            #expect(loaded.postgresqlPasswordFile == password.path)
        }
    }

    static func errors(_ yaml: String) -> [String] {
        do {
            _ = try CollectorConfiguration.parse(yaml: yaml, file: "c.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }
}
