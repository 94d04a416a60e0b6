import Alerting
import ArgumentParser
import CertificateTools
import CollectorCore
import CollectorDaemon
import CollectorHTTP
import CollectorStore
import CollectorStorePostgres
import CommandLineSupport
import Foundation
import Inventory
import Logging
import Mail
import ReadinessModel
import YAMLConfig

/// `--config`, shared by serve, migrate and token.
struct ConfigOption: ParsableArguments {
    @Option(help: "The collector's config file.")
    var config: String = CollectorConfiguration.defaultPath

    /// The configuration; a missing or invalid file is a configuration error (exit 2).
    func load() throws -> CollectorConfiguration {
        do {
            return try CollectorConfiguration.load(file: config)
        } catch {
            throw ConfigurationError(error.errors.map(\.description).joined(separator: "\n"))
        }
    }

    /// The inventory the configuration names; an invalid one is a configuration error with every problem.
    func inventory(_ configuration: CollectorConfiguration) throws -> Inventory {
        do {
            return try InventoryLoader.load(paths: configuration.inventory)
        } catch {
            throw ConfigurationError(error.errors.map(\.description).joined(separator: "\n"))
        }
    }

    /// The store, migrated (migrations are idempotent and run on every start). With PostgreSQL its connection pool
    /// runs until the command exits.
    func store(_ configuration: CollectorConfiguration) async throws -> any ReadinessStore {
        if let postgresql = configuration.postgresql { return try await store(postgresql: postgresql) }
        return try await sqliteStore(configuration)
    }

    /// The PostgreSQL store, running and migrated, for a command.
    func store(postgresql: PostgresStoreConfiguration) async throws -> PostgresStore {
        let store = try postgresStore(postgresql)
        Task { try await store.run() }
        do {
            let wait = Duration.seconds(postgresql.connectTimeoutSeconds + 1)
            guard await store.answers(within: wait) else {
                throw ConfigurationError("\(postgresql.redactedDescription): the database does not answer within \(wait)")
            }
            try await store.migrate()
        } catch let error as ConfigurationError {
            throw error
        } catch let error as PostgresStoreError {
            throw ConfigurationError("\(postgresql.redactedDescription): \(error)")
        } catch {
            throw ConfigurationError("\(postgresql.redactedDescription): cannot reach the database: \(String(reflecting: error))")
        }
        return store
    }

    /// The PostgreSQL store (not yet running, not migrated).
    func postgresStore(_ postgresql: PostgresStoreConfiguration) throws -> PostgresStore {
        do {
            return try PostgresStore(configuration: postgresql, logger: Logger(label: "sansang.postgresql"))
        } catch {
            throw ConfigurationError("\(config): database.tls.ca_file: \(error)")
        }
    }

    /// The SQLite store, migrated.
    func sqliteStore(_ configuration: CollectorConfiguration) async throws -> SQLiteStore {
        let directory = URL(fileURLWithPath: configuration.sqlitePath).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: directory) else {
            throw ConfigurationError("\(config): database.sqlite_path: directory \(directory) does not exist")
        }
        do {
            let store = try SQLiteStore(path: configuration.sqlitePath, officeTimeZone: configuration.officeTimeZone)
            try await store.migrate()
            return store
        } catch {
            throw ConfigurationError("\(configuration.sqlitePath): cannot open the database: \(databaseAdvice(error))")
        }
    }
}

/// A database error at start in words, with what to do (docs/reliability.md).
func databaseAdvice(_ error: any Error) -> String {
    let text = "\(error)"
    if text.contains("SQLITE_NOTADB") || text.contains("not a database") || text.contains("SQLITE_CORRUPT")
        || text.contains("malformed") {
        return "the file is not an SQLite database or is corrupt; stop the collector, move the file (and its -wal and -shm) "
            + "aside and restore the last backup, or start with an empty database (\(text))"
    }
    if text.contains("SQLITE_FULL") || text.contains("disk is full") || text.contains("No space left") {
        return "the disk is full; free space on its filesystem and start again (\(text))"
    }
    if text.contains("SQLITE_READONLY") || text.contains("SQLITE_CANTOPEN") || text.contains("SQLITE_PERM") {
        return "the file or its directory cannot be written by this user; check owner and mode (\(text))"
    }
    return text
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the collector: HTTP API, evaluation timer, retention.",
        discussion: """
            Loads the config and the inventory, migrates the database, then serves until SIGTERM or SIGINT \
            (graceful: requests in flight finish). SIGHUP reloads the inventory (kept if the new one is \
            invalid), the alert files likewise, and the TLS certificate and key (new connections get the new \
            pair, open ones keep theirs). See docs/collector.md and docs/alerts.md.

            Example:
              sansang-collector serve --config /etc/sansang/collector.yaml
            """
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        // The database, its WAL and the outbox are for this user only, whatever the unit's UMask says.
        umask(0o077)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "sansang.collector")
        let configuration = try options.load()
        let inventory = try options.inventory(configuration)
        let alerts = try loadAlerts(configuration.alerts.path, logger: logger)
        let outbox = try configuration.mail.map { try openOutbox($0) }
        let (certificate, pinnedCA) = try loadTLS(configuration)
        let daemon: CollectorDaemon
        if let postgresql = configuration.postgresql {
            // Replicas: the pool and the migration run as services (a database away at start is retried while the
            // collector answers /healthz); one replica at a time is the alert leader.
            let store = try options.postgresStore(postgresql)
            daemon = CollectorDaemon(
                configuration: configuration, inventory: inventory, store: store,
                storeServices: [store, PostgresMigrationService(store: store, logger: logger)],
                leaderElection: { PostgresLeaderElection(configuration: postgresql, leadership: $0, store: store, logger: logger) },
                alerts: alerts, outbox: outbox, certificate: certificate, pinnedCA: pinnedCA, logger: logger)
        } else {
            let store = try await options.sqliteStore(configuration)
            daemon = CollectorDaemon(configuration: configuration, inventory: inventory, store: store, alerts: alerts,
                                     outbox: outbox, certificate: certificate, pinnedCA: pinnedCA, logger: logger)
        }
        try await daemon.run()
    }
}

