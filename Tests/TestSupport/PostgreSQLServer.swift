import Foundation
import Synchronization
import Testing

/// A real PostgreSQL 15 server from Debian's `postgresql-15` package for one test: a cluster made by `initdb` in a
/// temporary directory, the server on a free loopback port (and a Unix socket in that directory), run as the
/// unprivileged `postgres` user when the test runs as root (PostgreSQL refuses root), stopped by its PID.
///
/// The cluster has one role, `sansang`, with a password (SCRAM over TCP; trust only over its own Unix socket, for
/// `psql` here), and a database `sansang` it owns.
public final class PostgreSQLServer: Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// Whether the server programs are installed (`make deps` installs `postgresql-15`).
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "\(binaries)/postgres") }

    public let directory: URL
    /// The loopback port (chosen free; chosen again if another process took it before the first start).
    public var port: UInt16 { portChoice.withLock { $0.port } }
    private let portChoice: Mutex<(port: UInt16, started: Bool)>
    public let user = "sansang"
    public let password = "sansang-test-\(UUID().uuidString.prefix(8))"
    public let database = "sansang"
    /// A file holding the password (as `database.password_file` reads it).
    public var passwordFile: URL { directory.appendingPathComponent("password") }
    public var dataDirectory: URL { directory.appendingPathComponent("data") }
    public var logURL: URL { directory.appendingPathComponent("postgresql.log") }
    /// The URL a collector is configured with (no password: that comes from `passwordFile`).
    public var url: String { "postgresql://\(user)@127.0.0.1:\(port)/\(database)" }

    private let daemon = Mutex<Daemon?>(nil)
    private let owner: [String]

    /// Makes the cluster (`start()` starts it, `createDatabase()` then makes the database). `directory` must exist.
    public init(directory: URL) async throws {
        guard Self.isInstalled else { throw MissingTool(name: "\(Self.binaries)/postgres (Debian package postgresql-15)") }
        self.directory = directory
        portChoice = Mutex((try freeLoopbackPort(udp: false), false))
        owner = geteuid() == 0 ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"] : []
        try Data((password + "\n").utf8).write(to: passwordFile)
        chmod(passwordFile.path, 0o600)  // the collector reads only a private password file
        if geteuid() == 0 {
            try await run(["chown", "-R", "postgres:postgres", directory.path])
            // The server must be able to reach its directory through the temporary directory.
            try await run(["chmod", "0755", directory.path])
        }
        try await run(owner + ["\(Self.binaries)/initdb", "--no-sync", "-D", dataDirectory.path, "-U", user,
                               "--pwfile=\(passwordFile.path)", "--auth-host=scram-sha-256", "--auth-local=trust",
                               "-E", "UTF8", "--locale=C.UTF-8"])
    }

    /// Makes the database `sansang` owned by `sansang` (the server must be running).
    public func createDatabase() async throws {
        try await psql("CREATE DATABASE \(database) OWNER \(user)", database: "postgres")
    }

    /// Starts the server (again, on the same port) and waits until it accepts connections.
    public func start() async throws {
        for attempt in 1...3 {
            do {
                try await startOnce()
                portChoice.withLock { $0.started = true }
                return
            } catch let failure as CommandFailure where failure.output.contains("Address already in use") && attempt < 3 {
                // Another process took the free port before the first start: choose another one.
                guard !portChoice.withLock({ $0.started }) else { throw failure }
                let next = try freeLoopbackPort(udp: false)
                portChoice.withLock { $0.port = next }
            }
        }
    }

    private func startOnce() async throws {
        let port = self.port
        let started = try Daemon(owner + ["\(Self.binaries)/postgres", "-D", dataDirectory.path, "-p", String(port),
                                          "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=\(directory.path)",
                                          "-c", "fsync=off", "-c", "max_connections=200"],
                                 log: logURL)
        daemon.withLock { $0 = started }
        try await waitUntil(timeout: 30, "PostgreSQL on 127.0.0.1:\(port)") {
            guard started.isRunning else { return true }  // it ended: said below
            // Through this cluster's own socket directory: another server on the port cannot answer for it.
            return try await runCapturing(["\(Self.binaries)/pg_isready", "-q", "-h", directory.path, "-p", String(port)]).status == 0
        }
        guard started.isRunning else {
            // The log is in the error: `start()` looks for "Address already in use" in it.
            throw CommandFailure(argv: started.process.argv, status: started.exitCode ?? -1, output: started.log)
        }
    }

    /// Stops the server by its PID: SIGINT (a fast shutdown: open sessions are ended, as a restart by the operator
    /// does), then SIGKILL if it has not exited within `grace` seconds.
    public func stop(grace: Double = 15) async {
        guard let running = daemon.withLock({ $0 }) else { return }
        running.process.signal(SIGINT)
        if await running.process.waitForExit(timeout: .milliseconds(Int(grace * 1000))) == nil { await running.kill9() }
        daemon.withLock { $0 = nil }
    }

    public var isRunning: Bool { daemon.withLock { $0?.isRunning ?? false } }
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Runs SQL through `psql` on the server's Unix socket as `sansang`; returns the unaligned, tuples-only output.
    @discardableResult
    public func psql(_ sql: String, database: String? = nil) async throws -> String {
        try await run(owner + ["\(Self.binaries)/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", directory.path,
                               "-p", String(port), "-U", user, "-d", database ?? self.database, "-c", sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A fresh PostgreSQL server for the duration of `body` (see `PostgreSQLServer`), stopped and removed afterwards;
/// its log is attached to the test when the test fails in `body`.
public func withPostgreSQL<T>(_ body: (PostgreSQLServer) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { directory in
        let server = try await PostgreSQLServer(directory: directory)
        do {
            try await server.start()
            try await server.createDatabase()
            let (result, failed) = try await observingFailures { try await body(server) }
            await server.stop()
            if failed { Attachment.record(Array(server.log.utf8), named: "postgresql-\(server.port).log") }
            return result
        } catch {
            await server.stop()
            Attachment.record(Array(server.log.utf8), named: "postgresql-\(server.port).log")
            throw error
        }
    }
}
