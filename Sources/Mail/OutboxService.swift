import Foundation
import Logging
import ServiceLifecycle
import SystemSupport

/// When to try a message again: exponential backoff with full jitter, per message.
public struct RetryPolicy: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .seconds(30), maximum: Duration = .seconds(3600)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// After the `attempts`-th failure: `fraction` (uniform in 0…1) of min(maximum, initial × 2^(attempts − 1)).
    public func delay(afterAttempts attempts: Int, fraction: Double = Double.random(in: 0...1)) -> Duration {
        Backoff(initial: initial, maximum: maximum).delay(afterFailures: attempts - 1, fraction: fraction)
    }
}

/// Delivers the outbox, oldest due message first, with `SMTPClient`; a message that fails stays queued with
/// its error and is tried again per `retry`, never dropped. Wakes on enqueue; stops on graceful shutdown
/// (a send in progress is aborted and the message stays queued).
public struct OutboxService: Service {
    let outbox: Outbox
    let client: SMTPClient
    let retry: RetryPolicy
    let logger: Logger

    public init(outbox: Outbox, client: SMTPClient, retry: RetryPolicy = RetryPolicy(),
                logger: Logger = Logger(label: "sansang.mail")) {
        self.outbox = outbox
        self.client = client
        self.retry = retry
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let due: (entry: OutboxEntry, rendered: Data)?
            do {
                due = try await outbox.nextDue()
            } catch {
                logger.error("cannot read the outbox", metadata: ["directory": "\(outbox.directory.path)", "error": "\(error)"])
                await pause(until: Date().addingTimeInterval(retry.initial.inSeconds))
                continue
            }
            guard let due else {
                await pause(until: await outbox.nextAttemptAt())
                continue
            }
            let (entry, rendered) = due
            do {
                try await cancelWhenGracefulShutdown { try await client.send(rendered, from: entry.from, to: entry.to) }
            } catch let error as MailError where error.code != .cancelled {
                await record(error, for: entry)
                continue
            } catch {
                return  // cancelled: shutting down, the message stays queued
            }
            do {
                try await outbox.delivered(entry.id)
            } catch {
                logger.error("mail sent but not recorded as sent", metadata: ["id": "\(entry.id)", "error": "\(error)"])
            }
            logger.info("mail sent", metadata: ["id": "\(entry.id)", "subject": "\(entry.subject)", "to": "\(entry.to.joined(separator: ","))",
                                                "attempts": "\(entry.attempts + 1)"])
        }
    }

    private func record(_ error: MailError, for entry: OutboxEntry) async {
        let wait = retry.delay(afterAttempts: entry.attempts + 1)
        do {
            try await outbox.failed(entry.id, error: error, retryAfter: wait)
        } catch {
            logger.error("cannot record a failed attempt", metadata: ["id": "\(entry.id)", "error": "\(error)"])
        }
        var metadata: Logger.Metadata = ["id": "\(entry.id)", "subject": "\(entry.subject)", "code": "\(error.code.rawValue)",
                                         "error": "\(error)", "attempts": "\(entry.attempts + 1)",
                                         "retry_in_s": "\(Int(wait.inSeconds.rounded(.up)))"]
        switch error.code {
        case .authenticationFailed:
            logger.error("the SMTP server refused the login: check mail.username and mail.password_file; the message stays queued",
                         metadata: metadata)
        case .tlsFailed:
            logger.error("TLS with the SMTP server failed: check mail.security, mail.ca_file and the server; the message stays queued",
                         metadata: metadata)
        case _ where error.isPermanent:
            metadata["response_code"] = "\(error.responseCode ?? 0)"
            logger.error("the SMTP server refused the message; it stays queued and is tried again", metadata: metadata)
        default:
            logger.warning("mail not sent yet; will retry", metadata: metadata)
        }
    }

    /// Until `deadline`, an enqueue, or shutdown; at most `Outbox.incomingScanInterval`, to pick up what other
    /// processes dropped.
    private func pause(until deadline: Date?) async {
        let scan = Date().addingTimeInterval(Outbox.incomingScanInterval.inSeconds)
        await cancelWhenGracefulShutdown { await outbox.waitForWork(until: min(deadline ?? scan, scan)) }
    }
}
