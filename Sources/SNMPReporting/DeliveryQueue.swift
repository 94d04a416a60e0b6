import Foundation
import SystemSupport

/// When a notification is tried again and when it is given up. Every field has a default.
public struct DeliveryPolicy: Sendable, Hashable {
    /// The wait after the first failed attempt; it doubles after each failure up to `backoffMax`.
    public var backoffInitial: Duration = .seconds(2)
    public var backoffMax: Duration = .seconds(300)
    /// A notification not acknowledged this long after it was queued is given up (counted as undelivered).
    public var expireAfter: Duration = .seconds(3600)
    /// At most this many wait; beyond it the oldest is given up (counted as undelivered).
    public var queueLimit = 1000
    /// Where the waiting notifications are kept (one file each), so that a restart loses none; nil keeps them
    /// in memory only.
    public var directory: URL?

    public init() {}
}

/// The notifications waiting for one target, oldest first: the head is tried until it is acknowledged or
/// expires, so a manager sees verdict changes in the order they happened. Pure: times are parameters.
public struct DeliveryQueue<Item: Sendable>: Sendable {
    public struct Counters: Sendable, Hashable {
        public var queued = 0
        public var acknowledged = 0
        public var attempts = 0
        /// Expired, or pushed out of a full queue.
        public var undelivered = 0
        public var pending = 0

        public init(queued: Int = 0, acknowledged: Int = 0, attempts: Int = 0, undelivered: Int = 0, pending: Int = 0) {
            self.queued = queued
            self.acknowledged = acknowledged
            self.attempts = attempts
            self.undelivered = undelivered
            self.pending = pending
        }
    }

    private struct Entry {
        var id: Int
        var item: Item
        var queuedAt: ContinuousClock.Instant
    }

    /// Why an item was given up.
    public enum DropReason: String, Sendable {
        /// Not acknowledged within `expireAfter` of being queued.
        case expired
        /// Pushed out of a full queue by a newer one.
        case queueFull = "queue_full"
    }

    public let policy: DeliveryPolicy
    private var entries: [Entry] = []
    private var dropped: [(item: Item, reason: DropReason)] = []
    private var failures = 0
    private var retryAt: ContinuousClock.Instant?
    public private(set) var counters = Counters()

    public init(policy: DeliveryPolicy = DeliveryPolicy()) {
        self.policy = policy
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// Queues `item`; `now` is when it was queued (earlier for one restored from disk).
    public mutating func enqueue(_ item: Item, now: ContinuousClock.Instant) {
        counters.queued += 1
        entries.append(Entry(id: counters.queued, item: item, queuedAt: now))
        while entries.count > policy.queueLimit { dropHead(.queueFull) }
        counters.pending = entries.count
    }

    /// The items given up since the last call (expired or pushed out), oldest first, with why.
    public mutating func takeDropped() -> [(item: Item, reason: DropReason)] {
        defer { dropped = [] }
        return dropped
    }

    /// What to do at `now`: send the head, wait until a retry is due, or nothing is queued.
    public mutating func next(now: ContinuousClock.Instant) -> Step {
        expire(now: now)
        guard let head = entries.first else { return .idle }
        if let retryAt, retryAt > now { return .wait(until: retryAt) }
        return .send(id: head.id, head.item)
    }

    public enum Step {
        /// Send this item, then report `delivered(id)` or `failed(id, now:)` (the queue may change meanwhile).
        case send(id: Int, Item)
        case wait(until: ContinuousClock.Instant)
        case idle
    }

    /// Item `id` was acknowledged (or, for a trap, sent); returns it unless it was given up meanwhile.
    @discardableResult
    public mutating func delivered(_ id: Int) -> Item? {
        counters.attempts += 1
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return nil }
        counters.acknowledged += 1
        let entry = entries.remove(at: index)
        failures = 0
        retryAt = nil
        counters.pending = entries.count
        return entry.item
    }

    /// The attempt to send item `id` failed at `now`: retry after the backoff (`fraction` of it, for jitter).
    public mutating func failed(_ id: Int, now: ContinuousClock.Instant, fraction: Double = Double.random(in: 0.5...1)) {
        counters.attempts += 1
        guard entries.first?.id == id else { return }
        retryAt = now + Backoff(initial: policy.backoffInitial, maximum: policy.backoffMax)
            .delay(afterFailures: failures, fraction: fraction)
        failures += 1
        expire(now: now)
    }

    private mutating func expire(now: ContinuousClock.Instant) {
        while let head = entries.first, now - head.queuedAt >= policy.expireAfter { dropHead(.expired) }
        counters.pending = entries.count
    }

    private mutating func dropHead(_ reason: DropReason) {
        dropped.append((entries.removeFirst().item, reason))
        counters.undelivered += 1
        failures = 0
        retryAt = nil
    }
}
