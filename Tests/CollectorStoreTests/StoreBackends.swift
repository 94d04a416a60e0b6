import Alerting
import CollectorStore
import CollectorStorePostgres
import Foundation
import GRDB
import Logging
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

/// The store tests run against both back ends: one set of tests, two fixtures.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }
}

/// Raw access to the database under a store, for tests that set up what the store cannot (a failing trigger).
struct StoreDatabase: Sendable {
    let sqlitePath: String?
    let server: PostgreSQLServer?

    func execute(_ sql: String) async throws {
        if let sqlitePath {
            try await DatabaseQueue(path: sqlitePath).write { db in try db.execute(sql: sql) }
        } else if let server {
            try await server.psql(sql)
        }
    }
}

/// A migrated, empty store of `backend` for the duration of `body`: an SQLite file in a temporary directory, or a
/// fresh PostgreSQL server (`withPostgreSQL`) with the store's pool running.
func withStore<T>(_ backend: Backend, officeTimeZone: TimeZone = OfficeTime.zone,
                  _ body: (any ReadinessStore, StoreDatabase) async throws -> T) async throws -> T {
    switch backend {
    case .sqlite:
        return try await withStore(officeTimeZone: officeTimeZone) { store, path in
            try await body(store, StoreDatabase(sqlitePath: path, server: nil))
        }
    case .postgresql:
        return try await withPostgreSQL { server in
            var configuration = server.storeConfiguration
            configuration.officeTimeZone = officeTimeZone
            let store = try PostgresStore(configuration: configuration, logger: quietLogger)
            return try await store.withRunning {
                try await store.migrate()
                return try await body(store, StoreDatabase(sqlitePath: nil, server: server))
            }
        }
    }
}

/// Warnings and errors only (migrations log each step at info).
let quietLogger: Logger = {
    var logger = Logger(label: "sansang.postgresql.test")
    logger.logLevel = .warning
    return logger
}()

extension PostgreSQLServer {
    /// How a collector reaches this server (TCP on loopback, SCRAM password).
    var storeConfiguration: PostgresStoreConfiguration {
        var configuration = PostgresStoreConfiguration(host: "127.0.0.1", port: Int(port), user: user, database: database,
                                                       password: password)
        configuration.maximumConnections = 8
        return configuration
    }
}

@Suite struct PostgresStoreTests {
    @Test func migrationsHaveTheSQLiteNamesAndTwoReplicasMigrateTogether() async throws {
        try await withPostgreSQL { server in
            let first = try PostgresStore(configuration: server.storeConfiguration, logger: quietLogger)
            let second = try PostgresStore(configuration: server.storeConfiguration, logger: quietLogger)
            try await first.withRunning {
                try await second.withRunning {
                    // Both start together: the advisory lock lets one migrate while the other waits, then finds nothing to do.
                    async let a: Void = first.migrate()
                    async let b: Void = second.migrate()
                    _ = try await (a, b)
                    let sqliteNames = try await withStore { store, _ in try await store.appliedMigrations() }
                    #expect(try await first.appliedMigrations() == sqliteNames)
                    #expect(try await server.psql("SELECT count(*) FROM sansang_migrations") == String(sqliteNames.count))
                    try await first.migrate()
                    try await first.ping()
                }
            }
        }
    }

    @Test func aDatabaseOfANewerVersionRefusesToStart() async throws {
        try await withPostgreSQL { server in
            let store = try PostgresStore(configuration: server.storeConfiguration, logger: quietLogger)
            try await store.withRunning {
                try await store.migrate()
                try await server.psql("INSERT INTO sansang_migrations VALUES ('v99-from-the-future', 0)")
                let error = await #expect(throws: PostgresStoreError.self) { try await store.migrate() }
                #expect(error?.code == .newerSchema)
                #expect(error?.message.contains("v99-from-the-future") == true)
            }
        }
    }

