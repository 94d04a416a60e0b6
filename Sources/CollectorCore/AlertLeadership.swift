import Metrics
import Synchronization

/// Whether this collector is the alert leader: the one replica that evaluates alert rules and sends notifications
/// (docs/scale-out.md). On SQLite the one process is the leader from the start; on PostgreSQL an election service
/// (`PostgresLeaderElection`) holds a session-level advisory lock and says so here. `/metrics` shows it as
/// `sansang_alert_leader` (1 on the leader, 0 elsewhere).
public final class AlertLeadership: Sendable {
    private let leader: Mutex<Bool>
    private let gauge: Gauge

    public init(leader: Bool, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.leader = Mutex(leader)
        gauge = Gauge(label: "sansang_alert_leader", factory: metricsFactory)
        gauge.record(leader ? 1 : 0)
    }

    public var isLeader: Bool { leader.withLock { $0 } }

    /// Records a change; returns whether it was one.
    @discardableResult
    public func set(_ isLeader: Bool) -> Bool {
        let changed = leader.withLock { value in
            defer { value = isLeader }
            return value != isLeader
        }
        gauge.record(isLeader ? 1 : 0)
        return changed
    }
}
