import Foundation
import Logging
import ReadinessMIB
import ReadinessModel
import SansangAPI
import ServiceLifecycle
import SNMP
import SNMPReporting

/// The agent's SNMP notifications (docs/snmp-notifications.md): after each report it judges its own site with
/// the plan's profile, as the collector will, and queues a verdict-change notification to every target when the
/// verdict or its reasons changed; a heartbeat repeats the current verdict. Queueing never waits for the
/// network: each target's sender retries on its own, beside the HTTP path.
actor AgentNotifier {
    let senders: [NotificationSender]
    let mib: ReadinessMIB
    private let evaluator = ReadinessEvaluator()
    private let startedAt = ContinuousClock.now
    private var current: (report: Report, verdict: SiteVerdict, profile: Profile)?

    /// `directory`: where each target's queue is kept (one subdirectory per target) so a restart loses none.
    init(configuration: AgentConfiguration.Notifications, directory: URL?, logger: Logger) {
        var policy = configuration.delivery
        policy.directory = directory
        senders = configuration.targets.map { NotificationSender(target: $0, policy: policy, logger: logger) }
        mib = ReadinessMIB(root: configuration.oidRoot)
    }

    /// Summed over the targets, for the next report.
    func counters() async -> NotificationCounters {
        var total = NotificationCounters()
        for sender in senders {
            let counters = await sender.counters
            total.queued += counters.queued
            total.acknowledged += counters.acknowledged
            total.undelivered += counters.undelivered
            total.pending += counters.pending
        }
        return total
    }

    /// Judges a report just spooled; queues a verdict change when there is one (the first report is one).
    func observe(_ report: Report, plan: AgentPlan) async {
        guard let verdict = evaluator.evaluate(site: plan.site, profile: plan.profile, latest: report, now: report.generatedAt)
        else { return }
        let previous = current?.verdict
        current = (report, verdict, plan.profile)
        guard previous.map({ isChange(from: $0, to: verdict) }) ?? true else { return }
        await send(.verdictChange, previous: previous?.state)
    }

    /// Repeats the current verdict (nothing before the first report).
    func heartbeat() async {
        await send(.heartbeat, previous: nil)
    }

    private func send(_ kind: ReadinessNotification.Kind, previous: VerdictState?) async {
        guard let current else { return }
        let content = ReadinessNotification(kind: kind, report: current.report, verdict: current.verdict, previous: previous,
                                            profile: current.profile, undeliveredInforms: await counters().undelivered)
        let notification = mib.notification(content, uptime: ContinuousClock.now - startedAt)
        for sender in senders { await sender.enqueue(notification) }
    }

    private func isChange(from old: SiteVerdict, to new: SiteVerdict) -> Bool {
        old.state != new.state || Set(old.reasons.map(\.key)) != Set(new.reasons.map(\.key))
    }
}

/// Runs each target's sender and the heartbeat until shutdown.
struct NotificationService: Service {
    let notifier: AgentNotifier
    let heartbeat: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for sender in notifier.senders {
                    group.addTask { await sender.run() }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: heartbeat)
                        if Task.isCancelled { return }
                        await notifier.heartbeat()
                    }
                }
            }
        }
    }
}
