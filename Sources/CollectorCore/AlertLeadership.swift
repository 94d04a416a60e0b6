import Metrics
import Synchronization

/// Whether this collector is the alert leader: the one replica that evaluates alert rules and sends notifications
/// (docs/scale-out.md). On SQLite the one process is the leader from the start; on PostgreSQL an election service
/// (`PostgresLeaderElection`) holds a session-level advisory lock and says so here. `/metrics` shows it as
/// `sansang_alert_leader` (1 on the leader, 0 elsewhere).
public final class AlertLeadership: Sendable {
    private let leader: Mutex<(isLeader: Bool, term: Int)>
    private let gauge: Gauge

    public init(leader: Bool, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.leader = Mutex((leader, leader ? 1 : 0))
        gauge = Gauge(label: "sansang_alert_leader", factory: metricsFactory)
        gauge.record(leader ? 1 : 0)
    }

    public var isLeader: Bool { leader.withLock { $0.isLeader } }

    /// How many times this process became the leader: what it kept in memory as leader (its alert instances) is
    /// valid only within one term, since another replica may have led in between.
    public var term: Int { leader.withLock { $0.term } }

    /// Records a change; returns whether it was one.
    @discardableResult
    public func set(_ isLeader: Bool) -> Bool {
        let changed = leader.withLock { value in
            defer { value.isLeader = isLeader }
            if isLeader, !value.isLeader { value.term += 1 }
            return value.isLeader != isLeader
        }
        gauge.record(isLeader ? 1 : 0)
        return changed
    }
}
