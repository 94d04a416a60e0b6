import Alerting
import AsyncHTTPClient
import CollectorCore
import CollectorStore
import Foundation
import Logging
import Metrics
import Mail
import NIOCore
import NIOFoundationCompat
import ReadinessMIB
import ReadinessModel
import SNMP
import SNMPReporting
import SansangAPI
import ServiceLifecycle
import SystemSupport

/// Why a notice group could not be delivered this time (it stays queued and is tried again).
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownReceiver = "unknown_receiver"
        case httpStatus = "http_status"
        case transport = "transport"
        case mail = "mail"
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code.rawValue): \(message)" + (cause.map { " (\($0))" } ?? "") }
}

/// Delivers the queued notice groups of the notification log to their receivers: webhook, Alertmanager, SNMP
/// and e-mail (through the outbox). A group that fails stays queued and is retried with backoff; it is marked
/// sent only once its receiver took it. Firing alerts are also re-sent to Alertmanager periodically.
public struct AlertDeliveryService: Service {
    public let engine: AlertEngine
    public let settings: CollectorConfiguration.AlertSettings
    public let mailer: AlertMailer?
    /// The root of SANSANG-READINESS-MIB for SNMP receivers.
    public let snmpRoot: OID
    /// Among replicas only the alert leader delivers (nil: this process always does).
    public let leadership: AlertLeadership?
    private let logger: Logger

    public init(engine: AlertEngine, settings: CollectorConfiguration.AlertSettings, mailer: AlertMailer?,
                snmpRoot: OID = ReadinessMIB.defaultRoot, leadership: AlertLeadership? = nil,
                logger: Logger = Logger(label: "sansang.alerts")) {
        self.engine = engine
        self.settings = settings
        self.mailer = mailer
        self.snmpRoot = snmpRoot
        self.leadership = leadership
        self.logger = logger
    }

    /// Backoff after `attempts` failures: 30 s doubling up to an hour, with jitter.
    static func retryDelay(attempts: Int) -> TimeInterval {
        Backoff(initial: .seconds(30), maximum: .seconds(3600), jitter: 0.5...1).delay(afterFailures: attempts).inSeconds
    }

