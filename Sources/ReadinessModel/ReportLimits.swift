import Foundation

/// The bounds every number and string of a report must respect (docs/report-format.md, "Limits").
/// The collector refuses a report outside them (`invalid_report`, naming the field); the evaluator
/// refuses to judge a stored one outside them (a report stored before the limits existed).
public enum ReportLimits {
    public static let intervalSeconds = 1...86_400
    /// Sequence numbers and gap bounds are stored as signed 64-bit integers.
    public static let maxSeq = UInt64(Int64.max)
    /// 10 Tbit/s: above any link an office has.
    public static let speedMbps = 0...10_000_000
    public static let maxThroughputMbps = 10_000_000.0
    public static let lossPercent = 0.0...100.0
    public static let certificateDaysLeft = -36_500...36_500
    /// A duration in milliseconds (a day is far above any check's timeout).
    public static let maxMilliseconds = 86_400_000.0
    /// A clock offset in milliseconds: ten years either way.
    public static let maxClockOffsetMilliseconds = 315_360_000_000.0
    public static let maxCount = 1 << 40
    public static let maxWindowSeconds = 86_400
    public static let maxSite = 32
    public static let maxIdentifier = 128
    public static let maxText = 1024
    public static let maxLinks = 16
    public static let maxServices = 256
    public static let maxFacts = 64
    public static let maxPhases = 16
}

extension Report {
    /// Everything outside `ReportLimits`, as "field.path: what is wrong" (empty when the report is within them).
    public func limitProblems() -> [String] {
        var problems = LimitCheck()
        problems.text(site, "site", max: ReportLimits.maxSite)
        problems.text(agent.version, "agent.version", max: ReportLimits.maxIdentifier)
        problems.text(agent.hostname, "agent.hostname", max: 253)
        problems.text(agent.bootId, "agent.boot_id", max: ReportLimits.maxIdentifier)
        if agent.bootId.isEmpty { problems.add("agent.boot_id", "must not be empty") }
        if seq > ReportLimits.maxSeq { problems.add("seq", "must be below 2^63, not \(seq)") }
        problems.range(intervalSeconds, "interval_s", ReportLimits.intervalSeconds)
        problems.count(links.count, "links", max: ReportLimits.maxLinks)
        problems.count(services.count, "services", max: ReportLimits.maxServices)
        for (i, link) in links.enumerated() {
            let at = "links[\(i)]"
            problems.text(link.interface, "\(at).interface", max: ReportLimits.maxIdentifier)
            problems.count(link.speed.count, "\(at).speed", max: ReportLimits.maxFacts)
            for (j, reading) in link.speed.enumerated() {
                if let speed = reading.speedMbps { problems.range(speed, "\(at).speed[\(j)].speed_mbps", ReportLimits.speedMbps) }
                problems.text(reading.error, "\(at).speed[\(j)].error", max: ReportLimits.maxText)
                problems.facts(reading.facts, "\(at).speed[\(j)].facts")
            }
            if let throughput = link.throughput {
                problems.text(throughput.server, "\(at).throughput.server", max: ReportLimits.maxText)
                problems.text(throughput.error, "\(at).throughput.error", max: ReportLimits.maxText)
                for (direction, mbps) in throughput.mbps.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    problems.number(mbps, "\(at).throughput.mbps.\(direction.rawValue)", 0...ReportLimits.maxThroughputMbps)
                }
            }
            if let traffic = link.traffic {
                problems.text(traffic.interface, "\(at).traffic.interface", max: ReportLimits.maxIdentifier)
                problems.range(traffic.windowSeconds, "\(at).traffic.window_s", 0...ReportLimits.maxWindowSeconds)
                problems.text(traffic.error, "\(at).traffic.error", max: ReportLimits.maxText)
                for (name, direction) in [("rx", traffic.rx), ("tx", traffic.tx)] {
                    guard let direction else { continue }
                    for (key, value) in [("mean_bps", direction.meanBitsPerSecond), ("peak_bps", direction.peakBitsPerSecond),
                                         ("mean_pps", direction.meanPacketsPerSecond), ("peak_pps", direction.peakPacketsPerSecond)] {
                        problems.number(value, "\(at).traffic.\(name).\(key)", 0...1e15)
                    }
                }
            }
        }
        for (i, service) in services.enumerated() {
            let at = "services[\(i)]"
            problems.text(service.name, "\(at).name", max: ReportLimits.maxIdentifier)
            problems.text(service.reason, "\(at).reason", max: ReportLimits.maxText)
            problems.text(service.resolver, "\(at).resolver", max: ReportLimits.maxText)
            if let total = service.totalMilliseconds { problems.number(total, "\(at).total_ms", 0...ReportLimits.maxMilliseconds) }
            problems.count(service.phases.count, "\(at).phases", max: ReportLimits.maxPhases)
            for (phase, value) in service.phases.sorted(by: { $0.key < $1.key }) {
                problems.text(phase, "\(at).phases key", max: ReportLimits.maxIdentifier)
                problems.number(value, "\(at).phases.\(phase)", 0...ReportLimits.maxMilliseconds)
            }
            if let days = service.certificateDaysLeft { problems.range(days, "\(at).cert_days_left", ReportLimits.certificateDaysLeft) }
            if let loss = service.lossPercent { problems.number(loss, "\(at).loss_percent", ReportLimits.lossPercent) }
        }
        if let clock {
            problems.text(clock.server, "clock.server", max: ReportLimits.maxText)
            let bound = ReportLimits.maxClockOffsetMilliseconds
            problems.number(clock.offsetMilliseconds, "clock.offset_ms", -bound...bound)
        }
        if let gap {
            problems.range(gap.count, "gap.count", 1...ReportLimits.maxCount)
            if gap.lastSeq > ReportLimits.maxSeq { problems.add("gap.last_seq", "must be below 2^63, not \(gap.lastSeq)") }
            if gap.firstSeq > gap.lastSeq { problems.add("gap.first_seq", "must not be after gap.last_seq") }
            if gap.from > gap.to { problems.add("gap.from", "must not be after gap.to") }
            problems.text(gap.bootId, "gap.boot_id", max: ReportLimits.maxIdentifier)
        }
        if let counters = snmpNotifications {
            for (key, value) in [("queued", counters.queued), ("acknowledged", counters.acknowledged),
                                 ("undelivered", counters.undelivered), ("pending", counters.pending)] {
                problems.range(value, "snmp_notifications.\(key)", 0...ReportLimits.maxCount)
            }
        }
        return problems.found
    }
}

