import Foundation
import SansangAPI

/// Where the dashboard keeps its users and their sessions (docs/dashboard.md). Passwords are stored only as
/// bcrypt hashes, sessions only as the SHA-256 of their id.
public protocol DashboardStore: Sendable {
    /// Adds a user; false when the name is taken.
    func insertUser(_ user: DashboardUser) async throws -> Bool
    func user(name: String) async throws -> DashboardUser?
    /// Every user, by name.
    func users() async throws -> [DashboardUser]
    /// Replaces the role, hash and disabled time of an existing user; false when there is no such user.
    func updateUser(_ user: DashboardUser) async throws -> Bool

    func insertSession(_ session: DashboardSession) async throws
    /// The session whose id hashes to `idHash`.
    func session(idHash: String) async throws -> DashboardSession?
    func touchSession(idHash: String, at: Date) async throws
    func deleteSession(idHash: String) async throws
    /// Ends every session of a user (disabled or new password).
    func deleteSessions(user: String) async throws
    /// Removes sessions last used before `before` (idle too long); returns how many.
    func deleteSessions(lastSeenBefore before: Date) async throws -> Int
    /// The newest verdict transitions of all sites, newest first, with their ids (the live updates' event ids).
    func recentTransitions(limit: Int) async throws -> [SiteTransitionRecord]
    /// The id of the newest verdict transition, 0 when there is none: changes exactly when a verdict does.
    func latestTransitionID() async throws -> Int64
    /// The verdict transitions of every site with `from < at <= to`, by site, oldest first, with their states only
    /// (reasons empty, nothing decoded): a read bounded by the window (index on `at`), for trends.
    func stateChanges(from: Date, to: Date) async throws -> [String: [VerdictTransition]]
}

/// A NOC person who logs in to the dashboard.
public struct DashboardUser: Sendable, Hashable {
    public var name: String
    public var role: TokenRecord.Role
    /// bcrypt ("$2b$12$…").
    public var passwordHash: String
    public var createdAt: Date
    public var disabledAt: Date?

    public init(name: String, role: TokenRecord.Role, passwordHash: String, createdAt: Date, disabledAt: Date? = nil) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.disabledAt = disabledAt
    }
}

/// A logged-in browser. The cookie carries the id; the store keeps its SHA-256.
public struct DashboardSession: Sendable, Hashable {
    public var idHash: String
    public var user: String
    /// Sent back by every form that changes something.
    public var csrfToken: String
    public var createdAt: Date
    public var lastSeenAt: Date

    public init(idHash: String, user: String, csrfToken: String, createdAt: Date, lastSeenAt: Date) {
        self.idHash = idHash
        self.user = user
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// A recorded verdict transition of one site, with its row id.
public struct SiteTransitionRecord: Sendable, Hashable {
    public var id: Int64
    public var site: String
    public var transition: VerdictTransition

    public init(id: Int64, site: String, transition: VerdictTransition) {
        self.id = id
        self.site = site
        self.transition = transition
    }
}
