/// A named set of links, services and a throughput policy, shared by many sites.
public struct Profile: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    public var links: [LinkTarget]
    public var services: [ServiceCheck]
    public var throughput: ThroughputPolicy

    public init(
        name: String, description: String = "", links: [LinkTarget] = [], services: [ServiceCheck] = [],
        throughput: ThroughputPolicy = ThroughputPolicy()
    ) {
        self.name = name
        self.description = description
        self.links = links
        self.services = services
        self.throughput = throughput
    }

    /// This profile as it applies to one site, with the site's overrides folded in.
    public func applying(_ overrides: ProfileOverrides) -> Profile {
        guard !overrides.isEmpty else { return self }
        var result = self
        result.links = links.map { link in
            var link = link
            if let target = overrides.linkTargets[link.role] { link.targetMbps = target }
            return link
        }
        result.services = services.filter { !overrides.skipServices.contains($0.name) } + overrides.extraServices
        return result
    }
}

/// The role a link plays in the office, which also says how it is judged.
public enum LinkRole: String, Sendable, Hashable, Codable, CaseIterable, CodingKeyRepresentable {
    /// Office network equipment; judged by speed evidence (NIC, LLDP, switch port).
    case lan
    /// The line to the province over the state data network; judged by measured throughput.
    case wan
    /// A commercial Internet line; judged by measured throughput against its own server.
    case internet

    public var judgedBy: LinkJudgement {
        switch self {
        case .lan: .speedEvidence
        case .wan, .internet: .throughput
        }
    }
}

public enum LinkJudgement: String, Sendable, Hashable, Codable {
    case speedEvidence = "speed_evidence"
    case throughput
}

/// A link of the office and the speed it must reach.
public struct LinkTarget: Sendable, Hashable, Codable {
    public var role: LinkRole
    public var targetMbps: Int
    /// For throughput-judged links: the share of the target a measurement must reach (0.9 = 90 %).
    public var minimumFraction: Double
    /// For throughput-judged links: the directions that must each reach the target.
    public var directions: [ThroughputDirection]
    /// For throughput-judged links: a measurement older than this many hours no longer counts.
    public var maxMeasurementAgeHours: Int

    public init(
        role: LinkRole, targetMbps: Int, minimumFraction: Double = 0.9,
        directions: [ThroughputDirection] = [.upload, .download], maxMeasurementAgeHours: Int = 48
    ) {
        self.role = role
        self.targetMbps = targetMbps
        self.minimumFraction = minimumFraction
        self.directions = directions
        self.maxMeasurementAgeHours = maxMeasurementAgeHours
    }

    enum CodingKeys: String, CodingKey {
        case role, directions
        case targetMbps = "target_mbps"
        case minimumFraction = "minimum_fraction"
        case maxMeasurementAgeHours = "max_measurement_age_hours"
    }
}

/// Upload is the office sending to the test server (iperf3's default), download the reverse.
public enum ThroughputDirection: String, Sendable, Hashable, Codable, CaseIterable, CodingKeyRepresentable {
    case upload
    case download
}

public enum ServiceKind: String, Sendable, Hashable, Codable, CaseIterable {
    case dns, tcp, tls, http, https, icmp, ntp
}

/// A named service check with its thresholds.
public struct ServiceCheck: Sendable, Hashable, Codable {
    public var name: String
    public var kind: ServiceKind
    public var host: String
    public var port: Int?
    public var path: String?
    /// A failing required service makes the site not ready; an optional one only degrades it.
    public var required: Bool
    public var thresholds: ServiceThresholds

    public init(
        name: String, kind: ServiceKind, host: String, port: Int? = nil, path: String? = nil,
        required: Bool = true, thresholds: ServiceThresholds = ServiceThresholds()
    ) {
        self.name = name
        self.kind = kind
        self.host = host
        self.port = port
        self.path = path
        self.required = required
        self.thresholds = thresholds
    }
}

public struct ServiceThresholds: Sendable, Hashable, Codable {
    /// Above this total time the service is `SERVICE_SLOW`.
    public var slowMilliseconds: Int
    /// Fewer days than this before a certificate expires is `CERT_EXPIRING`.
    public var certificateMinDays: Int
    /// ICMP: more loss than this (percent) is `SERVICE_DOWN`.
    public var maxLossPercent: Double
    /// NTP: a host clock further off than this is `CLOCK_SKEW`.
    public var maxClockOffsetMilliseconds: Int

    public init(slowMilliseconds: Int = 2000, certificateMinDays: Int = 14, maxLossPercent: Double = 20,
                maxClockOffsetMilliseconds: Int = 1000) {
        self.slowMilliseconds = slowMilliseconds
        self.certificateMinDays = certificateMinDays
        self.maxLossPercent = maxLossPercent
        self.maxClockOffsetMilliseconds = maxClockOffsetMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case slowMilliseconds = "slow_ms"
        case certificateMinDays = "cert_min_days"
        case maxLossPercent = "max_loss_percent"
        case maxClockOffsetMilliseconds = "max_clock_offset_ms"
    }
}

/// When and how the agent measures throughput-judged links.
public struct ThroughputPolicy: Sendable, Hashable, Codable {
    /// iperf3 servers as "host" or "host:port", per link role.
    public var servers: [LinkRole: [String]]
    public var durationSeconds: Int
    public var parallelStreams: Int
    public var directions: [ThroughputDirection]
    /// Local time of day ("HH:MM") when tests may start; the window may cross midnight.
    public var windowStart: String
    public var windowEnd: String
    public var everyHours: Int
    public var dailyByteBudget: Int64

    public init(
        servers: [LinkRole: [String]] = [:], durationSeconds: Int = 10, parallelStreams: Int = 4,
        directions: [ThroughputDirection] = [.upload, .download], windowStart: String = "22:00",
        windowEnd: String = "05:00", everyHours: Int = 24, dailyByteBudget: Int64 = 2_000_000_000
    ) {
        self.servers = servers
        self.durationSeconds = durationSeconds
        self.parallelStreams = parallelStreams
        self.directions = directions
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.everyHours = everyHours
        self.dailyByteBudget = dailyByteBudget
    }

    enum CodingKeys: String, CodingKey {
        case servers, directions
        case durationSeconds = "duration_s"
        case parallelStreams = "parallel"
        case windowStart = "window_start"
        case windowEnd = "window_end"
        case everyHours = "every_hours"
        case dailyByteBudget = "daily_byte_budget"
    }
}
