import CollectorCore
import Foundation
import Logging
import Metrics
import ReadinessMIB
import ReadinessModel
import ServiceLifecycle
import SNMP
import SansangAPI
import SNMPReporting
import Synchronization

/// The SNMP notification receiver (docs/snmp-notifications.md): accepted notifications become events on
/// their site (and stand in for its verdict while HTTP reports are missing); everything refused is counted by
/// reason in `sansang_snmp_notifications_rejected_total`.
public struct NotificationIntakeService: Service {
    public let collector: Collector
    public let settings: CollectorConfiguration.SNMPSettings
    private let logger: Logger
    private let factory: any MetricsFactory

    public init(collector: Collector, settings: CollectorConfiguration.SNMPSettings, logger: Logger = Logger(label: "sansang.snmp"),
                metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.collector = collector
        self.settings = settings
        self.logger = logger
        self.factory = metricsFactory
    }

    /// Opens the receiver (before the service group runs, so that a bad address or user stops the start).
    public func start() async throws(SNMPError) -> NotificationReceiver {
        var configuration = NotificationReceiverConfiguration()
        configuration.listen = settings.listen
        configuration.engineID = settings.engineID
        configuration.users = settings.users.map { NotificationUser($0.security, trapEngineIDs: $0.trapEngineIDs) }
        configuration.communities = settings.communities.map(\.community)
        return try await NotificationReceiver.start(configuration)
    }

    public func run() async throws {
        let receiver = try await start()
        logger.info("SNMP notification receiver listening", metadata: [
            "address": "\(receiver.address)", "engine_id": "\(receiver.engineID.map { String(format: "%02x", $0) }.joined())",
            "users": "\(settings.users.count)", "communities": "\(settings.communities.count)",
        ])
        let intake = NotificationIntake(settings: settings)
        // Accepted notifications wait here for the storer, which takes all that wait in one transaction: under a
        // flood the batches grow, and the rate is not bounded by one fsync per notification.
        let waiting = WaitingNotifications(limit: Self.waitingLimit)
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let mirror = Task { await mirrorReceiverCounters(receiver) }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in wakes {
                        let batch = waiting.takeAll()
                        if !batch.isEmpty { await store(batch) }
                    }
                }
                for await received in receiver.notifications {
                    switch intake.accept(received, inventory: collector.inventory) {
                    case .success(let notification):
                        if waiting.append(notification) { wake.yield() } else { rejected(NotificationRejection.overflow.rawValue).increment() }
                    case .failure(let reason):
                        rejected(reason.rawValue).increment()
                        logger.notice("SNMP notification refused", metadata: [
                            "reason": "\(reason.rawValue)", "source": "\(received.source)", "sender": "\(received.sender)",
                        ])
                    }
                }
                // The receiver stopped: the storer takes what still waits, then ends.
                wake.yield()
                wake.finish()
            }
        } onGracefulShutdown: {
            Task { await receiver.stop() }
        }
        await receiver.stop()
        mirror.cancel()
    }

    /// Accepted notifications waiting to be stored; beyond this they are dropped and counted as `overflow`.
    static let waitingLimit = 10_000

    private func store(_ batch: [SiteNotification]) async {
        do {
            try await collector.acceptNotifications(batch)
            Counter(label: "sansang_snmp_notifications_accepted_total", factory: factory).increment(by: batch.count)
        } catch {
            logger.error("cannot store notifications", metadata: ["count": "\(batch.count)", "error": "\(error)"])
        }
    }

    private func rejected(_ reason: String) -> Counter {
        Counter(label: "sansang_snmp_notifications_rejected_total", dimensions: [("reason", reason)], factory: factory)
    }

    /// The receiver counts what it refuses itself (before anything reaches us): carry its counts to /metrics.
    private func mirrorReceiverCounters(_ receiver: NotificationReceiver) async {
        var reported: [NotificationRejection: Int] = [:]
        while !Task.isCancelled {
            for (reason, count) in receiver.rejections() where count > reported[reason, default: 0] {
                rejected(reason.rawValue).increment(by: count - reported[reason, default: 0])
                reported[reason] = count
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

/// Accepted notifications between the receiver's loop and the storer.
private final class WaitingNotifications: Sendable {
    private let pending = Mutex<[SiteNotification]>([])
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// False when `limit` are already waiting.
    func append(_ notification: SiteNotification) -> Bool {
        pending.withLock { pending in
            guard pending.count < limit else { return false }
            pending.append(notification)
            return true
        }
    }

    func takeAll() -> [SiteNotification] {
        pending.withLock { pending in
            defer { pending = [] }
            return pending
        }
    }
}

/// Tells the NOC's managers of every site verdict change, with the collector's own INFORM or TRAP. Each target's
/// queue is kept on disk (`forward_queue_directory`) and bounded (`forward_queue_limit`); what it gives up is
/// logged and counted in `sansang_snmp_forward_undelivered_total{target}`.
public struct NotificationForwardingService: Service {
    public let collector: Collector
    public let settings: CollectorConfiguration.SNMPSettings
    private let logger: Logger
    private let factory: any MetricsFactory

    public init(collector: Collector, settings: CollectorConfiguration.SNMPSettings, logger: Logger = Logger(label: "sansang.snmp"),
                metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.collector = collector
        self.settings = settings
        self.logger = logger
        self.factory = metricsFactory
    }

    public func run() async throws {
        let senders = settings.forward.map { NotificationSender(target: $0, policy: settings.forwardDelivery, logger: logger) }
        let mib = ReadinessMIB(root: settings.oidRoot)
        let started = ContinuousClock.now
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for sender in senders { group.addTask { await sender.run() } }
                group.addTask { await mirrorCounters(senders) }
                for await event in collector.transitionEvents {
                    let content = ReadinessNotification(
                        kind: .verdictChange, verdict: event.verdict, previous: event.transition.from,
                        agentVersion: "sansang-collector \(SansangVersion.current)")
                    let notification = mib.notification(content, uptime: ContinuousClock.now - started)
                    for sender in senders { await sender.enqueue(notification) }
                }
            }
        }
    }

    /// Each target's counters in /metrics: acknowledged and given up (counters), waiting (a gauge).
    private func mirrorCounters(_ senders: [NotificationSender]) async {
        var reported: [String: (acknowledged: Int, undelivered: Int)] = [:]
        while !Task.isCancelled {
            for sender in senders {
                let counters = await sender.counters, name = sender.target.name
                let dimensions = [("target", name)]
                let last = reported[name] ?? (0, 0)
                if counters.acknowledged > last.acknowledged {
                    Counter(label: "sansang_snmp_forward_acknowledged_total", dimensions: dimensions, factory: factory)
                        .increment(by: counters.acknowledged - last.acknowledged)
                }
                if counters.undelivered > last.undelivered {
                    Counter(label: "sansang_snmp_forward_undelivered_total", dimensions: dimensions, factory: factory)
                        .increment(by: counters.undelivered - last.undelivered)
                }
                Gauge(label: "sansang_snmp_forward_pending", dimensions: dimensions, factory: factory).record(counters.pending)
                reported[name] = (counters.acknowledged, counters.undelivered)
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
