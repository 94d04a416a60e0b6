import Alerting
import Foundation
import ReadinessModel
import Testing

/// A rule with a trivial summary.
func rule(_ name: String = "r", _ condition: AlertCondition, for seconds: Int = 0, checks: Int = 1,
          severity: AlertSeverity = .warning, labels: [String: String] = [:]) -> AlertRule {
    AlertRule(name: name, condition: condition, forSeconds: seconds, forChecks: checks, severity: severity, labels: labels,
              summary: try! LocalizedTemplate(vietnamese: "{{site_name}}: {{reasons}}", english: "{{site_name}}: {{reasons}}"))
}

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

@Suite("Alert state machine")
struct AlertStateTests {
    let key = AlertKey(rule: "r", site: "20242")

    func match(_ at: Date?) -> ConditionMatch { ConditionMatch(evidenceAt: at, subjects: ["SERVICE_DOWN:vneid"]) }

    /// Steps an instance through (seconds after t0, evidence time or nil for "condition does not hold").
    func run(_ rule: AlertRule, _ steps: [(Int, Int?)]) -> [AlertInstance.State?] {
        var instance: AlertInstance?
        var states: [AlertInstance.State?] = []
        for (at, evidence) in steps {
            let now = t0.addingTimeInterval(Double(at))
            instance = AlertTransition.step(instance, rule: rule, key: key,
                                            match: evidence.map { match(t0.addingTimeInterval(Double($0))) }, now: now)
            states.append(instance?.state)
        }
        return states
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var forSeconds: Int
        var checks: Int
        var steps: [(Int, Int?)]
        var expected: [AlertInstance.State?]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "fires at once without for", forSeconds: 0, checks: 1, steps: [(0, 0)], expected: [.firing]),
        Case(name: "pending until for has passed", forSeconds: 600, checks: 1,
             steps: [(0, 0), (300, 300), (599, 599), (600, 600)], expected: [.pending, .pending, .pending, .firing]),
        Case(name: "pending dropped silently when the condition ends", forSeconds: 600, checks: 1,
             steps: [(0, 0), (300, nil), (900, 900)], expected: [.pending, nil, .pending]),
        Case(name: "firing resolves when the condition ends", forSeconds: 0, checks: 1,
             steps: [(0, 0), (60, 60), (120, nil)], expected: [.firing, .firing, .resolved]),
        Case(name: "resolved is kept an hour then forgotten", forSeconds: 0, checks: 1,
             steps: [(0, 0), (60, nil), (3000, nil), (3661, nil)], expected: [.firing, .resolved, .resolved, nil]),
        Case(name: "a new episode after resolution starts pending", forSeconds: 300, checks: 1,
             steps: [(0, 0), (300, 300), (360, nil), (400, 400), (700, 700)], expected: [.pending, .firing, .resolved, .pending, .firing]),
        Case(name: "two checks need two distinct measurements", forSeconds: 0, checks: 2,
             steps: [(0, 0), (60, 0), (3600, 0), (86400, 86400)], expected: [.pending, .pending, .pending, .firing]),
        Case(name: "for and checks must both hold", forSeconds: 600, checks: 2,
             steps: [(0, 0), (30, 30), (600, 30)], expected: [.pending, .pending, .firing]),
    ]

    @Test(arguments: cases)
    func transitions(_ c: Case) {
        #expect(run(rule("r", AlertCondition(), for: c.forSeconds, checks: c.checks), c.steps) == c.expected)
    }

    @Test func firingIsToldOnceAndResolutionOnlyAfterIt() {
        var instance = AlertInstance(key: key, state: .firing, activeSince: t0, checks: 1, lastEvidenceAt: t0, match: match(t0))
        #expect(AlertTransition.notice(for: instance, muted: false) == .firing)
        instance.notified = .firing
        #expect(AlertTransition.notice(for: instance, muted: false) == nil)
        instance.state = .resolved
        #expect(AlertTransition.notice(for: instance, muted: false) == .resolved)
        #expect(AlertTransition.notice(for: instance, muted: true) == .resolved, "a recovery is told even during a silence")
        instance.notified = .resolved
        #expect(AlertTransition.notice(for: instance, muted: false) == nil)
    }

    @Test func mutedFiringIsToldWhenTheMuteEndsAndItsResolutionNeverIfNeverTold() {
        var instance = AlertInstance(key: key, state: .firing, activeSince: t0, checks: 1, lastEvidenceAt: t0, match: match(t0))
        #expect(AlertTransition.notice(for: instance, muted: true) == nil)
        #expect(AlertTransition.notice(for: instance, muted: false) == .firing)
        instance.state = .resolved
        #expect(AlertTransition.notice(for: instance, muted: false) == nil, "nobody was told it fired")
    }
}
