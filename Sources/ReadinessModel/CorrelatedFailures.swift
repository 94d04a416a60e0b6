import Foundation

/// One cause behind many failures, said once (docs/readiness.md, "Correlated failures explained once"):
/// an office whose resolver answers nothing gets one `DNS_UNAVAILABLE` instead of a `SERVICE_DOWN` per service,
/// and an office whose every service and throughput test failed together gets one `WAN_DOWN`.
/// Pure: it reads only the profile (overrides applied) and the report.
struct CorrelatedFailure: Sendable, Equatable {
    /// The reason that replaces the individual ones.
    var reason: Reason
    /// Services whose failure the reason explains (no `SERVICE_DOWN` of their own).
    var services: Set<String>
    /// Throughput-judged links whose failed test the reason explains (no `NO_DATA:<link>` of their own).
    var links: Set<LinkRole>

    /// `ServiceResult.reason`s that say the resolver gave no usable answer, rather than that the name does not
    /// exist (`nxdomain` is an answer: the resolver works). The agent gives them only in the resolve phase.
    static let resolverFailures: Set<String> = [
        "dns_timeout", "dns_port_closed", "dns_refused", "dns_error", "servfail", "dns_server_unresolvable",
        "resolve_failed",
    ]

    /// `ServiceResult.reason`s that say nothing answered at all: the path, not the service, failed.
    static let unreachable: Set<String> = resolverFailures.union([
        "connect_timeout", "host_unreachable", "network_unreachable", "icmp_no_reply", "ntp_timeout", "timeout",
    ])

    /// Throughput error codes (the text before the first ':' of `ThroughputMeasurement.error`) that say the
    /// server could not be reached or the line broke mid-test; `refused` or `server_busy` are answers.
    static let lineFailures: Set<String> = ["timeout", "unreachable", "reset_mid_test"]

    /// Whether a check failed resolving its name. A check the runner gave up on (`timeout`) before any phase
    /// ended was still resolving (resolving is every check's first phase) when its host is a name.
    static func failedResolving(_ result: ServiceResult, host: String) -> Bool {
        guard !result.ok, let reason = result.reason else { return false }
        if resolverFailures.contains(reason) { return true }
        return reason == "timeout" && result.phases.isEmpty && !isAddressLiteral(host)
    }

    /// The correlated failure in `report`, if any; `WAN_DOWN` wins over `DNS_UNAVAILABLE` (a line that is down
    /// also takes the resolver away).
    static func find(profile: Profile, report: Report, policy: EvaluationPolicy) -> CorrelatedFailure? {
        let checked = profile.services.compactMap { check in report.service(check.name).map { (check, $0) } }
        return wanDown(profile: profile, checked: checked, report: report, policy: policy)
            ?? dnsUnavailable(checked: checked)
    }

    /// Every check that needs a name resolved (a dns check, or a host that is not an address) failed resolving it,
    /// and that is more than one name, or one of them is a dns check (the resolver itself asked directly).
    private static func dnsUnavailable(checked: [(ServiceCheck, ServiceResult)]) -> CorrelatedFailure? {
        let dependent = checked.filter { check, _ in check.kind == .dns || !isAddressLiteral(check.host) }
        guard !dependent.isEmpty, dependent.allSatisfy({ failedResolving($1, host: $0.host) }) else { return nil }
        guard dependent.count >= 2 || dependent.contains(where: { $0.0.kind == .dns }) else { return nil }
        let resolvers = ordered(dependent.map { $1.resolver ?? "system resolver" })
        let errors = ordered(dependent.compactMap { $1.reason })
        let names = dependent.map { check, _ in "\(check.name) (\(check.kind.rawValue) \(check.host))" }
        let evidence = "no name could be resolved: resolver \(resolvers.joined(separator: ", ")), "
            + "error \(errors.joined(separator: ", ")); \(dependent.count) \(dependent.count == 1 ? "check" : "checks") "
            + "failed resolving: \(names.joined(separator: ", "))"
        let impact: VerdictState = dependent.contains { $0.0.required } ? .notReady : .degraded
        return CorrelatedFailure(
            reason: Reason(code: .dnsUnavailable, impact: impact, evidence: evidence),
            services: Set(dependent.map(\.0.name)), links: [])
    }

    /// Every checked service failed with nothing answering, and a throughput test failed the same way no longer
    /// ago than a report stays current (`staleAfterIntervals` report intervals before the report).
    private static func wanDown(profile: Profile, checked: [(ServiceCheck, ServiceResult)], report: Report,
                                policy: EvaluationPolicy) -> CorrelatedFailure? {
        guard !checked.isEmpty, checked.allSatisfy({ !$1.ok && unreachable.contains($1.reason ?? "") }) else { return nil }
        let window = Double(policy.staleAfterIntervals) * Double(report.intervalSeconds)
        let failedTests = profile.links.filter { $0.role.judgedBy == .throughput }.compactMap { link -> (LinkRole, ThroughputMeasurement)? in
            guard let test = report.link(link.role)?.throughput, let error = test.error,
                  let code = error.split(separator: ":", maxSplits: 1).first,
                  lineFailures.contains(code.trimmingCharacters(in: .whitespaces)),
                  report.generatedAt.timeIntervalSince(test.measuredAt) <= window else { return nil }
            return (link.role, test)
        }
        guard !failedTests.isEmpty else { return nil }
        let tests = failedTests.map { role, test in
            "throughput test on \(role.rawValue) against \(test.server) at \(timestamp(test.measuredAt)) failed: \(test.error ?? "")"
        }
        let services = checked.map { check, result in "\(check.name) (\(result.reason ?? ""))" }
        let evidence = "\(tests.joined(separator: "; ")); every service check failed with no answer: "
            + services.joined(separator: ", ")
        return CorrelatedFailure(
            reason: Reason(code: .wanDown, impact: .notReady, evidence: evidence),
            services: Set(checked.map(\.0.name)), links: Set(failedTests.map(\.0)))
    }

    /// `values` without repeats, in first-seen order.
    private static func ordered(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}

/// An IPv4 or IPv6 address written out, which needs no resolver ("198.18.0.2", "2001:db8::1", "[2001:db8::1]").
func isAddressLiteral(_ host: String) -> Bool {
    let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    if bare.contains(":") { return bare.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
    let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { part in
        !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
    }
}
