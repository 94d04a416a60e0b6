import CollectorCore
import CollectorStore
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import SystemSupport

/// Elects the alert leader among collector replicas sharing one PostgreSQL database (docs/scale-out.md).
///
/// Each replica keeps one connection of its own (outside the pool) and tries `pg_try_advisory_lock` on it every
/// `checkInterval`; the replica whose session holds the lock is the leader, until that session ends:
/// - the leader's process dies (kill -9): the server sees the connection close and frees the lock at once;
/// - the leader loses the database (network cut): it checks its connection every `checkInterval` and steps down
///   when a check fails or takes longer than `checkTimeout`; the server ends the leader's session once it has
///   been idle for `idleSessionTimeout` (set on that session), which frees the lock for the next replica.
/// A follower takes over within `idleSessionTimeout + checkInterval` (25 s by default) in the worst case.
public struct PostgresLeaderElection: Service {
    public let configuration: PostgresStoreConfiguration
    public let leadership: AlertLeadership
    public var checkInterval: Duration = .seconds(5)
    public var checkTimeout: Duration = .seconds(5)
    public var idleSessionTimeout: Duration = .seconds(20)
    private let logger: Logger

    /// Fenced with the leader's session (`PostgresStore.setLeaderFence`).
    public let store: PostgresStore?

    public init(configuration: PostgresStoreConfiguration, leadership: AlertLeadership, store: PostgresStore? = nil,
                logger: Logger = Logger(label: "sansang.leader")) {
        self.configuration = configuration
        self.leadership = leadership
        self.store = store
        self.logger = logger
    }

    /// Leader or not, and the store's fence with it (set before leading, cleared on losing).
    private func lead(_ holds: Bool, session pid: Int32?) -> Bool {
        if holds { store?.setLeaderFence(pid) }
        let changed = leadership.set(holds)
        if !holds { store?.setLeaderFence(nil) }
        return changed
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var attempt = 0
            while !Task.isCancelled {
                do {
                    try await campaign()
                } catch is CancellationError {
                    break
                } catch {
                    if lead(false, session: nil) {
                        logger.error("lost the alert leadership: the database connection failed", metadata: ["error": "\(error)"])
                    } else if attempt % 12 == 0 {
                        logger.warning("alert leader election: cannot reach the database; retrying", metadata: ["error": "\(error)"])
                    }
                }
                attempt += 1
                try? await Task.sleep(for: checkInterval)
            }
        }
        if lead(false, session: nil) { logger.info("gave up the alert leadership (shutting down)") }
    }

    /// One session: connect, then try for the lock (or check it is still held) every `checkInterval` until the
    /// connection fails or the task is cancelled. Closing the connection frees the lock.
    private func campaign() async throws {
        let connection = try await PostgresConnection.connect(configuration: try connectionConfiguration(), id: 1, logger: logger)
        do {
            let pid = try await connection.query("SELECT pg_backend_pid()", logger: logger).collect().first?.decode(Int32.self)
            let idle = Int(idleSessionTimeout.components.seconds) * 1000
            _ = try await connection.query("SELECT set_config('idle_session_timeout', \(String(idle)), false)", logger: logger).collect()
            while !Task.isCancelled {
                // The leader checks its session answers; a follower tries for the lock.
                let leading = leadership.isLeader
                let checked = await withDeadline(checkTimeout) { () async -> Result<Bool, any Error> in
                    do {
                        let query: PostgresQuery = leading ? "SELECT true" : "SELECT pg_try_advisory_lock(\(PostgresSchema.leaderLock))"
                        return .success(try await connection.query(query, logger: logger).collect().first?.decode(Bool.self) ?? false)
                    } catch {
                        return .failure(error)
                    }
                }
                guard let checked else { throw PostgresStoreError(.unavailable, "the leader's check took longer than \(checkTimeout)") }
                let holds = try checked.get()
                if lead(holds, session: pid), holds {
                    logger.info("this replica is now the alert leader")
                }
                try await Task.sleep(for: checkInterval)
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var result: PostgresConnection.Configuration
        if let directory = configuration.unixSocketDirectory {
            result = .init(unixSocketPath: "\(directory)/.s.PGSQL.\(configuration.port)", username: configuration.user,
                           password: configuration.password, database: configuration.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch configuration.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: PostgresStore.tlsConfiguration(configuration)))
            case .require: tls = .require(try NIOSSLContext(configuration: PostgresStore.tlsConfiguration(configuration)))
            }
            result = .init(host: configuration.host, port: configuration.port, username: configuration.user,
                           password: configuration.password, database: configuration.database, tls: tls)
        }
        result.options.connectTimeout = .seconds(Int64(configuration.connectTimeoutSeconds))
        return result
    }
}
