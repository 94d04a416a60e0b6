import Foundation
import ReadinessModel

// The JSON bodies of the collector's HTTP API (/api/v1), shared by the collector, the agent and the
// NOC client so that the three cannot drift apart. Described for people in docs/api.md and for
// machines in openapi.yaml. Keys are snake_case; dates ISO 8601 (ReportCoding's encoder and decoder).

/// Every error response: `{"error": {"code": "...", "message": "..."}}` with a stable code.
public struct APIErrorBody: Sendable, Hashable, Codable {
    public struct Detail: Sendable, Hashable, Codable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Detail

    public init(code: String, message: String) {
        error = Detail(code: code, message: message)
    }

    /// The body the collector sends for an error: `{"error": {"code": …, "message": …}}`.
    public static func json(_ code: APIErrorCode, _ message: String) -> Data {
        (try? ReportCoding.encoder().encode(APIErrorBody(code: code.rawValue, message: message))) ?? Data()
    }

    /// An error answer's body as the API defines it, or nil when it is not one (a proxy's HTML page).
    public static func decode(_ body: Data) -> APIErrorBody? {
        try? ReportCoding.decoder().decode(APIErrorBody.self, from: body)
    }
}

/// The stable error codes of the API.
public enum APIErrorCode: String, Sendable, CaseIterable {
    case malformedJSON = "malformed_json"
    case invalidReport = "invalid_report"
    case unsupportedFormat = "unsupported_format_version"
    case bodyTooLarge = "body_too_large"
    /// A body that is not declared as JSON (`Content-Type` other than application/json).
    case unsupportedMediaType = "unsupported_media_type"
    case unauthenticated
    case tokenRevoked = "token_revoked"
    case forbidden
    case siteMismatch = "site_mismatch"
    case notFound = "not_found"
    /// The path exists, not with this method (the answer's `Allow` lists those it has).
    case methodNotAllowed = "method_not_allowed"
    case badParameter = "bad_parameter"
    case rateLimited = "rate_limited"
    /// `POST /api/v1/enroll`: no such code (mistyped, or never issued).
    case enrolmentCodeUnknown = "enrolment_code_unknown"
    /// `POST /api/v1/enroll`: the code was already exchanged.
    case enrolmentCodeUsed = "enrolment_code_used"
    /// `POST /api/v1/enroll`: the code's time to live has passed.
    case enrolmentCodeExpired = "enrolment_code_expired"
    /// The site is not (yet) an office of the collector's inventory, e.g. during an inventory change: retry later.
    case unknownSite = "unknown_site"
    case unavailable
    /// A request body that did not arrive whole within the collector's `body_timeout_s` of its head (408).
    case requestTimeout = "request_timeout"
    case internalError = "internal_error"
}

/// `POST /api/v1/reports`: one or more reports of one site, oldest first (the spool drains in batches).
/// The whole batch is committed in one transaction before the collector answers 202.
public struct ReportBatch: Sendable, Hashable, Codable {
    public var reports: [Report]

    public init(reports: [Report]) {
        self.reports = reports
    }
}

/// Identifies one report of one site: a report is stored once per (site, boot_id, seq).
public struct ReportKey: Sendable, Hashable, Codable, Comparable {
    public var bootId: String
    public var seq: UInt64

    public init(bootId: String, seq: UInt64) {
        self.bootId = bootId
        self.seq = seq
    }

    public init(_ report: Report) {
        self.init(bootId: report.agent.bootId, seq: report.seq)
    }

    public static func < (a: ReportKey, b: ReportKey) -> Bool { (a.bootId, a.seq) < (b.bootId, b.seq) }

    enum CodingKeys: String, CodingKey {
        case seq
        case bootId = "boot_id"
    }
}

/// The 202 answer to a batch: which reports were stored now, which had been stored before with the same
/// content, and which had been stored before with OTHER content (a broken or cloned agent; the stored one is
/// kept). All three are acknowledged: the agent removes them from its spool (and logs the conflicts).
public struct IngestAcknowledgement: Sendable, Hashable, Codable {
    public var stored: [ReportKey]
    public var duplicates: [ReportKey]
    /// Absent in answers of collectors older than conflicts.
    public var conflicts: [ReportKey]

    public init(stored: [ReportKey], duplicates: [ReportKey], conflicts: [ReportKey] = []) {
        self.stored = stored
        self.duplicates = duplicates
        self.conflicts = conflicts
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        stored = try container.decode([ReportKey].self, forKey: .stored)
        duplicates = try container.decode([ReportKey].self, forKey: .duplicates)
        conflicts = try container.decodeIfPresent([ReportKey].self, forKey: .conflicts) ?? []
    }

    enum CodingKeys: String, CodingKey { case stored, duplicates, conflicts }
}

