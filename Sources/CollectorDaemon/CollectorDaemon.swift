import Alerting
import CollectorAlerts
import CollectorCore
import CollectorDashboard
import CollectorHTTP
import CollectorReports
import CollectorSNMP
import CollectorStore
import Inventory
import Logging
import Mail
import Metrics
import Prometheus
import ReadinessModel
import ServiceLifecycle

/// The running collector (`sansang-collector serve`): the HTTP API, the evaluation, retention and inventory
/// reload timers, the alert engine and its delivery, the mail outbox, and the SNMP intake and forwarding, as one
/// service group that stops on SIGTERM or SIGINT. The executable loads the files (and turns their errors into
/// exit codes); this assembles and runs what they describe.
public struct CollectorDaemon {
    public let configuration: CollectorConfiguration
    public let inventory: Inventory
    public let store: any ReadinessStore
    /// Services the store needs while serving (PostgreSQL: its connection pool and the migration at start).
    public let storeServices: [any Service]
    /// Makes the service that elects the alert leader among replicas (PostgreSQL); nil: this process is the leader.
    public let leaderElection: (@Sendable (AlertLeadership) -> any Service)?
    /// The alert files as loaded at start (SIGHUP reloads them from `configuration.alerts.path`).
    public let alerts: AlertConfiguration
    /// The mail outbox, opened; nil without `mail:`.
    public let outbox: Outbox?
    /// The served certificate and key (reloaded on SIGHUP); nil without `tls:`.
    public let certificate: ReloadableCertificate?
    /// The CA enrolled agents pin (PEM), when the collector has one to give.
    public let pinnedCA: String?
    public let logger: Logger

    public init(configuration: CollectorConfiguration, inventory: Inventory, store: any ReadinessStore,
                storeServices: [any Service] = [], leaderElection: (@Sendable (AlertLeadership) -> any Service)? = nil,
                alerts: AlertConfiguration, outbox: Outbox?, certificate: ReloadableCertificate? = nil, pinnedCA: String? = nil,
                logger: Logger = Logger(label: "sansang.collector")) {
        self.configuration = configuration
        self.inventory = inventory
        self.store = store
        self.storeServices = storeServices
        self.leaderElection = leaderElection
        self.alerts = alerts
        self.outbox = outbox
        self.certificate = certificate
        self.pinnedCA = pinnedCA
        self.logger = logger
    }

    /// Bootstraps the metrics system (Prometheus, served on /metrics), then runs every service until a
    /// shutdown signal; requests in flight finish.
    public func run() async throws {
        let logger = logger
        let configuration = configuration
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        MetricsSystem.bootstrap(factory)
        let evaluator = ReadinessEvaluator(policy: EvaluationPolicy(
            notificationMaxAgeSeconds: Double(configuration.snmp.notificationMaxAgeSeconds),
            maxReportSkewSeconds: Double(configuration.maxReportSkewSeconds)))
        let collector = Collector(store: store, inventory: inventory, reportIntervalSeconds: configuration.reportIntervalSeconds,
                                  evaluator: evaluator, logger: logger, metricsFactory: factory,
                                  officeTimeZone: configuration.officeTimeZone)
        let alerts = AlertEngine(collector: collector, configuration: self.alerts, timeZone: configuration.officeTimeZone,
                                 logger: logger, metricsFactory: factory)
        let scheme = configuration.tls == nil ? "http" : "https"
        let (certificate, pinnedCA) = (self.certificate, self.pinnedCA)
        if let certificate { logger.info("TLS certificate loaded", metadata: ["fingerprint": "\(certificate.fingerprint)"]) }
        let enrolment = Enrolment(store: store, caPEM: { pinnedCA }, logger: logger)
        let reports = WeeklyReports(collector: collector, settings: configuration.weeklyReport, timeZone: configuration.officeTimeZone)
        let dashboard = Dashboard(collector: collector, alerts: alerts, reports: reports,
                                  sessions: SessionAuthority(accounts: Accounts(store: store)),
                                  settings: .init(secureCookies: configuration.tls != nil, officeTimeZone: configuration.officeTimeZone))
        let app = try CollectorApp.application(
            collector: collector, configuration: configuration, registry: registry, alerts: alerts,
            reports: reports, enrolment: enrolment, certificate: certificate, logger: logger,
            extraRoutes: dashboard.install(on:),
            onServerRunning: { port in logger.info("listening on \(scheme)://\(configuration.listen.host):\(port)") })
        // One process: the leader from the start. Replicas: none until the election says so.
        let leadership = AlertLeadership(leader: leaderElection == nil, metricsFactory: factory)
        var services: [any Service] = storeServices + (leaderElection.map { [$0(leadership)] } ?? []) + [
            app,
            EvaluationService(collector: collector, interval: .seconds(configuration.evaluationIntervalSeconds), logger: logger),
            RetentionService(collector: collector, days: configuration.retentionDays, logger: logger),
            InventoryReloadService(collector: collector, paths: configuration.inventory, alsoReload: {
                if let certificate {
                    do {
                        try certificate.reload()
                        logger.info("TLS certificate reloaded", metadata: ["fingerprint": "\(certificate.fingerprint)"])
                    } catch {
                        logger.error("TLS certificate reload refused; keeping the running one", metadata: ["error": "\(error)"])
                    }
                }
                do {
                    let reloaded = try AlertConfiguration.load(path: configuration.alerts.path)
                    alerts.replaceConfiguration(reloaded)
                    logger.info("alert rules reloaded", metadata: ["rules": "\(reloaded.rules.count)"])
                } catch {
                    logger.error("alert rules reload refused; keeping the running ones", metadata: ["errors": "\(error)"])
                }
            }, logger: logger),
            AlertEvaluationService(engine: alerts, interval: .seconds(configuration.alerts.evaluationIntervalSeconds),
                                   leadership: leadership, logger: logger),
        ]
        var mailer: AlertMailer?
        if let mail = configuration.mail, let outbox {
            mailer = AlertMailer(outbox: outbox, from: mail.from)
            services.append(OutboxService(outbox: outbox, client: SMTPClient(settings: mail.smtp), logger: logger))
        }
        services.append(AlertDeliveryService(engine: alerts, settings: configuration.alerts, mailer: mailer,
                                             snmpRoot: configuration.snmp.oidRoot, leadership: leadership, logger: logger))
        if configuration.snmp.receives {
            services.append(NotificationIntakeService(collector: collector, settings: configuration.snmp, logger: logger,
                                                      metricsFactory: factory))
        }
        if !configuration.snmp.forward.isEmpty {
            services.append(NotificationForwardingService(collector: collector, settings: configuration.snmp, logger: logger))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
