import CollectorStore
import Crypto
import Foundation

/// Issues, verifies and revokes bearer tokens. A token is `sst_<id>_<secret>`: the id (12 hex digits)
/// finds the record, the secret is 32 random bytes in base64url. Only the SHA-256 of the whole token is
/// stored; the token is shown once, at issue.
public struct TokenAuthority: Sendable {
    public let store: any ReadinessStore

    public init(store: any ReadinessStore) {
        self.store = store
    }

    /// A token just issued: `token` is the only copy there will ever be.
    public struct Issued: Sendable, Hashable {
        public var record: TokenRecord
        public var token: String
    }

    public func issue(site: String, now: Date = Date()) async throws -> Issued {
        try await issue(kind: .site, site: site, name: site, role: nil, now: now)
    }

    public func issue(nocUser name: String, role: TokenRecord.Role, now: Date = Date()) async throws -> Issued {
        if let problem = Self.nocUserProblem(name) { throw CollectorError(.badParameter, problem) }
        return try await issue(kind: .noc, site: nil, name: name, role: role, now: now)
    }

    /// Why `name` cannot name a NOC user (empty, blank, control characters, over 64 bytes), or nil.
    public static func nocUserProblem(_ name: String) -> String? {
        if name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "a NOC user needs a name, not an empty one" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "a NOC user's name cannot hold control characters"
        }
        if name.utf8.count > 64 { return "a NOC user's name is at most 64 bytes" }
        return nil
    }

    private func issue(kind: TokenRecord.Kind, site: String?, name: String, role: TokenRecord.Role?, now: Date) async throws -> Issued {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<6).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        let secret = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        let token = "sst_\(id)_\(Self.base64URL(secret))"
        let record = TokenRecord(id: id, kind: kind, site: site, name: name, role: role, sha256: Self.sha256(token),
                                 createdAt: now)
        try await store.insertToken(record)
        return Issued(record: record, token: token)
    }

    /// The principal of a valid token. Throws `unauthenticated` for a missing, malformed or unknown token
    /// and `token_revoked` for a revoked one.
    public func verify(_ token: String?) async throws(CollectorError) -> (Principal, TokenRecord) {
        guard let token, !token.isEmpty else { throw CollectorError(.unauthenticated, "a bearer token is required") }
        let parts = token.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "sst", parts[1].count == 12, !parts[2].isEmpty else {
            throw CollectorError(.unauthenticated, "malformed token")
        }
        let record: TokenRecord?
        do {
            record = try await store.token(id: String(parts[1]))
        } catch {
            throw CollectorError(.unavailable, "the token store does not answer; retry later", cause: error)
        }
        guard let record, Self.constantTimeEqual(Self.sha256(token), record.sha256) else {
            throw CollectorError(.unauthenticated, "unknown token")
        }
        guard record.revokedAt == nil else { throw CollectorError(.tokenRevoked, "token \(record.id) was revoked") }
        switch record.kind {
        case .site: return (.site(record.site ?? record.name), record)
        case .noc: return (.noc(name: record.name, role: record.role ?? .read), record)
        }
    }

    /// False when there is no token with this id.
    public func revoke(id: String, now: Date = Date()) async throws -> Bool {
        try await store.revokeToken(id: id, at: now)
    }

    public func list() async throws -> [TokenRecord] {
        try await store.tokens()
    }

    public static func sha256(_ token: String) -> String {
        lowercaseHex(SHA256.hash(data: Data(token.utf8)))
    }

    /// Compares every byte whatever the first difference, so timing does not reveal a prefix.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
