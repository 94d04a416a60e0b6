import Foundation
import ReadinessModel
import Yams

/// The inventory the lab's collector loads: the example inventory's files, with each profile's `throughput`
/// replaced by the lab window (the lab's iperf3 servers, always open, short tests) and, for a lab of some offices
/// only, the sites list cut to those offices. Pure: YAML text in, YAML text out.
public enum LabInventory {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    /// `text` (one inventory file) rewritten for the lab; a file with neither profiles nor sites comes back as it was.
    public static func rewrite(_ text: String, file: String, plan: LabPlan) throws(Failure) -> String {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw Failure(file: file, message: "\(error)") }
        guard let node, case .mapping(var top) = node else { return text }
        var changed = false
        if case .sequence(let profiles)? = top["profiles"] {
            top["profiles"] = Node(profiles.map { profile in
                guard case .mapping(var mapping) = profile else { return profile }
                mapping["throughput"] = throughputNode(plan)
                return .mapping(mapping)
            })
            changed = true
        }
        if case .sequence(let sites)? = top["sites"] {
            let wanted = Set(plan.offices.map(\.site.code))
            top["sites"] = Node(sites.filter { site in
                guard let code = site["code"]?.string else { return true }
                return wanted.contains(code) || site["has_office"]?.bool == false
            })
            changed = true
        }
        guard changed else { return text }
        do {
            return "# Made by sansang-lab from \(file) for the province lab: do not edit.\n"
                + (try Yams.serialize(node: .mapping(top), allowUnicode: true))
        } catch {
            throw Failure(file: file, message: "\(error)")
        }
    }

    /// The lab window: every lab iperf3 server, in order (a busy one is skipped), always open, short tests.
    static func throughputNode(_ plan: LabPlan) -> Node {
        let t = plan.lab.throughput
        let servers = Node(plan.iperfServers.map { Node("\($0):\(LabPlan.Province.iperfPort)") })
        return Node([
            (Node("servers"), Node([(Node("wan"), servers)])),
            (Node("duration_s"), Node("\(t.durationSeconds)")),
            (Node("parallel"), Node("\(t.parallel)")),
            (Node("directions"), Node([Node("upload"), Node("download")])),
            (Node("window_start"), Node("00:00", .implicit, .doubleQuoted)),
            (Node("window_end"), Node("00:00", .implicit, .doubleQuoted)),
            (Node("every_hours"), Node("\(t.everyHours)")),
        ])
    }
}

/// What the collector says about a site, as `sansang sites --json` prints it.
public struct LabObservation: Sendable, Hashable {
    public var code: String
    public var name: String
    public var formerDistrict: String
    public var state: VerdictState?
    public var reasons: [String]

    public init(code: String, name: String, formerDistrict: String, state: VerdictState?, reasons: [String]) {
        self.code = code
        self.name = name
        self.formerDistrict = formerDistrict
        self.state = state
        self.reasons = reasons
    }
}

/// The lab checking itself: every office's verdict and reasons against the lab file's expectation.
public struct LabCheck: Sendable, Hashable {
    public struct Mismatch: Sendable, Hashable {
        public var code: String
        public var expected: LabExpectation
        /// Nil: the collector does not list the site.
        public var observed: LabObservation?
    }

    public var mismatches: [Mismatch]
    public var checked: Int

    public var passed: Bool { mismatches.isEmpty }

    public init(plan: LabPlan, observations: [LabObservation]) {
        let byCode = Dictionary(observations.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        checked = plan.offices.count
        mismatches = plan.offices.compactMap { office in
            let observed = byCode[office.site.code]
            if let observed, observed.state == office.expect.verdict, Set(observed.reasons) == Set(office.expect.reasons) { return nil }
            return Mismatch(code: office.site.code, expected: office.expect, observed: observed)
        }
    }

    /// One line per mismatch: `20257 Phường Hòa Cường: expected not_ready [A, B], got degraded [A]`.
    public func lines() -> [String] {
        mismatches.map { m in
            let expected = "\(m.expected.verdict.rawValue) [\(m.expected.reasons.joined(separator: ", "))]"
            guard let o = m.observed else { return "\(m.code): expected \(expected), the collector does not list the site" }
            return "\(m.code) \(o.name): expected \(expected), got \(o.state?.rawValue ?? "none") [\(o.reasons.sorted().joined(separator: ", "))]"
        }
    }
}