    public func run() async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let snmp = SNMPSenders(root: snmpRoot, logger: logger)
        // Never two deliveries at once: a wake while one runs joins the next.
        let deliveries = GroupCommit<Void, Void>()
        let deliver: @Sendable () async -> Void = {
            _ = try? await deliveries.submit(()) { requests in
                await deliverDue(http: http, snmp: snmp)
                return requests.map { _ in () }
            }
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await snmp.run() }
                group.addTask { await resendToAlertmanager(http) }
                // Woken by the engine when it queued something, and every 2 s for groups whose wait or retry has come.
                group.addTask { for await _ in engine.queued { await deliver() } }
                while (try? await Task.sleep(for: .seconds(2))) != nil {
                    await deliver()
                }
                await snmp.stop()
            }
        }
        try await http.shutdown()
    }

    func deliverDue(http: HTTPClient, snmp: SNMPSenders) async {
        guard leadership?.isLeader ?? true else { return }
        let store = engine.collector.store
        let due: [QueuedNotification]
        do {
            due = try await store.dueAlertNotifications(now: Date(), limit: 50)
        } catch {
            logger.error("reading the notification log failed", metadata: ["error": "\(error)"])
            return
        }
        for queued in due {
            do {
                try await deliver(queued, http: http, snmp: snmp)
                try await store.markAlertNotificationSent(id: queued.id, at: Date())
                count(queued, "sent")
                logger.info("alert notification sent", metadata: [
                    "id": "\(queued.id)", "receiver": "\(queued.group.receiver)", "state": "\(queued.group.state.rawValue)",
                    "alerts": "\(queued.group.notices.count)",
                ])
            } catch {
                let retry = Date().addingTimeInterval(Self.retryDelay(attempts: queued.attempts))
                logger.warning("alert notification not delivered; kept for retry", metadata: [
                    "id": "\(queued.id)", "receiver": "\(queued.group.receiver)", "error": "\(error)",
                    "retry_at": "\(retry.formatted(.iso8601))",
                ])
                try? await store.deferAlertNotification(id: queued.id, retryAt: retry, error: "\(error)")
                count(queued, "failed")
            }
        }
    }

    private func count(_ queued: QueuedNotification, _ result: String) {
        Counter(label: "sansang_alert_notifications_total", dimensions: [("receiver", queued.group.receiver), ("result", result)],
                factory: engine.metricsFactory).increment()
    }

    private func deliver(_ queued: QueuedNotification, http: HTTPClient, snmp: SNMPSenders) async throws {
        guard let receiver = engine.configuration.receivers[queued.group.receiver] else {
            throw DeliveryError(.unknownReceiver, "no receiver named \(queued.group.receiver) in the alert files")
        }
        switch receiver.kind {
        case .email(let to, let language):
            guard let mailer else { throw DeliveryError(.mail, "no mail: settings in collector.yaml") }
            let message = NoticeGroupMessage(group: queued.group, language: language)
            try await mailer.enqueueAlertMail(id: "alert-\(queued.id)", to: to, subject: message.subject, text: message.text,
                                              html: message.html)
        case .webhook(let url, let tokenFile, let timeout):
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "sansang-collector/\(SansangVersion.current)")
            request.headers.add(name: "X-Sansang-Notification-Id", value: String(queued.id))
            if let tokenFile {
                guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                    throw DeliveryError(.transport, "cannot read the bearer token file \(tokenFile)")
                }
                request.headers.add(name: "Authorization", value: "Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            request.body = .bytes(ByteBuffer(data: try Self.encoder.encode(WebhookPayload(id: queued.id, group: queued.group))))
            try await post(request, http: http, timeout: .seconds(Int64(timeout)))
        case .alertmanager(let url):
            try await postToAlertmanager(url, queued.group.notices.map { AlertmanagerAlert($0, generatorURL: settings.externalURL) },
                                         http: http)
        case .snmp(let target):
            let verdicts = try await engine.collector.store.verdicts(sites: queued.group.notices.map(\.site))
            let notifications = queued.group.notices.compactMap { notice -> ReadinessNotification? in
                guard let verdict = verdicts[notice.site] else { return nil }
                return ReadinessNotification(kind: .verdictChange, verdict: verdict, previous: nil,
                                             agentVersion: "sansang-collector \(SansangVersion.current)")
            }
            await snmp.send(notifications, to: receiver.name, target: target)
        }
    }

    private func postToAlertmanager(_ base: String, _ alerts: [AlertmanagerAlert], http: HTTPClient) async throws {
        var request = HTTPClientRequest(url: base.hasSuffix("/") ? base + "api/v2/alerts" : base + "/api/v2/alerts")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try Self.encoder.encode(alerts)))
        try await post(request, http: http, timeout: .seconds(10))
    }

    private func post(_ request: HTTPClientRequest, http: HTTPClient, timeout: TimeAmount) async throws {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw DeliveryError(.transport, "POST \(request.url) failed", cause: error)
        }
        let body = try? await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else {
            let text = body.map { String(buffer: $0) } ?? ""
            throw DeliveryError(.httpStatus, "POST \(request.url) answered \(response.status.code) \(text.prefix(200))")
        }
    }

    /// Alertmanager ends an alert that is not sent again within its resolve timeout: every firing alert
    /// routed to an Alertmanager receiver is re-sent every `alertmanager_resend_s`.
    private func resendToAlertmanager(_ http: HTTPClient) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(settings.alertmanagerResendSeconds))
                guard leadership?.isLeader ?? true else { continue }
                let configuration = engine.configuration
                let groups = configuration.route(try await engine.firingNotices())
                for group in groups {
                    guard case .alertmanager(let url)? = configuration.receivers[group.receiver]?.kind else { continue }
                    try await postToAlertmanager(url, group.notices.map { AlertmanagerAlert($0, generatorURL: settings.externalURL) },
                                                 http: http)
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("re-sending firing alerts to Alertmanager failed", metadata: ["error": "\(error)"])
            }
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}

/// One notification sender per SNMP receiver, created on first use and run until the service stops.
actor SNMPSenders {
    private var senders: [String: NotificationSender] = [:]
    private let mib: ReadinessMIB
    private let logger: Logger
    private let started = ContinuousClock.now
    private let added: AsyncStream<NotificationSender>
    private let addedSink: AsyncStream<NotificationSender>.Continuation

    init(root: OID, logger: Logger) {
        self.mib = ReadinessMIB(root: root)
        self.logger = logger
        (added, addedSink) = AsyncStream.makeStream()
    }

    func send(_ notifications: [ReadinessNotification], to receiver: String, target: NotificationTarget) async {
        let sender: NotificationSender
        if let existing = senders[receiver] {
            sender = existing
        } else {
            sender = NotificationSender(target: target, logger: logger)
            senders[receiver] = sender
            addedSink.yield(sender)
        }
        for content in notifications {
            await sender.enqueue(mib.notification(content, uptime: ContinuousClock.now - started))
        }
    }

    func stop() { addedSink.finish() }

    /// Runs every sender created, until `stop`.
    nonisolated func run() async {
        await withDiscardingTaskGroup { group in
            for await sender in added { group.addTask { await sender.run() } }
        }
    }
}

/// Alert e-mail through the durable outbox: queued once per notification id, sent by the `OutboxService`.
public struct AlertMailer: Sendable {
    public let outbox: Outbox
    public let from: MailAddress

    public init(outbox: Outbox, from: MailAddress) {
        self.outbox = outbox
        self.from = from
    }

    /// Queues one message; `id` makes it idempotent (a repeated id is not queued twice).
    public func enqueueAlertMail(id: String, to: [String], subject: String, text: String, html: String) async throws {
        let message = MailMessage(from: from, to: to.compactMap { MailAddress(parsing: $0) }, subject: subject,
                                  messageID: MailMessage.makeMessageID(from: from, unique: id), text: text, html: html)
        _ = try await outbox.enqueue(message, id: id)
    }
}
