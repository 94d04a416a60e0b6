import CollectorCore
import CollectorStore
import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// Dashboard users: added, listed, disabled and given new passwords (the `sansang-collector user` commands), with
/// passwords kept as bcrypt hashes (hummingbird-auth's HummingbirdBcrypt). Hashing runs on NIO's blocking pool,
/// never on the cooperative pool.
public struct Accounts: Sendable {
    public let store: any DashboardStore
    /// bcrypt's cost (2^cost rounds); 12 takes a few hundred milliseconds on a NOC server.
    public let cost: UInt8

    public init(store: any DashboardStore, cost: UInt8 = 12) {
        self.store = store
        self.cost = cost
    }

    /// Passwords shorter than this are refused.
    public static let minimumPasswordLength = 10

    public func add(name: String, role: TokenRecord.Role, password: String, now: Date = Date()) async throws -> DashboardUser {
        try Self.validate(name: name)
        try Self.validate(password: password)
        let user = DashboardUser(name: name, role: role, passwordHash: try await hash(password), createdAt: now)
        guard try await store.insertUser(user) else { throw CollectorError(.badParameter, "user \(name) exists already") }
        return user
    }

    public func list() async throws -> [DashboardUser] { try await store.users() }

    /// Disables a user and ends their sessions.
    public func disable(name: String, now: Date = Date()) async throws {
        var user = try await existing(name)
        user.disabledAt = user.disabledAt ?? now
        _ = try await store.updateUser(user)
        try await store.deleteSessions(user: name)
    }

    /// Sets a new password (and enables a disabled user again); every session of the user ends.
    public func setPassword(name: String, password: String) async throws {
        try Self.validate(password: password)
        var user = try await existing(name)
        user.passwordHash = try await hash(password)
        user.disabledAt = nil
        _ = try await store.updateUser(user)
        try await store.deleteSessions(user: name)
    }

    /// The user when the password is theirs and they are not disabled. Always runs one bcrypt verification, so a
    /// wrong name takes as long as a wrong password.
    public func verify(name: String, password: String) async throws -> DashboardUser? {
        let user = try await store.user(name: name)
        let hash = user?.passwordHash
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash ?? Self.decoyHash) }
        guard matches, let user, user.disabledAt == nil else { return nil }
        return user
    }

    private func existing(_ name: String) async throws -> DashboardUser {
        guard let user = try await store.user(name: name) else { throw CollectorError(.notFound, "no user \(name)") }
        return user
    }

    private func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// A hash of a random password nobody knows (cost 12), verified against when the name is unknown; made
    /// once, on the blocking pool.
    static let decoyHash = Bcrypt.hash(SessionAuthority.randomToken(), cost: 12)

    static func validate(name: String) throws(CollectorError) {
        guard !name.isEmpty, name.count <= 64, !name.contains(where: { $0.isWhitespace || $0.isNewline || $0 == ":" }) else {
            throw CollectorError(.badParameter, "a user name has 1 to 64 characters, without spaces or colons: \(name)")
        }
    }

    static func validate(password: String) throws(CollectorError) {
        guard password.count >= minimumPasswordLength else {
            throw CollectorError(.badParameter, "the password must have at least \(minimumPasswordLength) characters")
        }
        guard password.utf8.count <= 72 else {
            throw CollectorError(.badParameter, "the password must have at most 72 bytes (bcrypt ignores the rest)")
        }
    }
}

/// Failed logins counted per user name and per client address over a sliding window; past the limit, logins
/// for that name or from that address are refused, even with the right password, until the window passes.
public final class LoginLimiter: Sendable {
    public struct Limits: Sendable, Hashable {
        public var perUser: Int
        public var perAddress: Int
        public var window: TimeInterval

        public init(perUser: Int = 5, perAddress: Int = 20, window: TimeInterval = 15 * 60) {
            self.perUser = perUser
            self.perAddress = perAddress
            self.window = window
        }
    }

    public let limits: Limits
    private let failures = Mutex<[String: [Date]]>([:])

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether a login for `user` from `address` may be tried now.
    public func allows(user: String, address: String, now: Date) -> Bool {
        failures.withLock { table in
            recent(&table, "u:" + user, now) < limits.perUser && recent(&table, "a:" + address, now) < limits.perAddress
        }
    }

