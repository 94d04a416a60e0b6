import Foundation
import ReadinessMIB
import SNMPTypes
import YAMLConfig

/// `snmp:` of collector.yaml — the notification receiver (docs/snmp-notifications.md) and forwarding to the NOC's
/// managers; decoded here, next to the notification machinery, and composed by `CollectorConfiguration`.
public struct SNMPReceiverSettings: Sendable {
    /// A v3 user notifications are accepted from, and the sites it may speak for (empty: any site).
    public struct User: Sendable {
        public var security: SNMPv3Security
        public var sites: Set<String> = []
        /// Engine IDs of senders whose v3 TRAPs (not INFORMs) are accepted: a trap's sender is authoritative.
        public var trapEngineIDs: [[UInt8]] = []

        public init(security: SNMPv3Security, sites: Set<String> = [], trapEngineIDs: [[UInt8]] = []) {
            self.security = security
            self.sites = sites
            self.trapEngineIDs = trapEngineIDs
        }
    }

    public struct Community: Sendable {
        public var community: String
        public var sites: Set<String> = []

        public init(community: String, sites: Set<String> = []) {
            self.community = community
            self.sites = sites
        }
    }

    /// A net-snmp transport address; 162 needs CAP_NET_BIND_SERVICE (the unit grants it).
    public var listen = "udp:0.0.0.0:162"
    /// This receiver's engine ID (what INFORM senders discover); nil lets the library derive one.
    public var engineID: [UInt8]?
    public var users: [User] = []
    /// SNMPv2c communities accepted; none by default (v2c refused).
    public var communities: [Community] = []
    public var oidRoot = ReadinessMIB.defaultRoot
    /// How long a notified verdict stands in for missing HTTP reports.
    public var notificationMaxAgeSeconds = 900
    /// Managers told of every site verdict change.
    public var forward: [NotificationTarget] = []
    /// Retries, expiry and the bound of each forward target's queue; `directory` is set from
    /// `forwardQueueDirectory` when the configuration file is loaded (`resolveForwardQueue`).
    public var forwardDelivery = DeliveryPolicy()
    /// `forward_queue_directory` as written; nil: `snmp-forward` beside the SQLite database, or
    /// /var/lib/sansang/snmp-forward with PostgreSQL.
    public var forwardQueueDirectory: String?

    public init() {}

    /// The receiver runs when someone may send to it.
    public var receives: Bool { !users.isEmpty || !communities.isEmpty }

    /// Where the forward queues live: `forwardQueueDirectory` made absolute by `resolve`, or its default beside
    /// the SQLite database (`sqlitePath`; nil with PostgreSQL).
    public mutating func resolveForwardQueue(sqlitePath: String?, resolve: (String) -> String) {
        let path = forwardQueueDirectory.map(resolve)
            ?? sqlitePath.map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("snmp-forward").path }
            ?? "/var/lib/sansang/snmp-forward"
        forwardDelivery.directory = URL(fileURLWithPath: path)
    }
}

extension NodeReader {
    /// The `snmp:` mapping of collector.yaml; every problem reported with its file:line and field; nil when any.
    public mutating func snmpReceiverSettings(_ field: Field) -> SNMPReceiverSettings? {
        let keys = ["listen", "engine_id", "users", "communities", "oid_root", "notification_max_age_s", "forward",
                    "forward_queue_directory", "forward_queue_limit", "forward_expire_s"]
        guard let entries = mapping(field, allowed: keys) else { return nil }
        var settings = SNMPReceiverSettings()
        let before = errors.count
        if let listen = entries["listen"].flatMap({ nonEmptyString($0) }) { settings.listen = listen }
        if let field = entries["engine_id"] { settings.engineID = engineID(field) }
        if let root = entries["oid_root"].flatMap({ oid($0) }) { settings.oidRoot = root }
        if let seconds = entries["notification_max_age_s"].flatMap({ int($0, in: 1...(7 * 86400)) }) {
            settings.notificationMaxAgeSeconds = seconds
        }
        if let field = entries["users"], let items = list(field) {
            settings.users = items.compactMap { item in
                let userKeys = SNMPConfigKeys.credentials.filter { $0 != "version" && $0 != "community" } + ["sites", "trap_engine_ids"]
                guard let keys = mapping(item, allowed: userKeys, required: ["user"]),
                      let security = usmSecurity(keys, in: item) else { return nil }
                var user = SNMPReceiverSettings.User(security: security)
                user.sites = Set(keys["sites"].flatMap { list($0) }?.compactMap { nonEmptyString($0) } ?? [])
                user.trapEngineIDs = keys["trap_engine_ids"].flatMap { list($0) }?.compactMap { engineID($0) } ?? []
                return user
            }
        }
        if let field = entries["communities"], let items = list(field) {
            settings.communities = items.compactMap { item in
                guard let keys = mapping(item, allowed: ["community", "sites"], required: ["community"]),
                      let community = keys["community"].flatMap({ nonEmptyString($0) }) else { return nil }
                let sites = Set(keys["sites"].flatMap { list($0) }?.compactMap { nonEmptyString($0) } ?? [])
                return SNMPReceiverSettings.Community(community: community, sites: sites)
            }
        }
        if let field = entries["forward"], let targets = notificationTargets(field) { settings.forward = targets }
        if let path = entries["forward_queue_directory"].flatMap({ nonEmptyString($0) }) { settings.forwardQueueDirectory = path }
        if let limit = entries["forward_queue_limit"].flatMap({ int($0, in: 1...100_000) }) { settings.forwardDelivery.queueLimit = limit }
        if let seconds = entries["forward_expire_s"].flatMap({ double($0, in: 1...(7 * 86400)) }) {
            settings.forwardDelivery.expireAfter = .seconds(seconds)
        }
        return errors.count == before ? settings : nil
    }
}