private struct LimitCheck {
    var found: [String] = []

    mutating func add(_ field: String, _ message: String) { found.append("\(field): \(message)") }

    mutating func text(_ value: String?, _ field: String, max: Int) {
        guard let value else { return }
        let count = value.utf8.count
        if count > max { add(field, "longer than \(max) bytes (\(count))") }
    }

    mutating func range(_ value: Int, _ field: String, _ range: ClosedRange<Int>) {
        if !range.contains(value) { add(field, "must be in \(range.lowerBound)…\(range.upperBound), not \(value)") }
    }

    mutating func number(_ value: Double, _ field: String, _ range: ClosedRange<Double>) {
        if !value.isFinite || !range.contains(value) {
            add(field, "must be in \(plain(range.lowerBound))…\(plain(range.upperBound)), not \(value)")
        }
    }

    mutating func count(_ count: Int, _ field: String, max: Int) {
        if count > max { add(field, "holds at most \(max) entries, not \(count)") }
    }

    mutating func facts(_ facts: [String: String], _ field: String) {
        count(facts.count, field, max: ReportLimits.maxFacts)
        for (key, value) in facts.sorted(by: { $0.key < $1.key }) {
            text(key, "\(field) key", max: ReportLimits.maxIdentifier)
            text(value, "\(field).\(key.prefix(ReportLimits.maxIdentifier))", max: ReportLimits.maxText)
        }
    }

    private func plain(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e18 ? String(Int64(value)) : String(value)
    }
}
