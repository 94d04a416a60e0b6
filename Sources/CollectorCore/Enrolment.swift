import CollectorStore
import Crypto
import Foundation
import Logging
import SansangAPI
import Synchronization

/// One-time enrolment codes: `sansang-collector enroll issue SITE` makes one, an agent exchanges it once,
/// before it expires, for a new site token (`POST /api/v1/enroll`). Only the code's SHA-256 is stored.
public final class Enrolment: Sendable {
    /// Letters and digits a person reads over the phone without confusing them: no 0/O, 1/I/L.
    public static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    /// Twelve symbols of 31 (59 bits), shown as three groups of four.
    public static let length = 12
    public static let defaultTTL: TimeInterval = 24 * 3600
    public static let maximumTTL: TimeInterval = 7 * 24 * 3600

    public let store: any ReadinessStore
    public let tokens: TokenAuthority
    /// The CA (PEM) that an enrolled agent pins, when the collector's certificate comes from a private CA.
    public let caPEM: @Sendable () -> String?
    private let limiter: Mutex<RateLimiter>
    private let logger: Logger

    public init(store: any ReadinessStore, limits: RateLimiter = RateLimiter(), caPEM: @escaping @Sendable () -> String? = { nil },
                logger: Logger = Logger(label: "sansang.enrolment")) {
        self.store = store
        self.tokens = TokenAuthority(store: store)
        self.caPEM = caPEM
        self.limiter = Mutex(limits)
        self.logger = logger
    }

    /// A new code for `site`, valid for `ttl` seconds: the text to read out (e.g. `7KQ4-M2XD-9PHA`); stored hashed.
    public func issue(site: String, ttl: TimeInterval = Enrolment.defaultTTL, now: Date = Date()) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let symbols = (0..<Self.length).map { _ in Self.alphabet.randomElement(using: &generator) ?? "2" }
        let code = Self.format(String(symbols))
        try await store.insertEnrolmentCode(EnrolmentCodeRecord(sha256: Self.sha256(code), site: site, createdAt: now,
                                                                expiresAt: now.addingTimeInterval(ttl)))
        return code
    }

    /// Exchanges a code for a new token of `request.site`. `client` (the peer's address) is what the rate limit counts.
    public func redeem(_ request: EnrolmentRequest, client: String, now: Date = Date()) async throws(CollectorError)
        -> EnrolmentResponse {
        guard limiter.withLock({ $0.allow(client, now: now) }) else {
            logger.warning("enrolment rate limited", metadata: ["client": "\(client)"])
            throw CollectorError(.rateLimited, "too many enrolment attempts; wait a minute and try again")
        }
        guard let code = Self.normalized(request.code) else {
            throw CollectorError(.enrolmentCodeUnknown, "no such enrolment code")
        }
        let outcome: EnrolmentCodeOutcome
        do {
            outcome = try await store.consumeEnrolmentCode(sha256: Self.sha256(code), site: request.site, now: now)
        } catch {
            throw CollectorError(.unavailable, "the database does not answer", cause: error)
        }
        switch outcome {
        case .unknown: throw CollectorError(.enrolmentCodeUnknown, "no such enrolment code")
        case .used: throw CollectorError(.enrolmentCodeUsed, "this enrolment code was already used")
        case .expired: throw CollectorError(.enrolmentCodeExpired, "this enrolment code has expired")
        case .otherSite:
            logger.warning("enrolment code used for another site", metadata: ["site": "\(request.site)", "client": "\(client)"])
            throw CollectorError(.siteMismatch, "this enrolment code is not for site \(request.site)")
        case .consumed: break
        }
        let issued: TokenAuthority.Issued
        do {
            issued = try await tokens.issue(site: request.site, now: now)
        } catch {
            throw CollectorError(.unavailable, "the token cannot be stored", cause: error)
        }
        logger.info("site enrolled", metadata: ["site": "\(request.site)", "token": "\(issued.record.id)", "client": "\(client)"])
        return EnrolmentResponse(site: request.site, token: issued.token, caPEM: caPEM())
    }

    /// `7KQ4M2XD9PHA` → `7KQ4-M2XD-9PHA`.
    public static func format(_ symbols: String) -> String {
        let characters = Array(symbols)
        return stride(from: 0, to: characters.count, by: 4).map { String(characters[$0..<min($0 + 4, characters.count)]) }
            .joined(separator: "-")
    }

    /// The canonical form of a code as typed (any case, spaces or dashes anywhere), or nil when it cannot be one.
    public static func normalized(_ typed: String) -> String? {
        let symbols = typed.uppercased().filter { $0 != "-" && !$0.isWhitespace }
        guard symbols.count == length, symbols.allSatisfy(alphabet.contains) else { return nil }
        return format(symbols)
    }

    static func sha256(_ code: String) -> String {
        SHA256.hash(data: Data(code.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Token buckets per client and one for everybody: `perClient` attempts at once, refilled one every
/// `perClientRefill` seconds; the same for the global bucket (pure: the caller gives the time).
public struct RateLimiter: Sendable {
    public var perClient: Double
    public var perClientRefill: TimeInterval
    public var global: Double
    public var globalRefill: TimeInterval
    private var buckets: [String: (tokens: Double, at: Date)] = [:]
    private var shared: (tokens: Double, at: Date)?

    /// Five attempts per client, then one every 12 s (5 a minute); 60 in all, then one a second.
    public init(perClient: Double = 5, perClientRefill: TimeInterval = 12, global: Double = 60, globalRefill: TimeInterval = 1) {
        self.perClient = perClient
        self.perClientRefill = perClientRefill
        self.global = global
        self.globalRefill = globalRefill
    }

    public mutating func allow(_ client: String, now: Date) -> Bool {
        func refill(_ bucket: (tokens: Double, at: Date)?, capacity: Double, every: TimeInterval) -> Double {
            guard let bucket else { return capacity }
            return min(capacity, bucket.tokens + max(0, now.timeIntervalSince(bucket.at)) / every)
        }
        let mine = refill(buckets[client], capacity: perClient, every: perClientRefill)
        let all = refill(shared, capacity: global, every: globalRefill)
        guard mine >= 1, all >= 1 else {
            buckets[client] = (mine, now)
            shared = (all, now)
            return false
        }
        buckets[client] = (mine - 1, now)
        shared = (all - 1, now)
        if buckets.count > 10_000 { buckets = buckets.filter { $0.value.tokens < perClient - 1 } }
        return true
    }
}
