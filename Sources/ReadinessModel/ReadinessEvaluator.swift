import Foundation

/// The knobs of verdict evaluation that are not part of a profile (docs/readiness.md).
public struct EvaluationPolicy: Sendable, Hashable {
    /// A report older than this many of its own intervals is `STALE`.
    public var staleAfterIntervals: Int
    /// Two speeds within this share of the larger one agree (0.05 = 5 %); a speed this close below a
    /// target meets it (10GBASE-W ports report 9953 Mbit/s).
    public var speedTolerance: Double
    /// Standard link rates; two speeds that round (on a log scale) to the same one agree.
    public var standardRatesMbps: [Int]
    /// Host clock offset (and report timestamps ahead of `now`) beyond this is `CLOCK_SKEW`, unless the
    /// profile has an ntp service check, whose `max_clock_offset_ms` then applies.
    public var maxClockSkewMilliseconds: Int
    /// How long a verdict notified over SNMP stands in for missing HTTP reports (three default heartbeats).
    public var notificationMaxAgeSeconds: Double
    /// A report whose `generated_at` differs from the time the collector received it by more than this is
    /// `CLOCK_SKEW` (the agent's clock is wrong, or the report waited in its spool).
    public var maxReportSkewSeconds: Double

    public init(
        staleAfterIntervals: Int = 3, speedTolerance: Double = 0.05,
        standardRatesMbps: [Int] = [10, 100, 1000, 2500, 5000, 10000, 25000, 40000, 50000, 100_000],
        maxClockSkewMilliseconds: Int = ServiceThresholds().maxClockOffsetMilliseconds,
        notificationMaxAgeSeconds: Double = 900, maxReportSkewSeconds: Double = 120
    ) {
        self.maxReportSkewSeconds = maxReportSkewSeconds
        self.notificationMaxAgeSeconds = notificationMaxAgeSeconds
        self.staleAfterIntervals = staleAfterIntervals
        self.speedTolerance = speedTolerance
        self.standardRatesMbps = standardRatesMbps
        self.maxClockSkewMilliseconds = maxClockSkewMilliseconds
    }
}

/// Turns a site, its profile and its latest report into a verdict. Pure: `now` is a parameter.
public struct ReadinessEvaluator: Sendable {
    public var policy: EvaluationPolicy

    public init(policy: EvaluationPolicy = EvaluationPolicy()) {
        self.policy = policy
    }

    /// The verdict on `site`, or nil for a site without an office (listed, never evaluated).
    /// `profile` is the site's profile before its overrides; they are applied here.
    /// `receivedAt` is when the collector received `latest`: freshness is judged from it, and the agent's
    /// `generated_at` is only evidence (`CLOCK_SKEW` when they differ too much). Without it (the agent judging
    /// its own report) `generated_at` stands in.
    public func evaluate(site: Site, profile: Profile, latest: Report?, receivedAt: Date? = nil, now: Date) -> SiteVerdict? {
        guard site.hasOffice else { return nil }
        guard let report = latest else {
            return verdict(site, [Reason(code: .noData, impact: .unknown, evidence: "no report received from the agent")], now, nil)
        }
        let problems = report.limitProblems()
        guard problems.isEmpty else {
            // A report stored before the limits existed: judge nothing from it, say why.
            let listed = problems.prefix(3).joined(separator: "; ") + (problems.count > 3 ? "; …" : "")
            return verdict(site, [Reason(code: .noData, impact: .unknown, evidence: "latest report cannot be judged: \(listed)")],
                           now, report.generatedAt)
        }
        let received = receivedAt ?? report.generatedAt
        let age = now.timeIntervalSince(received)
        let maxAge = Double(policy.staleAfterIntervals) * Double(report.intervalSeconds)
        if age > maxAge {
            // Old evidence is not current: judge nothing else from it.
            let when = receivedAt == nil ? "generated \(timestamp(report.generatedAt))"
                : "received \(timestamp(received)) (generated \(timestamp(report.generatedAt)) by the agent's clock)"
            let evidence = "last report \(when), \(duration(age)) ago; "
                + "limit \(policy.staleAfterIntervals) × \(report.intervalSeconds) s report interval"
            return verdict(site, [Reason(code: .stale, impact: .unknown, evidence: evidence)], now, report.generatedAt)
        }

        let profile = profile.applying(site.overrides)
        // One cause behind many failures is said once, in place of the reasons it explains.
        let correlated = CorrelatedFailure.find(profile: profile, report: report, policy: policy)
        var reasons: [Reason] = []
        for link in profile.links {
            let linkReport = report.link(link.role)
            judgeSpeed(link, linkReport, into: &reasons)
            if link.role.judgedBy == .throughput, correlated?.links.contains(link.role) != true {
                judgeThroughput(link, linkReport?.throughput, now: now, into: &reasons)
            }
        }
        for check in profile.services where correlated?.services.contains(check.name) != true {
            judgeService(check, report.service(check.name), into: &reasons)
        }
        if let correlated { reasons.append(correlated.reason) }
        judgeClock(report, profile: profile, receivedAt: receivedAt, now: now, into: &reasons)
        return verdict(site, reasons, now, report.generatedAt)
    }

