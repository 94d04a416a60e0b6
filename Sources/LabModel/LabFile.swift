import Foundation
import ReadinessModel
import YAMLConfig
import Yams

/// The province lab's file (`lab/danang.yaml`, docs/lab.md): which inventory, which offices, the line every office
/// gets, and the faults on named sites with the verdict and reasons each must get. Pure: parsed from text.
public struct LabFile: Sendable, Hashable {
    /// The inventory directory, as written (relative paths are relative to the lab file's directory).
    public var inventory = "../inventory"
    public var sites: SiteSelection = .all
    /// The agents' report interval in the lab (seconds).
    public var reportIntervalSeconds = 30
    /// How often each agent runs each service check (seconds): 18 checks × 93 offices every 30 s would be
    /// 56 TLS/HTTP/DNS/NTP exchanges a second on the lab's 2 cores.
    public var serviceIntervalSeconds = 120
    public var defaults = LabLine()
    public var throughput = LabThroughput()
    public var faults: [LabFault] = []

    public init() {}

    public enum SiteSelection: Sendable, Hashable {
        /// Every office of the inventory.
        case all
        /// The first N offices, in inventory order, plus every site named by a fault.
        case first(Int)
        /// These codes.
        case codes([String])
    }
}

/// What the lab builds for one office: its switch port, its NIC, its line to the province, its switch's model.
public struct LabLine: Sendable, Hashable {
    public var lanPortMbps = 10_000
    /// The office's NIC is a veth, which always reports 10,000 Mbit/s: the only value the lab can build.
    public var nicMbps = LabLine.vethMbps
    /// The shaped rate: a 200 Mbit/s target is met by a line shaped above it (docs/lab.md).
    public var wanMbps = 250
    /// One-way delay added in each direction (needs the kernel's sch_netem).
    public var wanDelayMilliseconds = 0.0
    /// Loss added in each direction.
    public var wanLossPercent = 0.0
    public var switchModel = "Cisco Catalyst 9300-24UX"

    public static let vethMbps = 10_000

    public init() {}
}

/// The lab window for the WAN tests (the example profile's night window would show no WAN verdict for hours).
public struct LabThroughput: Sendable, Hashable {
    /// `iperf3 -s` servers in the province namespace; each office tries them from its own place in the list, busy ones skipped.
    public var servers = 6
    public var durationSeconds = 3
    public var parallel = 2
    /// How often an office retests its line (hours).
    public var everyHours = 1
    /// How often each agent asks whether a test may start (seconds); after a round with no free server it asks again
    /// sooner (1 s doubling), never later than this.
    public var pollSeconds = 15

    public init() {}
}

/// One fault on one site, with what the collector must say about that site.
public struct LabFault: Sendable, Hashable {
    public var site: String
    /// Where the fault's entry starts, for errors found later (unknown site, contradictions).
    public var location: SourceLocation
    public var lanPortMbps: Int?
    public var nicMbps: Int?
    public var wanMbps: Int?
    public var wanDelayMilliseconds: Double?
    public var wanLossPercent: Double?
    /// Services made unreachable from this office (by name in the profile).
    public var serviceDown: [String] = []
    public var dnsDown = false
    /// The province's HTTPS server presents this office a certificate with this many days left…
    public var certDaysLeft: Int?
    /// …for this service only (nil: every tls/https service).
    public var certService: String?
    public var agentStopped = false
    /// The office host's clock is this far ahead (negative: behind).
    public var clockSkewSeconds: Int?
    public var note: String?
    public var expect: LabExpectation

    public init(site: String, location: SourceLocation, expect: LabExpectation) {
        self.site = site
        self.location = location
        self.expect = expect
    }

    /// The fault keys set on this entry, in file-format names.
    public var kinds: [String] {
        var kinds: [String] = []
        if lanPortMbps != nil { kinds.append("lan_port_mbps") }
        if nicMbps != nil { kinds.append("nic_mbps") }
        if wanMbps != nil { kinds.append("wan_mbps") }
        if wanDelayMilliseconds != nil { kinds.append("wan_delay_ms") }
        if wanLossPercent != nil { kinds.append("wan_loss_pct") }
        if !serviceDown.isEmpty { kinds.append("service_down") }
        if dnsDown { kinds.append("dns") }
        if certDaysLeft != nil { kinds.append("cert_days_left") }
        if agentStopped { kinds.append("agent") }
        if clockSkewSeconds != nil { kinds.append("clock_skew_s") }
        return kinds
    }
}

/// The verdict and reasons a site must get ("CODE" or "CODE:subject", compared as a set).
public struct LabExpectation: Sendable, Hashable, Codable {
    public var verdict: VerdictState
    public var reasons: [String]

    public init(verdict: VerdictState, reasons: [String]) {
        self.verdict = verdict
        self.reasons = Array(Set(reasons)).sorted()
    }

    public static let ready = LabExpectation(verdict: .ready, reasons: [])
}