    public func recordFailure(user: String, address: String, now: Date) {
        let window = limits.window
        failures.withLock { table in
            table["u:" + user, default: []].append(now)
            table["a:" + address, default: []].append(now)
            // Many names tried once each must not grow the table for ever: past 10,000 keys, forget what has expired.
            if table.count > 10_000 {
                table = table.filter { _, times in times.contains { now.timeIntervalSince($0) < window } }
            }
        }
    }

    /// A successful login clears the name's failures (not the address's).
    public func recordSuccess(user: String) {
        _ = failures.withLock { $0.removeValue(forKey: "u:" + user) }
    }

    private func recent(_ table: inout [String: [Date]], _ key: String, _ now: Date) -> Int {
        guard let times = table[key] else { return 0 }
        let kept = times.filter { now.timeIntervalSince($0) < limits.window }
        table[key] = kept.isEmpty ? nil : kept
        return kept.count
    }
}

/// Who is looking at a page: the user, their role and their session's CSRF token.
public struct Viewer: Sendable, Hashable {
    public var name: String
    public var role: TokenRecord.Role
    public var csrfToken: String
    public var isAdmin: Bool { role == .admin }
}

/// Logins, sessions and logouts. The cookie carries a random session id; the store keeps its SHA-256, the user, the
/// CSRF token and when it was last used. A session unused for `idleTimeout` ends.
public struct SessionAuthority: Sendable {
    public let accounts: Accounts
    public let limiter: LoginLimiter
    public let idleTimeout: TimeInterval

    public init(accounts: Accounts, limiter: LoginLimiter = LoginLimiter(), idleTimeout: TimeInterval = 30 * 60) {
        self.accounts = accounts
        self.limiter = limiter
        self.idleTimeout = idleTimeout
    }

    public enum LoginOutcome: Sendable, Hashable {
        /// The new session's id, for the cookie.
        case success(sessionID: String, viewer: Viewer)
        case wrongCredentials
        case limited
    }

    public func login(name: String, password: String, address: String, now: Date = Date()) async throws -> LoginOutcome {
        guard limiter.allows(user: name, address: address, now: now) else { return .limited }
        guard let user = try await accounts.verify(name: name, password: password) else {
            limiter.recordFailure(user: name, address: address, now: now)
            return .wrongCredentials
        }
        limiter.recordSuccess(user: name)
        // Sessions nobody used within the idle timeout are gone for good: cleared at each login.
        _ = try await accounts.store.deleteSessions(lastSeenBefore: now.addingTimeInterval(-idleTimeout))
        let id = Self.randomToken()
        let csrf = Self.randomToken()
        try await accounts.store.insertSession(DashboardSession(idHash: Self.sha256(id), user: user.name, csrfToken: csrf,
                                                                createdAt: now, lastSeenAt: now))
        return .success(sessionID: id, viewer: Viewer(name: user.name, role: user.role, csrfToken: csrf))
    }

    /// The viewer of a live session, nil when the id is unknown, idle too long or its user is disabled. Using a
    /// session keeps it alive (the time is written at most once a minute).
    public func viewer(sessionID: String?, now: Date = Date()) async throws -> Viewer? {
        guard let sessionID, !sessionID.isEmpty else { return nil }
        let store = accounts.store
        let idHash = Self.sha256(sessionID)
        guard let session = try await store.session(idHash: idHash) else { return nil }
        guard now.timeIntervalSince(session.lastSeenAt) < idleTimeout else {
            try await store.deleteSession(idHash: idHash)
            return nil
        }
        guard let user = try await store.user(name: session.user), user.disabledAt == nil else { return nil }
        if now.timeIntervalSince(session.lastSeenAt) >= 60 { try await store.touchSession(idHash: idHash, at: now) }
        return Viewer(name: user.name, role: user.role, csrfToken: session.csrfToken)
    }

    public func logout(sessionID: String?) async throws {
        guard let sessionID, !sessionID.isEmpty else { return }
        try await accounts.store.deleteSession(idHash: Self.sha256(sessionID))
    }

    /// 32 random bytes, base64url.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return TokenAuthority.base64URL(Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }

    static func sha256(_ text: String) -> String { TokenAuthority.sha256(text) }

    /// Compares every byte whatever the first difference; an empty secret never matches.
    static func sameSecret(_ a: String, _ b: String) -> Bool {
        !a.isEmpty && TokenAuthority.constantTimeEqual(a, b)
    }
}