/// `GET /api/v1/plan`: what the agent of the token's site must check. Served with an ETag; the agent
/// sends If-None-Match and keeps its cached plan on 304.
public struct AgentPlan: Sendable, Hashable, Codable {
    public var site: Site
    /// The site's profile with its overrides applied.
    public var profile: Profile
    public var reportIntervalSeconds: Int
    /// Changes whenever anything in the plan changes (also the ETag).
    public var version: String

    public init(site: Site, profile: Profile, reportIntervalSeconds: Int, version: String) {
        self.site = site
        self.profile = profile
        self.reportIntervalSeconds = reportIntervalSeconds
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case site, profile, version
        case reportIntervalSeconds = "report_interval_s"
    }
}

/// A tally for the API: the "78/88" figure and its parts.
public struct TallyBody: Sendable, Hashable, Codable {
    public var ready: Int
    public var total: Int
    public var summary: String
    public var byState: [String: Int]
    /// "CODE:subject" → number of sites.
    public var byReason: [String: Int]

    public init(_ tally: Tally) {
        ready = tally.ready
        total = tally.total
        summary = tally.summary
        byState = Dictionary(uniqueKeysWithValues: VerdictState.allCases.map { ($0.rawValue, tally.count($0)) })
        byReason = Dictionary(uniqueKeysWithValues: tally.byReason.map { ($0.key.description, $0.value) })
    }

    enum CodingKeys: String, CodingKey {
        case ready, total, summary
        case byState = "by_state"
        case byReason = "by_reason"
    }
}

/// `GET /api/v1/readiness?group_by=former_district`.
public struct ReadinessBody: Sendable, Hashable, Codable {
    public struct Group: Sendable, Hashable, Codable {
        public var key: String
        public var tally: TallyBody

        public init(key: String, tally: TallyBody) {
            self.key = key
            self.tally = tally
        }
    }

    public var generatedAt: Date
    public var overall: TallyBody
    public var groupBy: String?
    public var groups: [Group]

    public init(generatedAt: Date, overall: TallyBody, groupBy: String?, groups: [Group]) {
        self.generatedAt = generatedAt
        self.overall = overall
        self.groupBy = groupBy
        self.groups = groups
    }

    enum CodingKeys: String, CodingKey {
        case overall, groups
        case generatedAt = "generated_at"
        case groupBy = "group_by"
    }
}

/// One row of `GET /api/v1/sites`.
public struct SiteSummaryBody: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var type: SiteType
    public var province: String
    public var formerDistrict: String
    public var hasOffice: Bool
    /// Nil for a unit without an office.
    public var state: VerdictState?
    public var reasons: [String]
    public var lastReportAt: Date?

    public init(site: Site, verdict: SiteVerdict?, lastReportAt: Date?) {
        code = site.code
        name = site.name
        type = site.type
        province = site.province
        formerDistrict = site.formerDistrict
        hasOffice = site.hasOffice
        state = verdict?.state
        reasons = verdict?.reasonStrings ?? []
        self.lastReportAt = lastReportAt
    }

    enum CodingKeys: String, CodingKey {
        case code, name, type, province, state, reasons
        case formerDistrict = "former_district"
        case hasOffice = "has_office"
        case lastReportAt = "last_report_at"
    }
}

/// `GET /api/v1/sites?verdict=&reason=&province=&former_district=&limit=&offset=`.
public struct SiteListBody: Sendable, Hashable, Codable {
    /// Sites matching the filter, before paging.
    public var total: Int
    public var limit: Int
    public var offset: Int
    public var items: [SiteSummaryBody]
    /// The collector's `office_time_zone` (IANA name): the clock a client shows the times in. Absent from
    /// collectors older than the key (Vietnam time).
    public var officeTimeZone: String?

    public init(total: Int, limit: Int, offset: Int, items: [SiteSummaryBody], officeTimeZone: String? = nil) {
        self.total = total
        self.limit = limit
        self.offset = offset
        self.items = items
        self.officeTimeZone = officeTimeZone
    }

    enum CodingKeys: String, CodingKey {
        case total, limit, offset, items
        case officeTimeZone = "office_time_zone"
    }
}

/// `GET /api/v1/sites/{code}`: the site, its verdict with reasons and evidence, its latest report.
public struct SiteDetailBody: Sendable, Hashable, Codable {
    public var site: Site
    public var verdict: SiteVerdict?
    public var latestReport: Report?
    public var lastReportAt: Date?
    /// The collector's `office_time_zone` (IANA name), as in `SiteListBody`.
    public var officeTimeZone: String?

    public init(site: Site, verdict: SiteVerdict?, latestReport: Report?, lastReportAt: Date?, officeTimeZone: String? = nil) {
        self.site = site
        self.verdict = verdict
        self.latestReport = latestReport
        self.lastReportAt = lastReportAt
        self.officeTimeZone = officeTimeZone
    }