extension Serve {
    /// The served certificate (reloadable) and the CA enrolled agents pin; neither without `tls:`.
    func loadTLS(_ configuration: CollectorConfiguration) throws -> (ReloadableCertificate?, String?) {
        guard let tls = configuration.tls else { return (nil, nil) }
        do {
            let certificate = try ReloadableCertificate(certFile: tls.certFile, keyFile: tls.keyFile)
            let ca = try CollectorTLS.pinnableCA(chainPEM: try String(contentsOfFile: tls.certFile, encoding: .utf8),
                                                 caPEM: try tls.caFile.map { try String(contentsOfFile: $0, encoding: .utf8) })
            return (certificate, ca)
        } catch {
            throw ConfigurationError("\(options.config): tls: \(error)")
        }
    }
}

/// The durable mail outbox (its directory is created when missing).
func openOutbox(_ mail: CollectorConfiguration.MailSettings) throws -> Outbox {
    do {
        return try Outbox(directory: URL(fileURLWithPath: mail.outbox))
    } catch {
        throw ConfigurationError("mail.outbox: \(mail.outbox): \(error)")
    }
}

/// The alert files; none at the path is allowed (no alerts, a warning), invalid ones stop the start.
func loadAlerts(_ path: String, logger: Logger) throws -> AlertConfiguration {
    guard FileManager.default.fileExists(atPath: path) else {
        logger.warning("no alert rules: \(path) does not exist")
        return AlertConfiguration()
    }
    do {
        return try AlertConfiguration.load(path: path)
    } catch {
        throw ConfigurationError(error.errors.map(\.description).joined(separator: "\n"))
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or upgrade the database schema (serve does this on start too), or copy an SQLite database into PostgreSQL.",
        discussion: """
            With --from, every row of the SQLite database is copied into the PostgreSQL database of --to (or of \
            database.postgresql_url in --config), which must be empty; one transaction: all or nothing. See \
            docs/scale-out.md.

            Examples:
              sansang-collector migrate --config /etc/sansang/collector.yaml
              sansang-collector migrate --from sqlite:/var/lib/sansang/collector.sqlite \\
                  --to postgresql://sansang@10.0.0.5/sansang --password-file /etc/sansang/postgresql.password
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "Copy this SQLite database (sqlite:PATH) into PostgreSQL.")
    var from: String?

    @Option(help: "The PostgreSQL database to copy into (postgresql://USER@HOST[:PORT]/DATABASE; default: database.postgresql_url of --config).")
    var to: String?

    @Option(help: "A file holding the password for --to.")
    var passwordFile: String?

    func validate() throws {
        if from == nil, to != nil || passwordFile != nil { throw ValidationError("--to and --password-file go with --from.") }
        if let from, !from.hasPrefix("sqlite:") { throw ValidationError("--from takes sqlite:PATH, not \(from).") }
    }

    func run() async throws {
        if let from {
            try await copy(from: String(from.dropFirst("sqlite:".count)))
            return
        }
        let configuration = try options.load()
        if let postgresql = configuration.postgresql {
            let store = try await options.store(configuration)
            let applied = try await (store as? PostgresStore)?.appliedMigrations() ?? []
            print("\(postgresql.redactedDescription): schema up to date (\(applied.joined(separator: ", ")))")
        } else {
            let store = try await options.sqliteStore(configuration)
            print("\(store.path): schema up to date (\(try await store.appliedMigrations().joined(separator: ", ")))")
        }
    }

    private func copy(from path: String) async throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ConfigurationError("--from: \(path) does not exist") }
        var target: PostgresStoreConfiguration
        if let to {
            do {
                target = try PostgresStoreConfiguration(url: to)
            } catch {
                throw ConfigurationError("--to: \(error)")
            }
            if let passwordFile {
                do {
                    target.password = try SecretFile.read(passwordFile)
                } catch {
                    throw ConfigurationError("--password-file: \(error)")
                }
            }
        } else {
            guard let configured = try options.load().postgresql else {
                throw ConfigurationError("\(options.config): no database.postgresql_url; give --to")
            }
            target = configured
        }
        let store = try await options.store(postgresql: target)
        let sqlite: SQLiteStore
        do {
            sqlite = try SQLiteStore(path: path)
        } catch {
            throw ConfigurationError("\(path): cannot open the database: \(databaseAdvice(error))")
        }
        do {
            let counts = try await store.importSQLite(sqlite) { table, count in printError("\(table): \(count) rows") }
            print("copied \(path) into \(target.redactedDescription): \(counts.values.reduce(0, +)) rows")
        } catch let error as PostgresStoreError {
            throw ConfigurationError("\(target.redactedDescription): \(error)")
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue, revoke and list bearer tokens (site tokens for agents, NOC tokens for people).",
        subcommands: [TokenIssue.self, TokenRevoke.self, TokenList.self]
    )
}

struct TokenIssue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a token and print it once (only its SHA-256 is stored).",
        discussion: """
            Examples:
              sansang-collector token issue 20242 > /etc/sansang/agent.token
              sansang-collector token issue --noc alice --role read
            """
    )

    @OptionGroup var options: ConfigOption

    @Argument(help: "The site code the token is bound to.")
    var site: String?

    @Option(help: "Issue a NOC token for this user instead of a site token.")
    var noc: String?

    @Option(help: "Role of a NOC token: read or admin.")
    var role: String = "read"

    func validate() throws {
        guard (site == nil) != (noc == nil) else { throw ValidationError("Give either a SITE or --noc NAME.") }
        guard TokenRecord.Role(rawValue: role) != nil else { throw ValidationError("--role must be read or admin.") }
        if let noc, let problem = TokenAuthority.nocUserProblem(noc) { throw ValidationError("--noc: \(problem).") }
    }

    func run() async throws {
        let configuration = try options.load()
        let authority = TokenAuthority(store: try await options.store(configuration))
        let issued: TokenAuthority.Issued
        if let site {
            let inventory: Inventory
            do {
                inventory = try InventoryLoader.load(paths: configuration.inventory)
            } catch {
                throw ConfigurationError(error.errors.map(\.description).joined(separator: "\n"))
            }
            guard inventory.site(code: site)?.hasOffice == true else {
                throw ConfigurationError("site \(site) is not an office in the inventory (\(configuration.inventory.joined(separator: ", ")))")
            }
            issued = try await authority.issue(site: site)
        } else {
            issued = try await authority.issue(nocUser: noc ?? "", role: TokenRecord.Role(rawValue: role) ?? .read)
        }
        printError("issued token \(issued.record.id) (\(issued.record.kind.rawValue) \(issued.record.name)); it is shown only now:")
        print(issued.token)
    }
}

struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a token by its id (the part after sst_): its requests get 401 token_revoked.",
        discussion: """
            Example:
              sansang-collector token revoke 3f9a0c12be44
            """
    )

    @OptionGroup var options: ConfigOption

    @Argument(help: "The token id (token list shows them).")
    var id: String

    func run() async throws {
        let configuration = try options.load()
        let authority = TokenAuthority(store: try await options.store(configuration))
        guard try await authority.revoke(id: id) else { throw ConfigurationError("no token with id \(id)") }
        print("revoked token \(id)")
    }
}

struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List tokens (ids, kinds, sites or users, roles, dates; never the tokens).",
        discussion: """
            Examples:
              sansang-collector token list
              sansang-collector token list --json
            """
    )

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let configuration = try options.load()
        let tokens = try await TokenAuthority(store: try await options.store(configuration)).list()
        if json {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(tokens), as: UTF8.self))
            return
        }
        print("id            kind  site/user             role   created               revoked")
        for token in tokens {
            let columns = [token.id.padding(toLength: 13, withPad: " ", startingAt: 0),
                           token.kind.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0),
                           token.name.padding(toLength: 21, withPad: " ", startingAt: 0),
                           (token.role?.rawValue ?? "-").padding(toLength: 6, withPad: " ", startingAt: 0),
                           token.createdAt.formatted(.iso8601).padding(toLength: 21, withPad: " ", startingAt: 0),
                           token.revokedAt?.formatted(.iso8601) ?? "-"]
            print(columns.joined(separator: " "))
        }
    }
}
