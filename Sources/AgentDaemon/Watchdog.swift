import Synchronization

/// What the systemd watchdog is fed from: the agent's loops (reporter, sender) say when they start a step
/// and when they wait. A loop waiting is healthy; a loop in one step for longer than its limit is stuck, and
/// then the watchdog is no longer fed, so that systemd restarts the agent (`WatchdogSec` later).
public final class AgentProgress: Sendable {
    public struct Stall: Sendable, Hashable, CustomStringConvertible {
        public var loop: String
        public var step: String
        public var busyFor: Duration

        public var description: String { "\(loop) stuck in \(step) for \(busyFor.inSeconds.rounded()) s" }
    }

    struct Activity {
        var limit: Duration
        var step: String?
        var since: ContinuousClock.Instant?
    }

    private let activities = Mutex<[String: Activity]>([:])

    public init() {}

    /// Declares `loop`, which must never spend more than `limit` in one step.
    public func register(_ loop: String, limit: Duration) {
        activities.withLock { $0[loop] = Activity(limit: limit) }
    }

    /// `loop` starts `step` (work that must end within the loop's limit).
    public func busy(_ loop: String, _ step: String, at now: ContinuousClock.Instant = .now) {
        activities.withLock { all in
            all[loop, default: Activity(limit: .seconds(300))].step = step
            all[loop, default: Activity(limit: .seconds(300))].since = now
        }
    }

    /// `loop` waits (for its next interval, for work, for a backoff): healthy however long it lasts.
    public func idle(_ loop: String) {
        activities.withLock { all in
            all[loop]?.step = nil
            all[loop]?.since = nil
        }
    }

    /// The loops stuck at `now`, if any.
    public func stalls(at now: ContinuousClock.Instant = .now) -> [Stall] {
        activities.withLock { all in
            all.compactMap { name, activity -> Stall? in
                guard let since = activity.since, let step = activity.step, now - since > activity.limit else { return nil }
                return Stall(loop: name, step: step, busyFor: now - since)
            }.sorted { $0.loop < $1.loop }
        }
    }
}
