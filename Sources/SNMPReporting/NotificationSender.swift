import Foundation
import Logging
import SNMP
import SystemSupport

/// Delivers notifications to one target in the order they were queued: INFORMs are retried (with backoff)
/// until acknowledged or expired; traps are sent once. Runs until its task is cancelled; queueing never waits
/// for the network, so whoever queues (the agent's reporter, the collector's evaluator) is never held up.
///
/// With `policy.directory` set, every queued notification is a file in the target's own directory before
/// `enqueue` returns, and leaves it once acknowledged or given up: a restart (or a crash) loses none, and the new
/// process sends what waited, oldest first. The sender runs on a thread of its own, so these writes (fsync)
/// never hold a thread of the cooperative pool.
public actor NotificationSender {
    public nonisolated let target: NotificationTarget
    private var queue: DeliveryQueue<Queued>
    private let files: NotificationQueueFiles?
    private var restored = false
    private var nextNumber: UInt64 = 1
    private var session: SNMPSession?
    private let wakes: AsyncStream<Void>
    private let wakeSink: AsyncStream<Void>.Continuation
    private let logger: Logger
    private let executor: DedicatedThreadExecutor

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// A queued notification and its file (nil when it waits in memory only).
    struct Queued: Sendable {
        let number: UInt64?
        let notification: SNMPNotification
    }

    public init(target: NotificationTarget, policy: DeliveryPolicy = DeliveryPolicy(),
                logger: Logger = Logger(label: "sansang.snmp.notify")) {
        self.target = target
        self.queue = DeliveryQueue(policy: policy)
        self.files = policy.directory.map { NotificationQueueFiles(parent: $0, target: target) }
        self.logger = logger
        executor = DedicatedThreadExecutor(name: "sansang-snmp-queue")
        (wakes, wakeSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `notification` (on disk first, when the queue has a directory).
    public func enqueue(_ notification: SNMPNotification) {
        restoreOnce()
        var number: UInt64?
        if let files {
            do {
                try files.store(notification, number: nextNumber, queuedAt: Date())
                number = nextNumber
                nextNumber += 1
            } catch {
                logger.error("cannot keep a notification on disk; it waits in memory only", metadata: [
                    "target": "\(target.name)", "error": "\(error)",
                ])
            }
        }
        queue.enqueue(Queued(number: number, notification: notification), now: .now)
        forgetDropped()
        wakeSink.yield()
    }

    public var counters: DeliveryQueue<SNMPNotification>.Counters {
        restoreOnce()
        let counters = queue.counters
        return DeliveryQueue<SNMPNotification>.Counters(queued: counters.queued, acknowledged: counters.acknowledged,
                                                         attempts: counters.attempts, undelivered: counters.undelivered,
                                                         pending: counters.pending)
    }

    /// Sends until cancelled, then closes its session.
    public func run() async {
        restoreOnce()
        var wakeups = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            let step = queue.next(now: .now)
            forgetDropped()
            switch step {
            case .idle:
                guard await wakeups.next() != nil else { break }
            case .wait(let instant):
                try? await Task.sleep(until: instant, clock: .continuous)
            case .send(let id, let queued):
                do {
                    try await send(queued.notification)
                    if let delivered = queue.delivered(id) { remove([delivered]) }
                } catch {
                    queue.failed(id, now: .now)
                    forgetDropped()
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

    /// Queues what a previous process left on disk, oldest first, before anything new.
    private func restoreOnce() {
        guard !restored, let files else { return }
        restored = true
        do {
            let (stored, refused) = try files.load()
            for reason in refused {
                logger.error("a queued notification file cannot be read; set aside as *.corrupt", metadata: [
                    "target": "\(target.name)", "file": "\(reason)",
                ])
            }
            let now = Date(), instant = ContinuousClock.now
            for item in stored {
                // Its age by the wall clock (a file has no monotonic time); a clock set back makes it young.
                let age = max(0, now.timeIntervalSince(item.queuedAt))
                queue.enqueue(Queued(number: item.number, notification: item.notification), now: instant - .seconds(age))
                nextNumber = max(nextNumber, item.number + 1)
            }
            if !stored.isEmpty {
                logger.notice("notifications queued before the restart are sent again", metadata: [
                    "target": "\(target.name)", "count": "\(stored.count)", "directory": "\(files.directory.path)",
                ])
            }
            forgetDropped()
        } catch {
            logger.error("cannot read the queued notifications; new ones wait in memory only", metadata: [
                "target": "\(target.name)", "error": "\(error)",
            ])
        }
    }

    /// Removes the files of what the queue gave up, and says so in the log.
    private func forgetDropped() {
        let dropped = queue.takeDropped()
        guard !dropped.isEmpty else { return }
        for reason in Set(dropped.map { $0.reason }) {
            logger.warning("notifications given up", metadata: [
                "target": "\(target.name)", "reason": "\(reason.rawValue)",
                "count": "\(dropped.filter { $0.reason == reason }.count)", "undelivered_total": "\(queue.counters.undelivered)",
            ])
        }
        remove(dropped.map { $0.item })
    }

    private func remove(_ items: [Queued]) {
        guard let files else { return }
        do {
            try files.remove(items.compactMap(\.number))
        } catch {
            logger.error("cannot remove a delivered notification's file; it may be sent again after a restart", metadata: [
                "target": "\(target.name)", "error": "\(error)",
            ])
        }
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
