import Alerting
import CollectorCore
import CollectorStore
import Foundation
import Logging
import Metrics
import Presentation
import ReadinessModel
import SansangAPI
import ServiceLifecycle
import Synchronization

/// The collector's alert engine: evaluates the rules of `alerts/*.yaml` on every office, persists each
/// instance's state and queues what receivers must be told, in one transaction per round, so that a restart
/// neither repeats nor loses a notification. Rules, routes and receivers can be replaced (SIGHUP).
public final class AlertEngine: Sendable {
    public let collector: Collector
    /// `sansang_alerts{state}` after every round, `sansang_alert_notifications_total{receiver,result}` per delivery.
    let metricsFactory: any MetricsFactory
    private let current: Mutex<AlertConfiguration>
    /// The offices' clock (`office_time_zone:`): alert times in messages, maintenance windows.
    public let timeZone: TimeZone
    private let logger: Logger
    /// Wakes the delivery service when a round queued something.
    let queued: AsyncStream<Void>
    private let queuedSink: AsyncStream<Void>.Continuation
    /// Each site's verdict and newest report's facts as last read, refreshed each round by what changed.
    let observed = ObservedSites()
    /// The alert instances as this process's last round committed them, with the leader term they belong to: only the
    /// leader writes instances, so within one term they are what the store holds, and a round need not read and decode
    /// every instance (one per site and rule that holds: most of a national fleet at times) again.
    private let committed = Mutex<(term: Int, instances: [AlertKey: AlertInstance])?>(nil)

