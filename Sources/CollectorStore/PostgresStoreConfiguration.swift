import Foundation
import ReadinessModel

/// Where the PostgreSQL store connects (`database.postgresql_url` and friends in collector.yaml; docs/scale-out.md).
public struct PostgresStoreConfiguration: Sendable, Hashable {
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP (a database on the same host or a trusted network).
        case disable
        /// TLS when the server offers it, plain otherwise.
        case prefer
        /// TLS or no connection; the server's certificate is verified against `caFile` (or the system's CAs).
        case require
    }

    public var host: String
    public var port: Int
    /// A directory holding the server's Unix socket (`postgresql://user@/db?host=/run/postgresql`); overrides host.
    public var unixSocketDirectory: String?
    public var user: String
    public var database: String
    public var password: String?
    public var tls: TLSMode
    public var caFile: String?
    /// Connections of this replica's pool.
    public var maximumConnections: Int
    public var connectTimeoutSeconds: Int
    /// The offices' wall clock (the collector's `office_time_zone:`): the day a service check counts for.
    public var officeTimeZone: TimeZone = OfficeTime.zone

    public init(host: String = "127.0.0.1", port: Int = 5432, unixSocketDirectory: String? = nil, user: String = "sansang",
                database: String = "sansang", password: String? = nil, tls: TLSMode = .disable, caFile: String? = nil,
                maximumConnections: Int = 20, connectTimeoutSeconds: Int = 10) {
        self.host = host
        self.port = port
        self.unixSocketDirectory = unixSocketDirectory
        self.user = user
        self.database = database
        self.password = password
        self.tls = tls
        self.caFile = caFile
        self.maximumConnections = maximumConnections
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    /// Parses `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir]` (also `postgres://`). The
    /// password belongs in a password file, but one in the URL is accepted. Throws a message naming what is wrong.
    public init(url text: String) throws(PostgresURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "postgresql" || scheme == "postgres" else {
            throw PostgresURLError("\"\(text)\" is not a postgresql://user@host:port/database URL")
        }
        self.init()
        guard let user = components.user, !user.isEmpty else {
            throw PostgresURLError("\"\(text)\" names no user (postgresql://USER@host/database)")
        }
        self.user = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        if let host = components.host, !host.isEmpty { self.host = host }
        if let port = components.port {
            guard (1...65535).contains(port) else { throw PostgresURLError("port \(port) is out of range 1…65535") }
            self.port = port
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else {
            throw PostgresURLError("\"\(text)\" names no database (postgresql://user@host/DATABASE)")
        }
        database = path.removingPercentEncoding ?? path
        for item in components.queryItems ?? [] {
            switch item.name {
            case "host" where (item.value ?? "").hasPrefix("/"): unixSocketDirectory = item.value
            case "sslmode":
                switch item.value {
                case "disable": tls = .disable
                case "prefer", "allow": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw PostgresURLError("sslmode \"\(item.value ?? "")\" is not disable, prefer or require")
                }
            default: throw PostgresURLError("unknown URL parameter \"\(item.name)\" (known: host=/socket/directory, sslmode)")
            }
        }
    }

    /// The URL without the password, for logs and errors.
    public var redactedDescription: String {
        if let unixSocketDirectory { return "postgresql://\(user)@/\(database)?host=\(unixSocketDirectory)" }
        return "postgresql://\(user)@\(host):\(port)/\(database)"
    }
}

public struct PostgresURLError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
