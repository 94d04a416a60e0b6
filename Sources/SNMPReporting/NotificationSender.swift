import Logging
import SNMP

/// Delivers notifications to one target in the order they were queued: INFORMs are retried (with backoff)
/// until acknowledged or expired; traps are sent once. Runs until its task is cancelled; queueing never waits
/// for the network, so whoever queues (the agent's reporter, the collector's evaluator) is never held up.
public actor NotificationSender {
    public nonisolated let target: NotificationTarget
    private var queue: DeliveryQueue<SNMPNotification>
    private var session: SNMPSession?
    private let wakes: AsyncStream<Void>
    private let wakeSink: AsyncStream<Void>.Continuation
    private let logger: Logger

    public init(target: NotificationTarget, policy: DeliveryPolicy = DeliveryPolicy(),
                logger: Logger = Logger(label: "sansang.snmp.notify")) {
        self.target = target
        self.queue = DeliveryQueue(policy: policy)
        self.logger = logger
        (wakes, wakeSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public func enqueue(_ notification: SNMPNotification) {
        queue.enqueue(notification, now: .now)
        wakeSink.yield()
    }

    public var counters: DeliveryQueue<SNMPNotification>.Counters { queue.counters }

    /// Sends until cancelled, then closes its session.
    public func run() async {
        var wakeups = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            switch queue.next(now: .now) {
            case .idle:
                guard await wakeups.next() != nil else { break }
            case .wait(let instant):
                try? await Task.sleep(until: instant, clock: .continuous)
            case .send(let id, let notification):
                do {
                    try await send(notification)
                    queue.delivered(id)
                } catch {
                    queue.failed(id, now: .now)
                    logger.warning("notification not delivered; will retry", metadata: [
                        "target": "\(target.name)", "error": "\(error)", "pending": "\(queue.counters.pending)",
                    ])
                    // The receiver may have restarted (new engine boots): discover it afresh next time.
                    await session?.close()
                    session = nil
                }
            }
        }
        await session?.close()
        session = nil
    }

    private func send(_ notification: SNMPNotification) async throws(SNMPError) {
        let session = try await openSession()
        switch target.kind {
        case .inform: try await session.inform(notification)
        case .trap: try await session.trap(notification)
        }
    }

    private func openSession() async throws(SNMPError) -> SNMPSession {
        if let session { return session }
        // An INFORM's receiver is the authoritative engine (discovered on open); a v3 trap carries our own.
        let opened = switch target.kind {
        case .inform: try await SNMPSession.open(target.session)
        case .trap: try await SNMPSession.openForTraps(target.session)
        }
        session = opened
        return opened
    }
}
