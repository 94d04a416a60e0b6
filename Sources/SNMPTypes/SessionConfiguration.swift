/// Where and how to talk to one SNMP agent. Every field has a default.
public struct SNMPSessionConfiguration: Sendable {
    /// A net-snmp transport address: `udp:192.0.2.1:161`, `udp6:[2001:db8::1]:161`, `tcp:host:161`, or a host name.
    public var peer: String
    /// How long to wait for each attempt.
    public var timeout: Duration
    /// Attempts after the first; a request gives up after timeout × (retries + 1).
    public var retries: Int
    public var version: SNMPVersion

    public init(
        peer: String = "udp:127.0.0.1:161",
        timeout: Duration = .seconds(1),
        retries: Int = 1,
        version: SNMPVersion = .v2c(community: "public")
    ) {
        self.peer = peer
        self.timeout = timeout
        self.retries = retries
        self.version = version
    }
}

/// SNMPv1 is not offered: everything this project talks to speaks v2c or v3.
public enum SNMPVersion: Sendable, CustomStringConvertible {
    case v2c(community: String)
    case v3(SNMPv3Security)

    /// Communities and passphrases are never printed.
    public var description: String {
        switch self {
        case .v2c: "v2c"
        case .v3(let security): "v3 \(security)"
        }
    }
}

/// SNMPv3 user-based security (USM, RFC 3414 with RFC 7860's SHA-2 and draft-blumenthal AES-192/256).
public struct SNMPv3Security: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Level: Sendable, CaseIterable {
        case noAuthNoPriv, authNoPriv, authPriv
    }

    public enum AuthProtocol: Sendable, CaseIterable {
        case md5, sha, sha224, sha256, sha384, sha512
    }

    /// AES-192/256 are the Blumenthal variants (net-snmp's `AES-192`/`AES-256`), not Cisco's (Reeder) ones.
    public enum PrivacyProtocol: Sendable, CaseIterable {
        case des, aes, aes192, aes256
    }

    public var user: String
    public var level: Level
    public var authProtocol: AuthProtocol
    /// At least 8 characters (RFC 3414) when `level` authenticates.
    public var authPassphrase: String
    public var privacyProtocol: PrivacyProtocol
    /// At least 8 characters when `level` is authPriv.
    public var privacyPassphrase: String
    public var contextName: String
    /// The agent's authoritative engine ID. When nil it is discovered when the session opens (one round trip).
    public var engineID: [UInt8]?

    public init(
        user: String = "",
        level: Level = .authPriv,
        authProtocol: AuthProtocol = .sha,
        authPassphrase: String = "",
        privacyProtocol: PrivacyProtocol = .aes,
        privacyPassphrase: String = "",
        contextName: String = "",
        engineID: [UInt8]? = nil
    ) {
        self.user = user
        self.level = level
        self.authProtocol = authProtocol
        self.authPassphrase = authPassphrase
        self.privacyProtocol = privacyProtocol
        self.privacyPassphrase = privacyPassphrase
        self.contextName = contextName
        self.engineID = engineID
    }

    public var description: String {
        switch level {
        case .noAuthNoPriv: "user \(user) noAuthNoPriv"
        case .authNoPriv: "user \(user) authNoPriv \(authProtocol)"
        case .authPriv: "user \(user) authPriv \(authProtocol)/\(privacyProtocol)"
        }
    }

    public var debugDescription: String { description }
}