    @Test func theSameReportPostedToTwoReplicasAtOnceIsStoredOnce() async throws {
        try await withPostgreSQL { server in
            let first = try PostgresStore(configuration: server.storeConfiguration, logger: quietLogger)
            let second = try PostgresStore(configuration: server.storeConfiguration, logger: quietLogger)
            try await first.withRunning {
                try await second.withRunning {
                    try await first.migrate()
                    // 20 rounds of the same three reports of two sites, posted to both replicas at once, in opposite orders.
                    for round in 0..<20 {
                        let at = t0 + Double(round * 60)
                        let reports = [report(seq: UInt64(round), at: at), report(site: "20257", seq: UInt64(round), at: at)]
                        async let a = first.ingest([IngestBatch(reports: [reports[0]], receivedAt: at),
                                                    IngestBatch(reports: [reports[1]], receivedAt: at)])
                        async let b = second.ingest([IngestBatch(reports: [reports[1]], receivedAt: at),
                                                     IngestBatch(reports: [reports[0]], receivedAt: at)])
                        let (x, y) = try await (a, b)
                        let stored = (x + y).flatMap(\.stored).count
                        let duplicates = (x + y).flatMap(\.duplicates).count
                        #expect(stored == 2 && duplicates == 2, "round \(round): \(stored) stored, \(duplicates) duplicates")
                    }
                    #expect(try await first.reportCount(site: "20242") == 20)
                    #expect(try await second.reportCount(site: "20257") == 20)
                }
            }
        }
    }

    @Test func urlsAreParsedAndBadOnesNamed() throws {
        let plain = try PostgresStoreConfiguration(url: "postgresql://sansang@127.0.0.1:5433/sansang")
        #expect(plain.host == "127.0.0.1" && plain.port == 5433 && plain.user == "sansang" && plain.database == "sansang")
        #expect(plain.password == nil && plain.tls == .disable)
        let socket = try PostgresStoreConfiguration(url: "postgres://collector@/noc?host=/run/postgresql&sslmode=require")
        #expect(socket.unixSocketDirectory == "/run/postgresql" && socket.tls == .require && socket.port == 5432)
        #expect(socket.redactedDescription == "postgresql://collector@/noc?host=/run/postgresql")
        #expect(try PostgresStoreConfiguration(url: "postgresql://u:p%40ss@db/x").password == "p@ss")
        for bad in ["mysql://u@h/d", "postgresql://h/d", "postgresql://u@h", "postgresql://u@h/d?sslmode=maybe",
                    "postgresql://u@h/d?pool=3"] {
            #expect(throws: PostgresURLError.self, "\(bad)") { try PostgresStoreConfiguration(url: bad) }
        }
    }
}

@Suite struct DashboardStoreTests {
    @Test(arguments: Backend.allCases) func usersAndSessionsAreStoredAndEnded(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let alice = DashboardUser(name: "alice", role: .admin, passwordHash: "$2b$12$x", createdAt: t0)
            #expect(try await store.insertUser(alice))
            #expect(try await !store.insertUser(alice))
            var changed = alice
            changed.role = .read
            changed.disabledAt = t0 + 5
            #expect(try await store.updateUser(changed))
            #expect(try await !store.updateUser(DashboardUser(name: "bob", role: .read, passwordHash: "h", createdAt: t0)))
            #expect(try await store.user(name: "alice") == changed)
            #expect(try await store.users() == [changed])
            let session = DashboardSession(idHash: "h1", user: "alice", csrfToken: "c", createdAt: t0, lastSeenAt: t0)
            try await store.insertSession(session)
            try await store.insertSession(DashboardSession(idHash: "h2", user: "alice", csrfToken: "d", createdAt: t0, lastSeenAt: t0))
            try await store.touchSession(idHash: "h1", at: t0 + 100)
            #expect(try await store.session(idHash: "h1")?.lastSeenAt == t0 + 100)
            #expect(try await store.deleteSessions(lastSeenBefore: t0 + 50) == 1)
            #expect(try await store.session(idHash: "h2") == nil)
            try await store.deleteSessions(user: "alice")
            #expect(try await store.session(idHash: "h1") == nil)
            #expect(try await store.latestTransitionID() == 0)
            _ = try await store.recordVerdicts([SiteVerdict(site: "20242", state: .ready, reasons: [], evaluatedAt: t0, reportGeneratedAt: t0)])
            let recent = try await store.recentTransitions(limit: 5)
            #expect(recent.map(\.site) == ["20242"])
            #expect(try await store.latestTransitionID() == recent.first?.id)
        }
    }
}

