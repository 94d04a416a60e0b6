import ReadinessModel

/// A verdict change or a heartbeat of one site, as SANSANG-READINESS-MIB carries it.
public struct ReadinessNotification: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// sansangVerdictChange.
        case verdictChange
        /// sansangHeartbeat.
        case heartbeat
    }

    /// A row of sansangLinkTable.
    public struct Link: Sendable, Hashable {
        /// "lan", "wan", …
        public var role: String
        /// The speed the agent trusts, in Mbit/s; nil when no source gave a reading.
        public var measuredMbps: UInt32?
        /// The speed the site's profile requires, in Mbit/s.
        public var targetMbps: UInt32

        public init(role: String, measuredMbps: UInt32?, targetMbps: UInt32) {
            self.role = role
            self.measuredMbps = measuredMbps
            self.targetMbps = targetMbps
        }
    }

    public var kind: Kind
    /// The commune's official code, e.g. "20242".
    public var siteCode: String
    public var verdict: VerdictState
    /// Sent with a verdict change only; nil when there was no earlier verdict.
    public var previousVerdict: VerdictState?
    public var reasons: [ReasonKey]
    public var failingServices: [String]
    public var links: [Link]
    public var agentVersion: String
    /// The report the verdict was drawn from, numbered within one boot of the agent.
    public var reportSeq: UInt64
    public var bootId: String
    /// INFORMs the agent gave up on since it started.
    public var undeliveredInforms: UInt32

    public init(
        kind: Kind, siteCode: String, verdict: VerdictState, previousVerdict: VerdictState? = nil,
        reasons: [ReasonKey] = [], failingServices: [String] = [], links: [Link] = [],
        agentVersion: String, reportSeq: UInt64, bootId: String, undeliveredInforms: UInt32 = 0
    ) {
        self.kind = kind
        self.siteCode = siteCode
        self.verdict = verdict
        self.previousVerdict = previousVerdict
        self.reasons = reasons
        self.failingServices = failingServices
        self.links = links
        self.agentVersion = agentVersion
        self.reportSeq = reportSeq
        self.bootId = bootId
        self.undeliveredInforms = undeliveredInforms
    }
}

/// A notification that cannot be decoded. `code` is one of: `unknown_notification` (the trap OID is not one
/// of the MIB's), `missing_object` (a required variable is absent or the site code is empty), `wrong_type`,
/// `unknown_verdict`, `bad_reason` (not `CODE` or `CODE:subject` with a known code), `bad_link_index`.
public struct ReadinessMIBError: Error, CustomStringConvertible {
    public let code: String
    public let message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
