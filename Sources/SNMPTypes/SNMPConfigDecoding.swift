import YAMLConfig

/// How SNMP credentials and notification targets are written in agent.yaml and collector.yaml, decoded in one
/// place so that both files take the same keys with the same checks.
public enum SNMPConfigKeys {
    public static let credentials = ["version", "community", "user", "auth_protocol", "auth_passphrase",
                                     "auth_passphrase_file", "privacy_protocol", "privacy_passphrase", "privacy_passphrase_file"]
    public static let target = ["address", "kind", "timeout_ms", "retries"] + credentials
}

public enum SNMPVersionName: String, CaseIterable { case v2c, v3 }
public enum AuthProtocolName: String, CaseIterable { case md5, sha, sha224, sha256, sha384, sha512 }
public enum PrivacyProtocolName: String, CaseIterable { case des, aes, aes192, aes256 }

extension NodeReader {
    /// `version` (default v3), then `community` for v2c or the authPriv USM keys for v3; nil after reporting
    /// what is wrong. `defaultCommunity` is used when v2c has no `community` key; nil makes the key required.
    public mutating func snmpVersion(_ keys: [String: Field], in parent: Field, defaultCommunity: String? = nil) -> SNMPVersion? {
        let version = keys["version"].flatMap { enumeration($0, SNMPVersionName.self) } ?? .v3
        switch version {
        case .v2c:
            for key in ["user", "auth_protocol", "auth_passphrase", "auth_passphrase_file", "privacy_protocol", "privacy_passphrase",
                        "privacy_passphrase_file"] {
                if let field = keys[key] { report(.badValue, "only for version v3", at: field) }
            }
            if let field = keys["community"] { return nonEmptyString(field).map { .v2c(community: $0) } }
            guard let defaultCommunity else {
                report(.missingKey, "missing required key \"community\" (SNMPv2c)", at: parent.node, field: parent.child("community"))
                return nil
            }
            return .v2c(community: defaultCommunity)
        case .v3:
            return usmSecurity(keys, in: parent).map { .v3($0) }
        }
    }

    /// An SNMPv3 authPriv user: `user`, `auth_protocol` (sha), `auth_passphrase`, `privacy_protocol` (aes),
    /// `privacy_passphrase`. authPriv is the only level offered.
    public mutating func usmSecurity(_ keys: [String: Field], in parent: Field) -> SNMPv3Security? {
        if let field = keys["community"] { report(.badValue, "only for version v2c", at: field) }
        var security = SNMPv3Security(level: .authPriv)
        let user = keys["user"].flatMap { nonEmptyString($0) }
        if keys["user"] == nil {
            report(.missingKey, "missing required key \"user\" (SNMPv3)", at: parent.node, field: parent.child("user"))
        }
        security.authProtocol = (keys["auth_protocol"].flatMap { enumeration($0, AuthProtocolName.self) } ?? .sha).protocol
        security.privacyProtocol = (keys["privacy_protocol"].flatMap { enumeration($0, PrivacyProtocolName.self) } ?? .aes).protocol
        let auth = passphrase(keys, "auth_passphrase", in: parent)
        let privacy = passphrase(keys, "privacy_passphrase", in: parent)
        guard let user, let auth, let privacy else { return nil }
        security.user = user
        security.authPassphrase = auth
        security.privacyPassphrase = privacy
        return security
    }

    /// A notification target: `address` (net-snmp transport address), `kind` (inform|trap), `timeout_ms`,
    /// `retries` and the credentials.
    public mutating func notificationTarget(_ field: Field) -> NotificationTarget? {
        guard let keys = mapping(field, allowed: SNMPConfigKeys.target, required: ["address"]) else { return nil }
        var session = SNMPSessionConfiguration(timeout: .seconds(2), retries: 1)
        let address = keys["address"].flatMap { nonEmptyString($0) }
        if let ms = keys["timeout_ms"].flatMap({ int($0, in: 10...60_000) }) { session.timeout = .milliseconds(ms) }
        if let retries = keys["retries"].flatMap({ int($0, in: 0...10) }) { session.retries = retries }
        let kind = keys["kind"].flatMap { enumeration($0, NotificationTarget.Kind.self) } ?? .inform
        guard let version = snmpVersion(keys, in: field), let address else { return nil }
        session.peer = address
        session.version = version
        return NotificationTarget(session: session, kind: kind)
    }

    /// A list of targets; nil when any of them is wrong (each one reported).
    public mutating func notificationTargets(_ field: Field) -> [NotificationTarget]? {
        guard let items = list(field) else { return nil }
        let targets = items.compactMap { notificationTarget($0) }
        return targets.count == items.count ? targets : nil
    }

    /// A hexadecimal engine ID (5…32 octets, RFC 3411), with or without a 0x prefix.
    public mutating func engineID(_ field: Field) -> [UInt8]? {
        guard var text = nonEmptyString(field) else { return nil }
        if text.lowercased().hasPrefix("0x") { text.removeFirst(2) }
        let digits = Array(text)
        var octets: [UInt8] = []
        for start in stride(from: 0, to: digits.count - 1, by: 2) {
            guard let octet = UInt8(String(digits[start...start + 1]), radix: 16) else { break }
            octets.append(octet)
        }
        guard octets.count * 2 == digits.count, (5...32).contains(octets.count) else {
            report(.badValue, "\"\(text)\" is not an engine ID of 5 to 32 octets in hexadecimal", at: field)
            return nil
        }
        return octets
    }

    /// A dotted OID such as 1.3.6.1.4.1.8072.9999.9999.7474.
    public mutating func oid(_ field: Field) -> OID? {
        guard let text = nonEmptyString(field) else { return nil }
        do {
            return try OID(text.hasPrefix(".") ? String(text.dropFirst()) : text)
        } catch {
            report(.badValue, "\"\(text)\" is not a dotted OID: \(error)", at: field)
            return nil
        }
    }

    /// `key` or `key_file` (a private file holding it).
    private mutating func passphrase(_ keys: [String: Field], _ key: String, in parent: Field) -> String? {
        guard let field = keys[key] ?? keys[key + "_file"] else {
            report(.missingKey, "missing required key \"\(key)_file\" or \"\(key)\" (SNMPv3 authPriv)", at: parent.node,
                   field: parent.child(key + "_file"))
            return nil
        }
        guard let text = secret(keys, key) else { return nil }
        guard text.count >= 8 else {
            report(.badValue, "must be at least 8 characters (RFC 3414)", at: field)
            return nil
        }
        return text
    }
}

extension AuthProtocolName {
    var `protocol`: SNMPv3Security.AuthProtocol {
        switch self {
        case .md5: .md5
        case .sha: .sha
        case .sha224: .sha224
        case .sha256: .sha256
        case .sha384: .sha384
        case .sha512: .sha512
        }
    }
}

extension PrivacyProtocolName {
    var `protocol`: SNMPv3Security.PrivacyProtocol {
        switch self {
        case .des: .des
        case .aes: .aes
        case .aes192: .aes192
        case .aes256: .aes256
        }
    }
}
