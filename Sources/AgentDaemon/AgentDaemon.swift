import AgentProbes
import AsyncHTTPClient
import Foundation
import Logging
import ReadinessModel
import ServiceLifecycle
import Spool
import Synchronization
import SystemSupport

/// `sansang-agent run`: the plan, reporter, sender and systemd services in one ServiceGroup.
public enum AgentDaemon {
    /// A problem that stops the daemon before it runs: a stable code, a message, the cause.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        public var code: String
        public var message: String
        public var cause: String?
        public var description: String { cause.map { "\(message): \($0)" } ?? message }
    }

    /// Runs until SIGTERM or SIGINT; returns after a graceful shutdown (state flushed, spool intact).
    public static func run(configuration: AgentConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        var logger = Logger(label: "sansang-agent")
        logger.logLevel = environment["SANSANG_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info

        do {
            _ = try CollectorClient.readToken(configuration.collector.tokenFile)
        } catch {
            throw StartError(code: error.code, message: error.message)
        }
        let spool: Spool
        do {
            spool = try Spool(directory: configuration.spoolDirectory, bounds: configuration.spool)
        } catch {
            throw StartError(code: "spool", message: "cannot open the spool", cause: error.description)
        }
        let opened = await spool.status()
        logger.info("spool opened", metadata: [
            "directory": "\(opened.directory)", "depth": "\(opened.depth)", "corrupt": "\(opened.corruptRecords)",
            "interrupted_writes": "\(opened.interruptedWrites)", "dropped": "\(opened.droppedReports)",
        ])
        if let rebuilt = await spool.rebuiltOnOpen {
            logger.warning("spool state rebuilt", metadata: ["detail": "\(rebuilt)"])
        }
        let cached = CachedPlan.load(configuration.planFile)
        if let cached {
            logger.info("cached plan", metadata: ["version": "\(cached.plan.version)", "fetched_at": "\(cached.fetchedAt)"])
        }

        let http = try CollectorClient.makeHTTPClient(configuration.collector)
        let rotations = Mutex(Set<String>())
        let client: CollectorClient
        do {
            client = try CollectorClient(http: http, configuration: configuration.collector) { [logger] key in
                // Once per new key: the collector's certificate verified against the pinned CA, with a key not pinned.
                guard rotations.withLock({ $0.insert(key).inserted }) else { return }
                logger.warning("the collector presents a new public key, accepted because the pinned CA signed its certificate; add it to collector.pinned_public_keys",
                               metadata: ["key": "\(key)"])
            }
        } catch {
            try? await http.shutdown()
            throw StartError(code: "collector_tls", message: "cannot set up the connection to the collector", cause: "\(error)")
        }
        let holder = PlanHolder(cached)
        let wake = WakeSignal()
        let bootStartedAt = Date()
        let identity = AgentIdentity.current()
        logger.info("starting", metadata: ["site": "\(configuration.site)", "boot_id": "\(identity.bootId)",
                                           "collector": "\(configuration.collector.url)"])
        if configuration.collector.isInsecure {
            logger.warning("collector.allow_insecure_http: the site token goes to the collector in clear over http://",
                           metadata: ["collector": "\(configuration.collector.url)"])
        }
        let backoff = Backoff(initial: configuration.send.backoffInitial, maximum: configuration.send.backoffMax)
        let gatherer = LinkEvidenceGatherer(configuration: .init(
            uplink: configuration.uplink, upstreamSwitch: configuration.upstreamSwitch,
            lldp: .init(wait: configuration.lldpWait)))
        let notifier = configuration.notifications.map { AgentNotifier(configuration: $0, directory: configuration.notificationQueueDirectory, logger: logger) }
        let results = LatestResults()
        let metrics = configuration.metricsListen == nil ? nil : AgentMetrics()
        // A report cycle is bounded by its probes (well under a few minutes); a send by the request timeout.
        let progress = AgentProgress()
        progress.register("reporter", limit: configuration.watchdog.reporterLimit)
        progress.register("sender", limit: configuration.collector.timeout * 2 + configuration.watchdog.senderSlack)
        // Shut down in reverse order: systemd (STOPPING=1) first, then no new reports, then the senders, then plans.
        var services: [any Service] = [
            PlanService(client: client, holder: holder, cacheFile: configuration.planFile, refresh: configuration.planRefresh,
                        retry: backoff, logger: logger),
            SenderService(client: client, spool: spool, batchSize: configuration.send.batchSize, backoff: backoff,
                          wakeups: wake, metrics: metrics, progress: progress, logger: logger),
            ReporterService(site: configuration.site, identity: identity, bootStartedAt: bootStartedAt, holder: holder,
                            gatherer: gatherer, spool: spool, intervalOverride: configuration.reportIntervalOverride,
                            results: results, notifier: notifier, wake: { Task { await wake.signal() } }, metrics: metrics,
                            progress: progress, logger: logger),
            SystemdService(notifier: SystemdNotifier(environment: environment), holder: holder, progress: progress, logger: logger),
        ]
        if let notifier, let heartbeat = configuration.notifications?.heartbeat {
            services.insert(NotificationService(notifier: notifier, heartbeat: heartbeat), at: 2)
        }
        if configuration.checks.services {
            services.insert(ServiceCheckService(holder: holder, results: results, interval: configuration.checks.serviceInterval,
                                                retryInterval: configuration.checks.retryInterval,
                                                timeout: configuration.checks.serviceTimeout, caFile: configuration.checks.caFile,
                                                logger: logger), at: 1)
        }
        if configuration.checks.throughput {
            services.insert(ThroughputService(holder: holder, results: results, historyFile: configuration.throughputHistoryFile,
                                              poll: configuration.checks.throughputPoll, site: configuration.site, metrics: metrics,
                                              logger: logger), at: 1)
        }
        if let metrics, let listen = configuration.metricsListen {
            services.insert(MetricsService(host: listen.host, port: listen.port, metrics: metrics, spool: spool, notifier: notifier,
                                           logger: logger), at: 0)
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        let status = await spool.status()
        logger.info("stopped", metadata: ["spool_depth": "\(status.depth)"])
    }
}
