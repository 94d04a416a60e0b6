import Foundation

/// What an agent sends each interval: report format v1 (docs/report-format.md).
/// Every measurement states its source; a source that could not be read carries an error, never a zero.
public struct Report: Sendable, Hashable, Codable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var site: String
    public var agent: AgentIdentity
    /// Sequence number within one boot of the agent; (site, agent.bootId, seq) identifies a report.
    public var seq: UInt64
    public var generatedAt: Date
    public var intervalSeconds: Int
    public var links: [LinkReport]
    public var services: [ServiceResult]
    public var clock: ClockReading?
    /// Present when the agent's spool had to drop reports: exactly what was lost.
    public var gap: GapRecord?
    /// Present when the agent sends SNMP notifications: how they fared since it started.
    public var snmpNotifications: NotificationCounters?

    public init(
        site: String, agent: AgentIdentity, seq: UInt64, generatedAt: Date, intervalSeconds: Int = 60,
        links: [LinkReport] = [], services: [ServiceResult] = [], clock: ClockReading? = nil, gap: GapRecord? = nil
    ) {
        self.formatVersion = Self.currentFormatVersion
        self.site = site
        self.agent = agent
        self.seq = seq
        self.generatedAt = generatedAt
        self.intervalSeconds = intervalSeconds
        self.links = links
        self.services = services
        self.clock = clock
        self.gap = gap
    }

    enum CodingKeys: String, CodingKey {
        case site, agent, seq, links, services, clock, gap
        case snmpNotifications = "snmp_notifications"
        case formatVersion = "format_version"
        case generatedAt = "generated_at"
        case intervalSeconds = "interval_s"
    }

    public func link(_ role: LinkRole) -> LinkReport? { links.first { $0.role == role } }
    public func service(_ name: String) -> ServiceResult? { services.first { $0.name == name } }
}

public struct AgentIdentity: Sendable, Hashable, Codable {
    public var version: String
    public var hostname: String
    /// A random id drawn at every agent start (not the kernel's boot id: the agent can restart without a reboot).
    public var bootId: String

    public init(version: String, hostname: String, bootId: String) {
        self.version = version
        self.hostname = hostname
        self.bootId = bootId
    }

    enum CodingKeys: String, CodingKey {
        case version, hostname
        case bootId = "boot_id"
    }
}

/// The agent's SNMP notifications since it started, summed over its targets.
public struct NotificationCounters: Sendable, Hashable, Codable {
    public var queued: Int
    /// Acknowledged INFORMs, and traps sent.
    public var acknowledged: Int
    /// Expired, or pushed out of a full queue: never acknowledged.
    public var undelivered: Int
    public var pending: Int

    public init(queued: Int = 0, acknowledged: Int = 0, undelivered: Int = 0, pending: Int = 0) {
        self.queued = queued
        self.acknowledged = acknowledged
        self.undelivered = undelivered
        self.pending = pending
    }
}

/// Everything the agent knows about one link of the office.
public struct LinkReport: Sendable, Hashable, Codable {
    public var role: LinkRole
    public var interface: String?
    /// One reading per independent source of speed evidence.
    public var speed: [SpeedReading]
    public var throughput: ThroughputMeasurement?
    /// Passive traffic seen on the link's interface over the report window (optional; absent in older reports).
    public var traffic: TrafficSummary?

    public init(role: LinkRole, interface: String? = nil, speed: [SpeedReading] = [], throughput: ThroughputMeasurement? = nil,
                traffic: TrafficSummary? = nil) {
        self.role = role
        self.interface = interface
        self.speed = speed
        self.throughput = throughput
        self.traffic = traffic
    }
}

/// Bit and packet rates on an interface over a window, from a passive capture (libpcap), per direction, with
/// what the capture dropped (so that a busy link is not under-reported silently).
public struct TrafficSummary: Sendable, Hashable, Codable {
    public struct Direction: Sendable, Hashable, Codable {
        public var bytes: UInt64
        public var packets: UInt64
        public var meanBitsPerSecond: Double
        public var peakBitsPerSecond: Double
        public var meanPacketsPerSecond: Double
        public var peakPacketsPerSecond: Double

        public init(bytes: UInt64, packets: UInt64, meanBitsPerSecond: Double, peakBitsPerSecond: Double,
                    meanPacketsPerSecond: Double, peakPacketsPerSecond: Double) {
            self.bytes = bytes
            self.packets = packets
            self.meanBitsPerSecond = meanBitsPerSecond
            self.peakBitsPerSecond = peakBitsPerSecond
            self.meanPacketsPerSecond = meanPacketsPerSecond
            self.peakPacketsPerSecond = peakPacketsPerSecond
        }

        enum CodingKeys: String, CodingKey {
            case bytes, packets
            case meanBitsPerSecond = "mean_bps", peakBitsPerSecond = "peak_bps"
            case meanPacketsPerSecond = "mean_pps", peakPacketsPerSecond = "peak_pps"
        }
    }

    public var interface: String
    /// Length of the window; peaks are over 1-second buckets.
    public var windowSeconds: Int
    /// Nil when the capture could not run (see `error`): unknown, never zero.
    public var rx: Direction?
    public var tx: Direction?
    public var error: String?
    public var droppedByKernel: UInt64?
    public var droppedByInterface: UInt64?
    /// Packets the meter itself could not keep up with.
    public var droppedByMeter: UInt64?

