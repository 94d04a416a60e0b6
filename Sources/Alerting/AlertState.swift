import Foundation

/// Which rule on which site: an alert instance.
public struct AlertKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var rule: String
    public var site: String

    public init(rule: String, site: String) {
        self.rule = rule
        self.site = site
    }

    public static func < (a: AlertKey, b: AlertKey) -> Bool { (a.rule, a.site) < (b.rule, b.site) }
    public var description: String { "\(rule)/\(site)" }
}

/// One alert instance as persisted: pending → firing → resolved. An instance whose condition stops
/// holding while pending is dropped without a word; a resolved one is kept a while for the API.
public struct AlertInstance: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case pending
        case firing
        case resolved
    }

    public var key: AlertKey
    public var state: State
    /// When the condition started holding (this episode).
    public var activeSince: Date
    public var firedAt: Date?
    public var resolvedAt: Date?
    /// Distinct measurements that showed the condition this episode, and the newest one's time.
    public var checks: Int
    public var lastEvidenceAt: Date?
    /// What made the condition hold, as last seen.
    public var match: ConditionMatch
    /// The last state the receivers were told of (nil: nothing yet). A firing alert that was muted when it
    /// fired is told once the mute ends; a resolution is told only when the firing was.
    public var notified: State?

    public init(key: AlertKey, state: State, activeSince: Date, firedAt: Date? = nil, resolvedAt: Date? = nil, checks: Int,
                lastEvidenceAt: Date?, match: ConditionMatch, notified: State? = nil) {
        self.key = key
        self.state = state
        self.activeSince = activeSince
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.checks = checks
        self.lastEvidenceAt = lastEvidenceAt
        self.match = match
        self.notified = notified
    }
}

/// The state machine of one alert instance: pure, no clock of its own.
public enum AlertTransition {
    /// How long a resolved instance stays listed before it is forgotten.
    public static let resolvedRetentionSeconds: TimeInterval = 3600

    /// The instance after one evaluation at `now`; nil when there is nothing to keep.
    public static func step(_ instance: AlertInstance?, rule: AlertRule, key: AlertKey, match: ConditionMatch?, now: Date)
        -> AlertInstance? {
        guard let match else {
            switch instance?.state {
            case .firing?:
                var resolved = instance!
                resolved.state = .resolved
                resolved.resolvedAt = now
                return resolved
            case .resolved?:
                return now.timeIntervalSince(instance!.resolvedAt ?? now) < resolvedRetentionSeconds ? instance : nil
            case .pending?, nil:
                return nil
            }
        }
        var current: AlertInstance
        if let instance, instance.state != .resolved {
            current = instance
            if match.evidenceAt != current.lastEvidenceAt {
                current.checks += 1
                current.lastEvidenceAt = match.evidenceAt
            }
            current.match = match
        } else {
            // A new episode; a resolved instance's notification memory carries over so that a mute stays honest.
            current = AlertInstance(key: key, state: .pending, activeSince: now, checks: 1, lastEvidenceAt: match.evidenceAt,
                                    match: match, notified: instance?.notified)
        }
        if current.state == .pending, now.timeIntervalSince(current.activeSince) >= Double(rule.forSeconds),
           current.checks >= rule.forChecks {
            current.state = .firing
            current.firedAt = now
        }
        return current
    }

    /// What the receivers must be told about an instance now, if anything: its firing (unless muted) or its
    /// resolution (when its firing was told). Call after `step`; mark the instance with `told`.
    public static func notice(for instance: AlertInstance, muted: Bool) -> AlertInstance.State? {
        switch instance.state {
        case .firing where !muted && instance.notified != .firing: .firing
        case .resolved where instance.notified == .firing: .resolved
        default: nil
        }
    }
}
