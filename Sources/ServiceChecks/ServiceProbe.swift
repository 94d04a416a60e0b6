import Foundation
import ReadinessModel
import Synchronization
import SystemSupport

/// One service check to run: the profile's `ServiceCheck` plus the options only the agent needs
/// (DNS server, expected answer, CA file, body match, ICMP count, …), with defaults for all of them.
public struct ServiceTarget: Sendable, Hashable {
    public var check: ServiceCheck
    /// Overall limit for this check; the runner reports `timeout` when it is reached.
    public var timeout: Duration
    public var options: Options

    public struct Options: Sendable, Hashable {
        /// dns: "host[:port]" of the server to ask; nil: the system resolver (getaddrinfo).
        public var dnsServer: String?
        /// dns: "A" or "AAAA".
        public var dnsType: String = "A"
        /// dns: an address that must be among the answers.
        public var expectAddress: String?
        /// tls/https: PEM file of the CA(s) to trust instead of the system store (e.g. the government CA).
        public var caFile: String?
        /// tls/https: name to send (SNI) and verify; default: host.
        public var serverName: String?
        /// http/https: a substring the final body must contain.
        public var expectBody: String?
        /// http/https: redirects followed before `too_many_redirects`.
        public var maxRedirects: Int = 5
        /// http/https: bytes of body read before `body_too_large`.
        public var maxBodyBytes: Int = 1 << 20
        /// icmp: echo requests sent.
        public var count: Int = 5
        /// icmp: time between requests, and how long to wait for each reply.
        public var interval: Duration = .milliseconds(200)
        public var replyWait: Duration = .seconds(1)

        public init() {}
    }

    public init(check: ServiceCheck, timeout: Duration = .seconds(10), options: Options = Options()) {
        self.check = check
        self.timeout = timeout
        self.options = options
    }

    /// The port to use: the check's, or the kind's well-known one.
    public var port: Int {
        if let port = check.port { return port }
        switch check.kind {
        case .dns: return 53
        case .tcp, .tls, .https: return 443
        case .http: return 80
        case .ntp: return 123
        case .icmp: return 0
        }
    }
}

/// What one check found: the report's `ServiceResult`, the raw facts behind it, and for NTP the clock reading.
public struct ServiceOutcome: Sendable, Hashable, Codable {
    public var result: ServiceResult
    /// Raw facts for a human: answers, rcode, protocol, chain, status, RTTs, stratum, …
    public var facts: [String: String]
    /// ntp: the host clock against this server (feeds `Report.clock`).
    public var clock: ClockReading?

    public init(result: ServiceResult, facts: [String: String] = [:], clock: ClockReading? = nil) {
        self.result = result
        self.facts = facts
        self.clock = clock
    }
}

/// One kind of check. Implementations never block the cooperative pool: blocking calls run on a dedicated thread.
public protocol ServiceProbe: Sendable {
    func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome
}

/// Collects phase timings and facts while a check runs, then makes the outcome.
struct Measurement: Sendable {
    let target: ServiceTarget
    let started = ContinuousClock.now
    let startedAt = Date()
    var phases: [String: Double] = [:]
    var facts: [String: String] = [:]
    var certificateDaysLeft: Int?
    var lossPercent: Double?
    var clock: ClockReading?
    /// The resolver asked, when the check failed resolving its name.
    var resolver: String?
    private var mark = ContinuousClock.now
    /// The runner's record of this check, kept up to date so that a backstop result shows how far it got.
    private let trace = PhaseTrace.current

    init(_ target: ServiceTarget) { self.target = target }

    /// Records the time since the previous phase ended under `name`.
    mutating func phase(_ name: String, at now: ContinuousClock.Instant = .now) {
        phases[name] = (phases[name] ?? 0) + (now - mark).inMilliseconds
        mark = now
        trace?.record(phases: phases, facts: facts)
    }

    /// Ends the timed part: what follows (reading facts only) does not count in `total_ms`.
    mutating func stopClock(at now: ContinuousClock.Instant = .now) { stopped = now }
    private var stopped: ContinuousClock.Instant?

    func finish(reason: String?) -> ServiceOutcome {
        let result = ServiceResult(
            name: target.check.name, kind: target.check.kind, ok: reason == nil, reason: reason,
            totalMilliseconds: ((stopped ?? ContinuousClock.now) - started).inMilliseconds, phases: phases,
            certificateDaysLeft: certificateDaysLeft, lossPercent: lossPercent, checkedAt: startedAt,
            resolver: reason == nil ? nil : resolver)
        return ServiceOutcome(result: result, facts: facts, clock: clock)
    }
}

/// The phases and facts a check has reached so far, shared with the runner (a task-local set around the
/// probe): when the runner gives up on a probe stuck past its deadline, its result keeps them.
final class PhaseTrace: Sendable {
    @TaskLocal static var current: PhaseTrace? = nil

    private let state = Mutex<(phases: [String: Double], facts: [String: String])>(([:], [:]))

    func record(phases: [String: Double], facts: [String: String]) {
        state.withLock { $0 = (phases, facts) }
    }

    var reached: (phases: [String: Double], facts: [String: String]) { state.withLock { $0 } }
}
