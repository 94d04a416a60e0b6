import AgentProbes
import Foundation
import Logging
import ReadinessModel
import SansangAPI
import ServiceLifecycle
import Spool
import SystemSupport

/// Sleeps, returning early (without throwing) on cancellation or graceful shutdown.
func pause(_ duration: Duration) async {
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}

/// Fetches the plan at start and every `planRefresh`, keeps it in `holder` and caches it on disk.
struct PlanService: Service {
    let client: CollectorClient
    let holder: PlanHolder
    let cacheFile: URL
    let refresh: Duration
    let retry: Backoff
    let logger: Logger

    func run() async throws {
        var backoff = retry
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let cached = await holder.current
            do {
                switch try await cancelWhenGracefulShutdown({ try await client.fetchPlan(etag: cached?.etag) }) {
                case .notModified:
                    logger.debug("plan unchanged", metadata: ["version": "\(cached?.plan.version ?? "")"])
                case .plan(let plan, let etag):
                    let fresh = CachedPlan(etag: etag, fetchedAt: Date(), plan: plan)
                    await holder.set(fresh)
                    if cached?.plan != plan {
                        logger.info("new plan", metadata: ["version": "\(plan.version)", "profile": "\(plan.profile.name)",
                                                          "interval_s": "\(plan.reportIntervalSeconds)"])
                    }
                    do { try await fresh.saveOffPool(cacheFile) } catch {
                        logger.error("cannot cache the plan", metadata: ["file": "\(cacheFile.path)", "error": "\(error)"])
                    }
                }
                backoff.reset()
                await pause(refresh)
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                let wait = backoff.next()
                if let cached {
                    logger.warning("cannot fetch the plan; running on the cached plan",
                                   metadata: ["error": "\(error)", "version": "\(cached.plan.version)", "retry_in_s": "\(wait.inSeconds)"])
                } else {
                    logger.error("no plan yet: the collector cannot be reached and no plan is cached; not reporting until one arrives",
                                 metadata: ["error": "\(error)", "retry_in_s": "\(wait.inSeconds)"])
                }
                await pause(min(wait, refresh))
            }
        }
    }
}

/// Every report interval: gathers the evidence, builds a report and spools it durably, then wakes the sender.
struct ReporterService: Service {
    let site: String
    let identity: AgentIdentity
    let bootStartedAt: Date
    let holder: PlanHolder
    let gatherer: LinkEvidenceGatherer
    let spool: Spool
    let intervalOverride: Duration?
    let results: LatestResults
    let notifier: AgentNotifier?
    let wake: @Sendable () -> Void
    var metrics: AgentMetrics?
    var progress: AgentProgress? = nil
    let logger: Logger

    func run() async throws {
        guard let first = try? await cancelWhenGracefulShutdown({ try await holder.first() }) else { return }
        // Jitter on the start, so that offices restarted together do not report in step.
        await pause(interval(first.plan) * Double.random(in: 0...0.5))
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            guard let plan = await holder.current?.plan else { return }
            let started = ContinuousClock.now
            progress?.busy("reporter", "gathering and spooling a report", at: started)
            // From the spool, never a local counter: a seq given to the spool is used up even when storing
            // the report failed (it is then reported as a gap), so no seq can name two reports.
            let seq = await spool.nextSeq(bootId: identity.bootId)
            let evidence = await gatherer.gather(profile: plan.profile)
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            metrics?.probe("link_evidence", kind: "lan", ok: true, seconds: (ContinuousClock.now - started).inSeconds)
            let every = interval(plan)
            let services = await results.services(for: plan.profile)
            var report = Report(site: site, agent: identity, seq: seq, generatedAt: Date(),
                                intervalSeconds: max(1, Int(every.inSeconds.rounded(.up))),
                                links: await results.links(evidence.links, for: plan.profile), services: services.results,
                                clock: services.clock)
            report.snmpNotifications = await notifier?.counters()
            if let metrics {
                for result in report.services {
                    metrics.probe(result.name, kind: result.kind.rawValue, ok: result.ok,
                                  seconds: result.totalMilliseconds.map { $0 / 1000 }, at: result.checkedAt)
                }
                for link in report.links {
                    guard let measurement = link.throughput else { continue }
                    metrics.probe("throughput_\(link.role.rawValue)", kind: "throughput", ok: measurement.error == nil, seconds: nil,
                                  at: measurement.measuredAt)
                }
            }
            do {
                let spooled = try await spool.append(report, bootStartedAt: bootStartedAt)
                if let gap = spooled.gap {
                    logger.warning("report carries a gap", metadata: ["count": "\(gap.count)", "first_seq": "\(gap.firstSeq)",
                                                                      "last_seq": "\(gap.lastSeq)"])
                }
                wake()
                await notifier?.observe(report, plan: plan)
            } catch {
                logger.error("cannot spool the report", metadata: ["seq": "\(seq)", "error": "\(error)"])
            }
            progress?.idle("reporter")
            let elapsed = ContinuousClock.now - started
            await pause(max(.zero, every - elapsed))
        }
    }

    func interval(_ plan: AgentPlan) -> Duration {
        intervalOverride ?? .seconds(max(1, plan.reportIntervalSeconds))
    }
}