    enum CodingKeys: String, CodingKey {
        case site, verdict
        case latestReport = "latest_report"
        case lastReportAt = "last_report_at"
        case officeTimeZone = "office_time_zone"
    }
}

/// A change of a site's verdict state, with the reasons that came with the new state.
public struct VerdictTransition: Sendable, Hashable, Codable {
    public var at: Date
    public var from: VerdictState?
    public var to: VerdictState
    public var reasons: [Reason]

    public init(at: Date, from: VerdictState?, to: VerdictState, reasons: [Reason]) {
        self.at = at
        self.from = from
        self.to = to
        self.reasons = reasons
    }
}

/// `GET /api/v1/sites/{code}/history?from=&to=`: verdict transitions, measured series and the agent's gap
/// records (reports its spool had to drop) in the range.
public struct SiteHistoryBody: Sendable, Hashable, Codable {
    public struct Point: Sendable, Hashable, Codable {
        public var at: Date
        /// "link:lan:nic", "throughput:wan:upload", "service:vneid".
        public var series: String
        public var value: Double

        public init(at: Date, series: String, value: Double) {
            self.at = at
            self.series = series
            self.value = value
        }
    }

    public var site: String
    public var from: Date
    public var to: Date
    public var transitions: [VerdictTransition]
    public var points: [Point]
    public var gaps: [GapRecord]
    public var notifications: [SiteNotification]

    public init(site: String, from: Date, to: Date, transitions: [VerdictTransition], points: [Point],
                gaps: [GapRecord] = [], notifications: [SiteNotification] = []) {
        self.site = site
        self.from = from
        self.to = to
        self.transitions = transitions
        self.points = points
        self.gaps = gaps
        self.notifications = notifications
    }
}

/// An SNMP notification (SANSANG-READINESS-MIB) the collector accepted from a site's agent: stored as an event
/// on the site, shown in its history, and standing in for the verdict while HTTP reports are missing.
public struct SiteNotification: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case verdictChange = "verdict_change"
        case heartbeat
    }

    public struct Link: Sendable, Hashable, Codable {
        public var role: String
        public var measuredMbps: UInt32?
        public var targetMbps: UInt32

        public init(role: String, measuredMbps: UInt32?, targetMbps: UInt32) {
            self.role = role
            self.measuredMbps = measuredMbps
            self.targetMbps = targetMbps
        }

        enum CodingKeys: String, CodingKey {
            case role
            case measuredMbps = "measured_mbps"
            case targetMbps = "target_mbps"
        }
    }

    /// Not in the JSON: a history is of one site, and the store keeps the site in its own column.
    public var site = ""
    public var receivedAt: Date
    public var kind: Kind
    public var verdict: VerdictState
    public var previousVerdict: VerdictState?
    /// "CODE" or "CODE:subject".
    public var reasons: [String]
    public var failingServices: [String]
    public var links: [Link]
    public var agentVersion: String
    public var reportSeq: UInt64
    public var bootId: String
    public var undeliveredInforms: UInt32
    /// "v3:<user>" or "v2c".
    public var sender: String
    /// The sender's transport address.
    public var source: String

    public init(site: String, receivedAt: Date, kind: Kind, verdict: VerdictState, previousVerdict: VerdictState? = nil,
                reasons: [String] = [], failingServices: [String] = [], links: [Link] = [], agentVersion: String = "",
                reportSeq: UInt64 = 0, bootId: String = "", undeliveredInforms: UInt32 = 0, sender: String = "", source: String = "") {
        self.site = site
        self.receivedAt = receivedAt
        self.kind = kind
        self.verdict = verdict
        self.previousVerdict = previousVerdict
        self.reasons = reasons
        self.failingServices = failingServices
        self.links = links
        self.agentVersion = agentVersion
        self.reportSeq = reportSeq
        self.bootId = bootId
        self.undeliveredInforms = undeliveredInforms
        self.sender = sender
        self.source = source
    }

    /// What the evaluator takes from it (reasons it cannot parse are left out).
    public var notifiedVerdict: NotifiedVerdict {
        NotifiedVerdict(receivedAt: receivedAt, state: verdict, reasons: reasons.compactMap { ReasonKey($0) })
    }

    enum CodingKeys: String, CodingKey {
        case kind, verdict, reasons, links, sender, source
        case receivedAt = "received_at"
        case previousVerdict = "previous_verdict"
        case failingServices = "failing_services"
        case agentVersion = "agent_version"
        case reportSeq = "report_seq"
        case bootId = "boot_id"
        case undeliveredInforms = "undelivered_informs"
    }
}