    public init(collector: Collector, configuration: AlertConfiguration,
                timeZone: TimeZone = OfficeTime.zone, logger: Logger = Logger(label: "sansang.alerts"),
                metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.collector = collector
        self.metricsFactory = metricsFactory
        self.current = Mutex(configuration)
        self.timeZone = timeZone
        self.logger = logger
        (queued, queuedSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public var configuration: AlertConfiguration { current.withLock { $0 } }

    public func replaceConfiguration(_ configuration: AlertConfiguration) {
        current.withLock { $0 = configuration }
    }

    private var evaluator: AlertEvaluator { AlertEvaluator(rules: configuration.rules, timeZone: timeZone) }

    /// One round at `now`: every rule on every office, states advanced and stored, notices routed and queued.
    /// `leaderTerm`: the alert leader's term this round runs in (`AlertLeadership.term`); within one term the instances
    /// the previous round committed are used instead of reading them again. Nil: read them from the store.
    @discardableResult
    public func evaluate(now: Date = Date(), leaderTerm: Int? = nil) async throws -> AlertRound {
        let configuration = self.configuration
        let store = collector.store
        let offices = collector.inventory.offices
        let kept = committed.withLock { $0 }.flatMap { $0.term == leaderTerm ? $0.instances : nil }
        async let stored = kept == nil ? store.alertInstances() : []
        async let silences = store.silences(endingAfter: now)
        let sites = try await observed.refresh(from: store)
        let previous: [AlertKey: AlertInstance]
        if let kept {
            previous = kept
        } else {
            previous = Dictionary(try await stored.map { ($0.key, $0) }) { a, _ in a }
        }
        let observations = offices.map { office in
            let site = sites[office.code]
            return SiteObservation(site: office, verdict: site?.verdict, latest: site?.latest,
                                   lastReceivedAt: site?.received?.receivedAt)
        }
        let round = AlertEvaluator(rules: configuration.rules, timeZone: timeZone)
            .evaluate(observations, previous: previous, silences: try await silences, now: now)
        let changed = round.instances.values.filter { previous[$0.key] != $0 }.sorted { $0.key < $1.key }
        let groups = configuration.route(round.notices)
        do {
            try await store.commitAlertRound(upsert: changed, remove: round.removed, groups: groups, now: now)
        } catch {
            committed.withLock { $0 = nil }
            throw error
        }
        // What the store holds now: every instance the round kept (the others are removed).
        committed.withLock { $0 = leaderTerm.map { ($0, round.instances) } }
        for notice in round.notices {
            logger.info("alert \(notice.state.rawValue)", metadata: [
                "rule": "\(notice.rule)", "site": "\(notice.site)", "severity": "\(notice.severity.rawValue)",
            ])
        }
        if !round.notices.isEmpty, groups.isEmpty {
            logger.warning("no route takes these alerts: nobody is told", metadata: ["alerts": "\(round.notices.count)"])
        }
        if !groups.isEmpty { queuedSink.yield() }
        let states = round.instances.values.map(\.state)
        for state in AlertInstance.State.allCases {
            Gauge(label: "sansang_alerts", dimensions: [("state", state.rawValue)], factory: metricsFactory)
                .record(states.count { $0 == state })
        }
        Gauge(label: "sansang_alerts", dimensions: [("state", "muted")], factory: metricsFactory).record(round.muted.count)
        return round
    }

    /// The alerts to list (API, CLI): pending and firing, and resolved ones still kept, newest first.
    public func alerts(now: Date = Date(), language: Language = .vi) async throws -> [AlertBody] {
        let silences = try await collector.store.silences(endingAfter: now)
        return try await described().map { instance, rule, site, notice in
            let muted = instance.state != .resolved && evaluator.isMuted(rule: rule, site: site, silences: silences, now: now)
            return AlertBody(rule: rule.name, site: site.code, siteName: site.name, state: instance.state.rawValue,
                             severity: rule.severity.rawValue, muted: muted, labels: notice.labels,
                             summary: notice.summary(language), subjects: instance.match.subjects, value: instance.match.value,
                             activeSince: instance.activeSince, firedAt: instance.firedAt, resolvedAt: instance.resolvedAt)
        }.sorted { ($0.firedAt ?? $0.activeSince, $0.rule, $0.site) > ($1.firedAt ?? $1.activeSince, $1.rule, $1.site) }
    }

    /// Firing alerts receivers were told of, as notices (Alertmanager needs them sent again and again).
    func firingNotices() async throws -> [AlertNotice] {
        try await described().filter { $0.instance.state == .firing && $0.instance.notified == .firing }.map(\.notice)
    }

    /// Every stored instance whose rule and site still exist, with its notice (labels, summaries).
    private func described() async throws -> [(instance: AlertInstance, rule: AlertRule, site: Site, notice: AlertNotice)] {
        let evaluator = self.evaluator
        let rules = Dictionary(evaluator.rules.map { ($0.name, $0) }) { a, _ in a }
        let inventory = collector.inventory
        let instances = try await collector.store.alertInstances()
        let verdicts = try await collector.store.verdicts(sites: Array(Set(instances.map(\.key.site))))
        return instances.compactMap { instance in
            guard let rule = rules[instance.key.rule], let site = inventory.site(code: instance.key.site) else { return nil }
            return (instance, rule, site, evaluator.notice(instance, rule: rule, site: site, verdict: verdicts[site.code]))
        }
    }
}

/// Evaluates the alert rules every `interval` (at start too) until shutdown, and soon after a verdict change: within
/// `changePoll`, but never sooner than `changeGap` after the last round, so that a fleet whose verdicts change all the
/// time pays a round (which reads every site's version columns) every `changeGap` at most, not every poll. A site that
/// turns ready again is resolved within seconds, not at the next round. Changes are seen in the store's newest
/// transition id, so a change ingested by another replica counts too; `for` durations and staleness, which only
/// time moves, wait for the interval.
/// Among replicas only the alert leader evaluates (`leadership`; nil: this process always does).
public struct AlertEvaluationService: Service {
    public let engine: AlertEngine
    public let interval: Duration
    public let changePoll: Duration
    public let changeGap: Duration
    public let leadership: AlertLeadership?
    private let logger: Logger

    public init(engine: AlertEngine, interval: Duration, changePoll: Duration = .seconds(1), changeGap: Duration = .seconds(5),
                leadership: AlertLeadership? = nil, logger: Logger = Logger(label: "sansang.alerts")) {
        self.engine = engine
        self.interval = interval
        self.changePoll = changePoll
        self.changeGap = changeGap
        self.leadership = leadership
        self.logger = logger
    }

    public func run() async throws {
        let store = engine.collector.store
        await cancelWhenGracefulShutdown {
            var lastRound: ContinuousClock.Instant?
            var evaluatedUpTo: Int64?
            while !Task.isCancelled {
                if leadership?.isLeader ?? true {
                    // A store that cannot answer is no change; the interval's round still runs (and logs why it fails).
                    let newest = try? await store.latestTransitionID()
                    // Shutdown may have begun during that read (its error swallowed above): no round is started then.
                    if Task.isCancelled { return }
                    let changed = newest.map { $0 != evaluatedUpTo } ?? false
                    let since = lastRound.map { ContinuousClock.now - $0 }
                    if since.map({ $0 >= interval || (changed && $0 >= changeGap) }) ?? true {
                        lastRound = .now
                        do {
                            try await engine.evaluate(leaderTerm: leadership?.term ?? 0)
                            if let newest { evaluatedUpTo = newest }
                        } catch {
                            logger.error("alert evaluation failed", metadata: ["error": "\(error)"])
                        }
                    }
                } else {
                    lastRound = nil  // on becoming the leader: a round at once
                }
                do { try await Task.sleep(for: changePoll) } catch { return }
            }
        }
    }
}