/// Drains the spool oldest first, in batches, removing exactly what the collector acknowledges.
struct SenderService: Service {
    let client: CollectorClient
    let spool: Spool
    let batchSize: Int
    let backoff: Backoff
    let wakeups: WakeSignal
    var metrics: AgentMetrics?
    var progress: AgentProgress? = nil
    let logger: Logger

    func run() async throws {
        var backoff = backoff
        var limit = batchSize
        // Reports left to send one at a time after a batch was refused.
        var singles = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            // Busy from reading the spool to the end of the outcome's spool work; idle in every wait.
            progress?.busy("sender", "sending a batch")
            let batch: [Spool.Item]
            do {
                batch = try await spool.peekBatch(max: limit)
            } catch {
                logger.error("cannot read the spool", metadata: ["error": "\(error)"])
                progress?.idle("sender")
                await pause(backoff.next())
                continue
            }
            if batch.isEmpty {
                // Until a new report is spooled, or shutdown.
                progress?.idle("sender")
                await cancelWhenGracefulShutdown { await wakeups.wait() }
                continue
            }
            let keys = batch.map(\.key)
            let outcome: BatchDisposition
            metrics?.sent(batch.count)
            do {
                let answer = try await client.post(ReportBatch(reports: batch.map(\.report)))
                outcome = BatchDisposition.classify(status: answer.status, body: answer.body, sent: keys)
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                outcome = .retry(String(describing: error))
            }
            switch outcome {
            case .acknowledged(let acknowledged):
                do {
                    try await spool.remove(keys: acknowledged)
                } catch {
                    logger.error("cannot remove acknowledged reports", metadata: ["error": "\(error)"])
                }
                logger.debug("batch acknowledged", metadata: ["count": "\(acknowledged.count)"])
                metrics?.acknowledged(acknowledged.count)
                backoff.reset()
                singles = max(0, singles - 1)
                if singles == 0 { limit = batchSize }
            case .rejected(let code, let message):
                if batch.count > 1 {
                    // Find the report the collector refuses: send the reports of that batch one at a time.
                    logger.warning("batch refused; sending its reports one at a time", metadata: ["code": "\(code)"])
                    limit = 1
                    singles = batch.count
                    continue
                }
                singles = 0
                limit = batchSize
                logger.error("report rejected for good; moved to the spool's rejected/ directory",
                             metadata: ["boot_id": "\(keys[0].bootId)", "seq": "\(keys[0].seq)", "code": "\(code)", "message": "\(message)"])
                try? await spool.reject(key: keys[0], reason: "\(code): \(message)")
                metrics?.rejected(1)
            case .retry(let reason):
                let wait = backoff.next()
                let pending = await spool.status().depth
                logger.warning("send failed; will retry", metadata: ["reason": "\(reason)", "retry_in_s": "\(wait.inSeconds)",
                                                                     "pending": "\(pending)"])
                try? await spool.recordError(reason)
                progress?.idle("sender")
                await pause(wait)
            }
        }
    }
}

/// READY=1 once armed (config, spool and a plan), STOPPING=1 on shutdown, and WATCHDOG=1 at half of
/// WATCHDOG_USEC only while the agent makes progress: no loop in `progress` stuck in one step beyond its
/// limit. A stuck loop stops the pings (logged once), so systemd restarts the agent.
struct SystemdService: Service {
    let notifier: SystemdNotifier
    let holder: PlanHolder
    let progress: AgentProgress
    var logger = Logger(label: "sansang-agent")

    func run() async throws {
        notifier.notify("STATUS=waiting for a plan")
        try? await withGracefulShutdownHandler {
            try await cancelWhenGracefulShutdown {
                async let watchdog: Void = feedWatchdog()
                let plan = try await holder.first()
                notifier.notify("READY=1\nSTATUS=reporting on plan \(plan.plan.version)")
                logger.info("armed", metadata: ["plan": "\(plan.plan.version)"])
                try await watchdog
            }
        } onGracefulShutdown: {
            notifier.notify("STOPPING=1")
        }
    }

    /// Fed from the start: waiting for a plan is not a hang (the loops are idle), a loop stuck is.
    func feedWatchdog() async throws {
        guard let interval = notifier.watchdogInterval else {
            try await gracefulShutdown()
            return
        }
        var stalled = false
        while true {
            let stalls = progress.stalls()
            if stalls.isEmpty {
                if stalled { logger.notice("progress again; feeding the systemd watchdog") }
                notifier.notify("WATCHDOG=1")
            } else if !stalled {
                logger.error("not feeding the systemd watchdog: the agent is stuck",
                             metadata: ["stalls": "\(stalls.map(\.description).joined(separator: "; "))"])
                notifier.notify("STATUS=stuck: \(stalls.map(\.description).joined(separator: "; "))")
            }
            stalled = !stalls.isEmpty
            try await Task.sleep(for: interval)
        }
    }
}
