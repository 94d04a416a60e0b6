import Foundation

/// What a `NotificationReceiver` listens on and accepts.
public struct NotificationReceiverConfiguration: Sendable {
    /// A net-snmp transport address to listen on: `udp:0.0.0.0:162`, `udp6:[::]:162`.
    public var listen: String
    /// SNMPv3 USM users accepted.
    public var users: [NotificationUser]
    /// SNMPv2c communities accepted; empty means v2c is refused.
    public var communities: [String]
    /// SNMPv3 notifications below this level are refused.
    public var minimumLevel: SNMPv3Security.Level
    /// The authoritative engine ID of the INFORMs accepted. nil keeps the library's; a value sets the process's
    /// local SNMPv3 engine ID (there is one per process: traps this process sends carry it too). 5–32 bytes.
    public var engineID: [UInt8]?
    /// Notifications queued for the consumer; beyond this they are dropped and counted as `overflow`.
    public var bufferLimit: Int

    public init(
        listen: String = "udp:0.0.0.0:162",
        users: [NotificationUser] = [],
        communities: [String] = [],
        minimumLevel: SNMPv3Security.Level = .authPriv,
        engineID: [UInt8]? = nil,
        bufferLimit: Int = 10_000
    ) {
        self.listen = listen
        self.users = users
        self.communities = communities
        self.minimumLevel = minimumLevel
        self.engineID = engineID
        self.bufferLimit = bufferLimit
    }
}

/// An SNMPv3 user whose notifications are accepted.
public struct NotificationUser: Sendable {
    /// Name, level, protocols and passphrases (`engineID` and `contextName` are not used).
    public var security: SNMPv3Security
    /// The engine IDs of the senders whose SNMPv3 TRAPs are accepted from this user (a trap's sender is its
    /// authoritative engine). INFORMs are accepted under the receiver's own engine ID.
    public var trapEngineIDs: [[UInt8]]

    public init(_ security: SNMPv3Security, trapEngineIDs: [[UInt8]] = []) {
        self.security = security
        self.trapEngineIDs = trapEngineIDs
    }
}

/// One accepted notification.
public struct ReceivedNotification: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case inform, trap }
    public enum Sender: Sendable, Hashable {
        case v2c(community: String)
        case v3(user: String, level: SNMPv3Security.Level)
    }

    public var kind: Kind
    public var sender: Sender
    /// The sender's address and port, e.g. `127.0.0.1:41234` or `[::1]:41234`.
    public var source: String
    /// sysUpTime.0, when the notification carries it.
    public var uptime: UInt32?
    /// snmpTrapOID.0, when the notification carries it.
    public var trapOID: OID?
    /// The payload: every binding except sysUpTime.0 and snmpTrapOID.0.
    public var varBinds: [VarBind]
    public var receivedAt: Date
}

/// Why a datagram was dropped, for the receiver's counters.
public enum NotificationRejection: String, Sendable, CaseIterable {
    case malformed
    case unknownUser = "unknown_user"
    case wrongDigest = "wrong_digest"
    case decryptionError = "decryption_error"
    /// Also the first, engine-ID discovery message of every SNMPv3 INFORM sender (RFC 3414 §4): expected.
    case unknownEngineID = "unknown_engine_id"
    case notInTimeWindow = "not_in_time_window"
    case unknownCommunity = "unknown_community"
    /// SNMPv1, or v2c when no community is configured.
    case versionRefused = "version_refused"
    case securityLevelTooLow = "security_level_too_low"
    /// A GET, SET, … sent to the receiver.
    case notANotification = "not_a_notification"
    /// Accepted, but the consumer's buffer was full.
    case overflow
}