/// The reason codes a lab file may expect: the readiness model's, and the correlated-failure codes of issue 15
/// (`DNS_UNAVAILABLE`, `WAN_DOWN`), which the collector gives once the rule is in.
public enum LabReasonCodes {
    public static let correlated = ["DNS_UNAVAILABLE", "WAN_DOWN"]
    public static var all: [String] { ReasonCode.allCases.map(\.rawValue) + correlated.filter { ReasonCode(rawValue: $0) == nil } }
}

/// Every top-level and fault key, for unknown-key suggestions and docs/lab.md.
public enum LabFileKeys {
    public static let top = ["inventory", "sites", "report_interval_s", "service_interval_s", "defaults", "throughput", "faults"]
    public static let line = ["lan_port_mbps", "nic_mbps", "wan_mbps", "wan_delay_ms", "wan_loss_pct", "switch_model"]
    public static let throughput = ["servers", "duration_s", "parallel", "every_hours", "poll_s"]
    public static let faultKinds = ["lan_port_mbps", "nic_mbps", "wan_mbps", "wan_delay_ms", "wan_loss_pct", "service_down", "dns",
                                    "cert_days_left", "agent", "clock_skew_s"]
    public static let fault = ["site", "note", "service", "expect"] + faultKinds
    public static let expect = ["verdict", "reasons"]
}