    private func verdict(_ site: Site, _ reasons: [Reason], _ now: Date, _ generatedAt: Date?) -> SiteVerdict {
        let state = reasons.map(\.impact).max { $0.severity < $1.severity } ?? .ready
        // Worst impact first, then by code and subject; the index keeps equal keys in emission order.
        let sorted = reasons.enumerated().sorted { a, b in
            if a.element.impact != b.element.impact { return a.element.impact.severity > b.element.impact.severity }
            let (ka, kb) = (a.element.key, b.element.key)
            if ka != kb { return ka < kb }
            return a.offset < b.offset
        }.map(\.element)
        return SiteVerdict(site: site.code, state: state, reasons: sorted, evaluatedAt: now, reportGeneratedAt: generatedAt)
    }

    // MARK: Links

    private func judgeSpeed(_ link: LinkTarget, _ linkReport: LinkReport?, into reasons: inout [Reason]) {
        let role = link.role.rawValue
        let readings = linkReport?.speed ?? []
        let known = readings.compactMap { reading in reading.speedMbps.map { (reading.source, $0) } }
        let listing = readings.map(describe).joined(separator: ", ")
        guard let lowest = known.min(by: { $0.1 < $1.1 }) else {
            // Only links judged by speed evidence need a reading; wan/internet are judged by throughput.
            if link.role.judgedBy == .speedEvidence {
                let evidence = linkReport == nil ? "no report for link \(role)" : "no known speed reading: \(readings.isEmpty ? "no sources" : listing)"
                reasons.append(Reason(code: .noData, subject: role, impact: .unknown, evidence: evidence))
            }
            return
        }
        let mismatch = known.indices.contains { i in
            known[(i + 1)...].contains { !speedsAgree(known[i].1, $0.1) }
        }
        if mismatch {
            reasons.append(Reason(
                code: .speedMismatch, subject: role, impact: .degraded,
                evidence: "\(listing); trusted \(lowest.0.rawValue) (lowest)"))
        }
        if !meetsTarget(lowest.1, link.targetMbps) {
            reasons.append(Reason(
                code: .linkBelowTarget, subject: role, impact: .notReady,
                evidence: "\(lowest.1) Mbit/s (\(lowest.0.rawValue)) < target \(link.targetMbps) Mbit/s; \(listing)"))
        }
    }

    private func describe(_ reading: SpeedReading) -> String {
        if let speed = reading.speedMbps { return "\(reading.source.rawValue) \(speed) Mbit/s" }
        return "\(reading.source.rawValue) unknown (\(reading.error ?? "no error given"))"
    }

    /// Within the tolerance of each other, or the same standard rate after rounding.
    private func speedsAgree(_ a: Int, _ b: Int) -> Bool {
        let (low, high) = (Double(min(a, b)), Double(max(a, b)))
        if high - low <= policy.speedTolerance * high { return true }
        return standardRate(a) == standardRate(b)
    }

    /// The nearest standard rate on a log scale (so 316 is half-way between 100 and 1000).
    private func standardRate(_ mbps: Int) -> Int? {
        guard mbps > 0 else { return nil }
        let value = log(Double(mbps))
        return policy.standardRatesMbps.min { abs(log(Double($0)) - value) < abs(log(Double($1)) - value) }
    }

    private func meetsTarget(_ mbps: Int, _ target: Int) -> Bool {
        Double(mbps) >= Double(target) * (1 - policy.speedTolerance)
    }

    private func judgeThroughput(_ link: LinkTarget, _ measurement: ThroughputMeasurement?, now: Date, into reasons: inout [Reason]) {
        let role = link.role.rawValue
        func noData(_ evidence: String) {
            reasons.append(Reason(code: .noData, subject: role, impact: .unknown, evidence: evidence))
        }
        guard let measurement else { return noData("no throughput measurement on \(role)") }
        let at = "against \(measurement.server) at \(timestamp(measurement.measuredAt))"
        if let error = measurement.error { return noData("throughput test \(at) failed: \(error)") }
        let age = now.timeIntervalSince(measurement.measuredAt)
        if age > Double(link.maxMeasurementAgeHours) * 3600 {
            return noData("last throughput test \(at) is \(duration(age)) old (limit \(link.maxMeasurementAgeHours) h)")
        }
        let floor = Double(link.targetMbps) * link.minimumFraction
        let floorText = "\(decimal(floor)) Mbit/s (\(decimal(link.minimumFraction * 100)) % of \(link.targetMbps))"
        var missing: [String] = []
        var lines: [String] = []
        var low = false
        for direction in link.directions {
            guard let measured = measurement.mbps[direction] else {
                missing.append(direction.rawValue)
                continue
            }
            low = low || measured < floor
            lines.append("\(direction.rawValue) \(decimal(measured)) Mbit/s \(measured < floor ? "<" : ">=") \(floorText)")
        }
        if !missing.isEmpty {
            noData("no \(missing.joined(separator: ", ")) result in throughput test \(at)")
        }
        if low {
            reasons.append(Reason(
                code: .throughputLow, subject: role, impact: .notReady,
                evidence: "\(lines.joined(separator: "; ")); test \(at)"))
        }
    }