@Suite struct SQLiteImportTests {
    @Test func everyRowOfAnSQLiteDatabaseIsCopiedAndNewRowsFollow() async throws {
        try await withStore { sqlite, _ in
            // A little of everything: reports with a gap, verdicts and transitions, a notification, tokens, a queued
            // alert group, a silence, a dashboard user and session.
            let gap = GapRecord(count: 2, firstSeq: 3, lastSeq: 4, from: t0, to: t0 + 60)
            _ = try await sqlite.ingest([report(seq: 1, at: t0), report(seq: 5, at: t0 + 300, gap: gap),
                                         report(site: "20257", seq: 1, at: t0)], receivedAt: t0 + 301)
            _ = try await sqlite.recordVerdicts([SiteVerdict(site: "20242", state: .ready, reasons: [], evaluatedAt: t0, reportGeneratedAt: t0)])
            _ = try await sqlite.recordVerdicts([SiteVerdict(site: "20242", state: .notReady,
                                                             reasons: [Reason(code: .serviceDown, subject: "vneid", impact: .notReady, evidence: "x")],
                                                             evaluatedAt: t0 + 60, reportGeneratedAt: t0)])
            try await sqlite.insertToken(TokenRecord(id: "0123456789ab", kind: .site, site: "20242", name: "20242", role: nil,
                                                     sha256: String(repeating: "b", count: 64), createdAt: t0))
            #expect(try await sqlite.insertUser(DashboardUser(name: "trực ban", role: .admin, passwordHash: "$2b$12$x", createdAt: t0)))
            try await sqlite.insertSession(DashboardSession(idHash: "h", user: "trực ban", csrfToken: "c", createdAt: t0, lastSeenAt: t0))
            try await sqlite.commitAlertRound(upsert: [], remove: [], groups: [AlertStoreTests().group(["20242"])], now: t0)
            try await sqlite.insertSilence(Silence(id: "s1", site: "20242", startsAt: t0, endsAt: t0 + 3600, author: "trực ban",
                                                   comment: "Thay switch", createdAt: t0))

            try await withPostgreSQL { server in
                let store = try PostgresStore(configuration: server.storeConfiguration, logger: quietLogger)
                try await store.withRunning {
                    try await store.migrate()
                    let counts = try await store.importSQLite(sqlite)
                    #expect(counts["report"] == 3 && counts["transition"] == 2 && counts["point"] == 6 && counts["gap"] == 1)
                    #expect(try await store.latestReports() == sqlite.latestReports())
                    #expect(try await store.currentVerdicts() == sqlite.currentVerdicts())
                    #expect(try await store.recentTransitions(limit: 10) == sqlite.recentTransitions(limit: 10))
                    #expect(try await store.points(site: "20242", from: .distantPast, to: .distantFuture)
                        == sqlite.points(site: "20242", from: .distantPast, to: .distantFuture))
                    #expect(try await store.gaps(site: "20242", from: .distantPast, to: .distantFuture)
                        == sqlite.gaps(site: "20242", from: .distantPast, to: .distantFuture))
                    #expect(try await store.tokens() == sqlite.tokens())
                    #expect(try await store.users() == sqlite.users())
                    #expect(try await store.session(idHash: "h") == sqlite.session(idHash: "h"))
                    #expect(try await store.alertNotificationLog(limit: 10) == sqlite.alertNotificationLog(limit: 10))
                    #expect(try await store.silences(endingAfter: t0) == sqlite.silences(endingAfter: t0))
                    #expect(try await store.serviceTallies(from: t0 - 86400, to: t0 + 86400) == sqlite.serviceTallies(from: t0 - 86400, to: t0 + 86400))
                    // New rows are numbered after the copied ones; a copied report is a duplicate.
                    let again = try await store.ingest([report(seq: 5, at: t0 + 300, gap: gap), report(seq: 6, at: t0 + 360)], receivedAt: t0 + 361)
                    #expect(again.duplicates.count == 1 && again.stored.count == 1)
                    _ = try await store.recordVerdicts([SiteVerdict(site: "20242", state: .ready, reasons: [], evaluatedAt: t0 + 400, reportGeneratedAt: t0)])
                    let newest = try await store.recentTransitions(limit: 1)
                    #expect(newest.first?.id == (try await sqlite.latestTransitionID()) + 1)
                    // Only into an empty database.
                    let error = await #expect(throws: PostgresStoreError.self) { try await store.importSQLite(sqlite) }
                    #expect(error?.code == .notEmpty)
                }
            }
        }
    }
}