public enum LabFileParser {
    /// Parses a lab file; every problem is reported with file, line, column and field.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> LabFile {
        let root: Node?
        switch composeYAML(text, file: file) {
        case .success(let node): root = node
        case .failure(let error): throw ConfigErrors([error])
        }
        guard let root else {
            throw ConfigErrors([ConfigError(.missingKey, "the lab file is empty", at: .start(of: file), field: "")])
        }
        var reader = NodeReader(file: file)
        var lab = LabFile()
        if let top = reader.mapping(Field(node: root, path: ""), allowed: LabFileKeys.top) {
            if let field = top["inventory"], let path = reader.nonEmptyString(field) { lab.inventory = path }
            if let field = top["sites"] { lab.sites = selection(field, &reader) ?? .all }
            if let field = top["report_interval_s"], let value = reader.int(field, in: 5...3600) { lab.reportIntervalSeconds = value }
            if let field = top["service_interval_s"], let value = reader.int(field, in: 5...3600) { lab.serviceIntervalSeconds = value }
            if let field = top["defaults"] { lab.defaults = line(field, &reader) }
            if let field = top["throughput"], let keys = reader.mapping(field, allowed: LabFileKeys.throughput) {
                if let value = keys["servers"].flatMap({ reader.int($0, in: 1...32) }) { lab.throughput.servers = value }
                if let value = keys["duration_s"].flatMap({ reader.int($0, in: 1...60) }) { lab.throughput.durationSeconds = value }
                if let value = keys["parallel"].flatMap({ reader.int($0, in: 1...16) }) { lab.throughput.parallel = value }
                if let value = keys["every_hours"].flatMap({ reader.int($0, in: 1...168) }) { lab.throughput.everyHours = value }
                if let value = keys["poll_s"].flatMap({ reader.int($0, in: 1...3600) }) { lab.throughput.pollSeconds = value }
            }
            if let field = top["faults"], let items = reader.list(field) {
                lab.faults = items.compactMap { fault($0, &reader) }
            }
        }
        if !reader.errors.isEmpty { throw ConfigErrors(reader.errors.sorted { $0.location < $1.location }) }
        return lab
    }

    private static func selection(_ field: Field, _ reader: inout NodeReader) -> LabFile.SiteSelection? {
        switch field.node {
        case .scalar:
            guard let text = reader.string(field) else { return nil }
            if text == "all" { return .all }
            reader.report(.badValue, "expected \"all\", {first: N} or a list of site codes, found \"\(text)\"", at: field)
            return nil
        case .sequence:
            guard let items = reader.list(field) else { return nil }
            let codes = items.compactMap { reader.nonEmptyString($0) }
            guard !codes.isEmpty else {
                reader.report(.badValue, "must list at least one site code", at: field)
                return nil
            }
            return .codes(codes)
        default:
            guard let keys = reader.mapping(field, allowed: ["first"], required: ["first"]),
                  let count = keys["first"].flatMap({ reader.int($0, in: 1...10_000) }) else { return nil }
            return .first(count)
        }
    }

    private static func line(_ field: Field, _ reader: inout NodeReader) -> LabLine {
        var line = LabLine()
        guard let keys = reader.mapping(field, allowed: LabFileKeys.line) else { return line }
        if let value = keys["lan_port_mbps"].flatMap({ mbps($0, &reader) }) { line.lanPortMbps = value }
        if let field = keys["nic_mbps"], let value = nic(field, &reader) { line.nicMbps = value }
        if let value = keys["wan_mbps"].flatMap({ reader.int($0, in: 1...10_000) }) { line.wanMbps = value }
        if let value = keys["wan_delay_ms"].flatMap({ reader.double($0, in: 0...2000) }) { line.wanDelayMilliseconds = value }
        if let value = keys["wan_loss_pct"].flatMap({ reader.double($0, in: 0...100) }) { line.wanLossPercent = value }
        if let value = keys["switch_model"].flatMap({ reader.nonEmptyString($0) }) { line.switchModel = value }
        return line
    }

    private static func mbps(_ field: Field, _ reader: inout NodeReader) -> Int? {
        reader.int(field, in: 1...400_000)
    }

    private static func nic(_ field: Field, _ reader: inout NodeReader) -> Int? {
        guard let value = mbps(field, &reader) else { return nil }
        guard value == LabLine.vethMbps else {
            reader.report(.badValue, "the lab's office NICs are veths, which always report \(LabLine.vethMbps) Mbit/s; "
                          + "\(value) cannot be built (use lan_port_mbps for the switch side)", at: field)
            return nil
        }
        return value
    }

    private static func fault(_ field: Field, _ reader: inout NodeReader) -> LabFault? {
        guard let keys = reader.mapping(field, allowed: LabFileKeys.fault, required: ["site", "expect"]) else { return nil }
        let errorsBefore = reader.errors.count
        guard let siteField = keys["site"], let site = reader.nonEmptyString(siteField),
              let expectField = keys["expect"], let expect = expectation(expectField, &reader) else { return nil }
        var fault = LabFault(site: site, location: reader.location(siteField.node), expect: expect)
        fault.note = keys["note"].flatMap { reader.string($0) }
        fault.lanPortMbps = keys["lan_port_mbps"].flatMap { mbps($0, &reader) }
        fault.nicMbps = keys["nic_mbps"].flatMap { nic($0, &reader) }
        fault.wanMbps = keys["wan_mbps"].flatMap { reader.int($0, in: 1...10_000) }
        fault.wanDelayMilliseconds = keys["wan_delay_ms"].flatMap { reader.double($0, in: 0...2000) }
        fault.wanLossPercent = keys["wan_loss_pct"].flatMap { reader.double($0, in: 0...100) }
        if let field = keys["service_down"] {
            if case .sequence = field.node {
                fault.serviceDown = (reader.list(field) ?? []).compactMap { reader.nonEmptyString($0) }
            } else if let name = reader.nonEmptyString(field) {
                fault.serviceDown = [name]
            }
        }
        if let field = keys["dns"], let value = reader.string(field) {
            if value == "down" { fault.dnsDown = true } else { reader.report(.badEnumValue, "\"\(value)\" is not one of down", at: field) }
        }
        fault.certDaysLeft = keys["cert_days_left"].flatMap { reader.int($0, in: 0...3650) }
        if let field = keys["service"] {
            fault.certService = reader.nonEmptyString(field)
            if keys["cert_days_left"] == nil {
                reader.report(.badValue, "service names the service of cert_days_left, which this fault does not set", at: field)
            }
        }
        if let field = keys["agent"], let value = reader.string(field) {
            if value == "stopped" { fault.agentStopped = true } else { reader.report(.badEnumValue, "\"\(value)\" is not one of stopped", at: field) }
        }
        fault.clockSkewSeconds = keys["clock_skew_s"].flatMap { reader.int($0, in: -864_000...864_000) }
        guard reader.errors.count == errorsBefore else { return nil }
        if fault.kinds.isEmpty {
            reader.report(.missingKey, "a fault sets at least one of \(LabFileKeys.faultKinds.joined(separator: ", "))", at: field)
            return nil
        }
        if fault.agentStopped, fault.kinds.count > 1 {
            reader.report(.badValue, "agent: stopped contradicts \(fault.kinds.filter { $0 != "agent" }.joined(separator: ", ")): "
                          + "nothing is measured at a site whose agent is stopped", at: keys["agent"] ?? field)
        }
        return fault
    }

    private static func expectation(_ field: Field, _ reader: inout NodeReader) -> LabExpectation? {
        guard let keys = reader.mapping(field, allowed: LabFileKeys.expect, required: ["verdict"]),
              let verdictField = keys["verdict"], let verdict = reader.enumeration(verdictField, VerdictState.self) else { return nil }
        var reasons: [String] = []
        let errorsBefore = reader.errors.count
        if let field = keys["reasons"], let items = reader.list(field) {
            for item in items {
                guard let text = reader.nonEmptyString(item) else { continue }
                let code = String(text.split(separator: ":", maxSplits: 1).first ?? "")
                guard LabReasonCodes.all.contains(code) else {
                    reader.report(.badEnumValue, "\"\(code)\" is not a reason code; one of \(LabReasonCodes.all.joined(separator: ", "))", at: item)
                    continue
                }
                reasons.append(text)
            }
        }
        guard reader.errors.count == errorsBefore else { return nil }
        switch (verdict, reasons.isEmpty) {
        case (.ready, false):
            reader.report(.badValue, "a ready site has no reasons", at: keys["reasons"] ?? field)
            return nil
        case (.degraded, true), (.notReady, true), (.unknown, true):
            reader.report(.missingKey, "a \(verdict.rawValue) site has reasons: list them", at: field)
            return nil
        default:
            return LabExpectation(verdict: verdict, reasons: reasons)
        }
    }
}