    // MARK: Services and clock

    private func judgeService(_ check: ServiceCheck, _ result: ServiceResult?, into reasons: inout [Reason]) {
        let name = check.name
        let failing: VerdictState = check.required ? .notReady : .degraded
        let label = "\(check.required ? "required" : "optional") \(check.kind.rawValue) check"
        guard let result else {
            reasons.append(Reason(
                code: .noData, subject: name, impact: check.required ? .unknown : .degraded,
                evidence: "no result for \(label) of \(check.host)"))
            return
        }
        guard result.ok else {
            reasons.append(Reason(
                code: .serviceDown, subject: name, impact: failing,
                evidence: "\(label) of \(check.host) failed: \(result.reason ?? "no reason given")"))
            return
        }
        let limits = check.thresholds
        if check.kind == .icmp, let loss = result.lossPercent, loss > limits.maxLossPercent {
            reasons.append(Reason(
                code: .serviceDown, subject: name, impact: failing,
                evidence: "\(label) of \(check.host): loss \(decimal(loss)) % > \(decimal(limits.maxLossPercent)) %"))
            return
        }
        if let total = result.totalMilliseconds, total > Double(limits.slowMilliseconds) {
            reasons.append(Reason(
                code: .serviceSlow, subject: name, impact: .degraded,
                evidence: "\(label) of \(check.host) took \(decimal(total)) ms > \(limits.slowMilliseconds) ms"))
        }
        if check.kind == .tls || check.kind == .https, let days = result.certificateDaysLeft, days < limits.certificateMinDays {
            reasons.append(Reason(
                code: .certExpiring, subject: name, impact: .degraded,
                evidence: "certificate of \(check.host) expires in \(days) days (< \(limits.certificateMinDays))"))
        }
    }

    private func judgeClock(_ report: Report, profile: Profile, receivedAt: Date?, now: Date, into reasons: inout [Reason]) {
        let limit = profile.services.first { $0.kind == .ntp }?.thresholds.maxClockOffsetMilliseconds
            ?? policy.maxClockSkewMilliseconds
        var findings: [String] = []
        if let clock = report.clock, abs(clock.offsetMilliseconds) > Double(limit) {
            findings.append("host clock \(decimal(clock.offsetMilliseconds)) ms off ntp server \(clock.server) (limit \(limit) ms)")
        }
        if let receivedAt {
            let skew = report.generatedAt.timeIntervalSince(receivedAt)
            if abs(skew) > policy.maxReportSkewSeconds {
                let side = skew > 0 ? "ahead of" : "behind"
                findings.append("report generated \(timestamp(report.generatedAt)), \(duration(abs(skew))) \(side) its receipt at "
                    + "\(timestamp(receivedAt)) (limit \(decimal(policy.maxReportSkewSeconds)) s)"
                    + (skew > 0 ? "" : ": the agent's clock is behind or the report waited in its spool"))
            }
        } else {
            let ahead = report.generatedAt.timeIntervalSince(now) * 1000
            if ahead > Double(limit) {
                findings.append("report generated \(timestamp(report.generatedAt)), \(decimal(ahead)) ms ahead of the collector's clock (limit \(limit) ms)")
            }
        }
        if !findings.isEmpty {
            reasons.append(Reason(code: .clockSkew, impact: .degraded, evidence: findings.joined(separator: "; ")))
        }
    }
}

// MARK: Evidence text

func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }

/// A number with at most one decimal ("150", "150.2", "-1500").
private func decimal(_ value: Double) -> String {
    guard value.isFinite, abs(value) < 1e15 else { return String(format: "%.3g", value) }
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
}

/// An age for a human: "45 s", "12 min", "5 h 3 min", "3 d 4 h".
private func duration(_ seconds: TimeInterval) -> String {
    guard seconds.isFinite, abs(seconds) < 1e15 else { return "\(String(format: "%.3g", seconds)) s" }
    let s = Int(seconds.rounded())
    switch s {
    case ..<120: return "\(s) s"
    case ..<7200: return "\(s / 60) min"
    case ..<172_800: return "\(s / 3600) h \(s % 3600 / 60) min"
    default: return "\(s / 86400) d \(s % 86400 / 3600) h"
    }
}