    public init(interface: String, windowSeconds: Int, rx: Direction?, tx: Direction?, error: String? = nil,
                droppedByKernel: UInt64? = nil, droppedByInterface: UInt64? = nil, droppedByMeter: UInt64? = nil) {
        self.interface = interface
        self.windowSeconds = windowSeconds
        self.rx = rx
        self.tx = tx
        self.error = error
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
        self.droppedByMeter = droppedByMeter
    }

    enum CodingKeys: String, CodingKey {
        case interface, rx, tx, error
        case windowSeconds = "window_s"
        case droppedByKernel = "dropped_by_kernel"
        case droppedByInterface = "dropped_by_interface"
        case droppedByMeter = "dropped_by_meter"
    }
}

/// An independent source of evidence about a link's speed.
public enum SpeedSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// The agent host's network interface (sysfs/ethtool).
    case nic
    /// The upstream switch port as announced in LLDP frames (802.3 MAC/PHY TLV).
    case lldp
    /// The upstream switch port read over SNMP (IF-MIB ifHighSpeed).
    case snmp
}

/// A speed reading from one source: `speedMbps` when it could be read, `error` when not.
public struct SpeedReading: Sendable, Hashable, Codable {
    public var source: SpeedSource
    public var speedMbps: Int?
    public var error: String?
    /// Facts behind the reading for a human (duplex, carrier, neighbour, port name, …).
    public var facts: [String: String]

    public init(source: SpeedSource, speedMbps: Int?, error: String? = nil, facts: [String: String] = [:]) {
        self.source = source
        self.speedMbps = speedMbps
        self.error = error
        self.facts = facts
    }

    public static func unknown(_ source: SpeedSource, error: String, facts: [String: String] = [:]) -> SpeedReading {
        SpeedReading(source: source, speedMbps: nil, error: error, facts: facts)
    }

    enum CodingKeys: String, CodingKey {
        case source, error, facts
        case speedMbps = "speed_mbps"
    }
}

/// The last throughput test on a link: achieved rate per direction.
public struct ThroughputMeasurement: Sendable, Hashable, Codable {
    public var server: String
    public var measuredAt: Date
    public var mbps: [ThroughputDirection: Double]
    public var error: String?

    public init(server: String, measuredAt: Date, mbps: [ThroughputDirection: Double], error: String? = nil) {
        self.server = server
        self.measuredAt = measuredAt
        self.mbps = mbps
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case server, mbps, error
        case measuredAt = "measured_at"
    }
}

/// The outcome of one service check.
public struct ServiceResult: Sendable, Hashable, Codable {
    public var name: String
    public var kind: ServiceKind
    public var ok: Bool
    /// Machine-readable cause when not ok (e.g. "connect_refused", "cert_expired", "nxdomain").
    public var reason: String?
    public var totalMilliseconds: Double?
    /// Time per phase ("resolve", "connect", "tls", "first_byte", "transfer"), in milliseconds.
    public var phases: [String: Double]
    public var certificateDaysLeft: Int?
    public var lossPercent: Double?
    public var checkedAt: Date
    /// When the check failed resolving its name: the resolver asked ("198.18.0.2:53"), as far as the agent knows.
    public var resolver: String?

    public init(
        name: String, kind: ServiceKind, ok: Bool, reason: String? = nil, totalMilliseconds: Double? = nil,
        phases: [String: Double] = [:], certificateDaysLeft: Int? = nil, lossPercent: Double? = nil, checkedAt: Date,
        resolver: String? = nil
    ) {
        self.resolver = resolver
        self.name = name
        self.kind = kind
        self.ok = ok
        self.reason = reason
        self.totalMilliseconds = totalMilliseconds
        self.phases = phases
        self.certificateDaysLeft = certificateDaysLeft
        self.lossPercent = lossPercent
        self.checkedAt = checkedAt
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, ok, reason, phases, resolver
        case totalMilliseconds = "total_ms"
        case certificateDaysLeft = "cert_days_left"
        case lossPercent = "loss_percent"
        case checkedAt = "checked_at"
    }
}

/// The host clock compared with an NTP server.
public struct ClockReading: Sendable, Hashable, Codable {
    public var server: String
    public var offsetMilliseconds: Double

    public init(server: String, offsetMilliseconds: Double) {
        self.server = server
        self.offsetMilliseconds = offsetMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case server
        case offsetMilliseconds = "offset_ms"
    }
}

/// Reports the spool dropped, so that the loss is visible and never silent.
public struct GapRecord: Sendable, Hashable, Codable {
    public var count: Int
    public var firstSeq: UInt64
    public var lastSeq: UInt64
    public var from: Date
    public var to: Date
    /// The boot whose reports were lost, when it is not the boot of the report carrying the gap
    /// (the agent restarted before the gap could be sent); nil means the carrying report's own boot.
    public var bootId: String?

    public init(count: Int, firstSeq: UInt64, lastSeq: UInt64, from: Date, to: Date, bootId: String? = nil) {
        self.count = count
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.from = from
        self.to = to
        self.bootId = bootId
    }

    enum CodingKeys: String, CodingKey {
        case count, from, to
        case firstSeq = "first_seq"
        case lastSeq = "last_seq"
        case bootId = "boot_id"
    }
}
