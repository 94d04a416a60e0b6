import SNMPReporting
import Testing

@Suite struct DeliveryQueueTests {
    let start = ContinuousClock.now

    func policy(limit: Int = 10) -> DeliveryPolicy {
        var policy = DeliveryPolicy()
        policy.backoffInitial = .seconds(2)
        policy.backoffMax = .seconds(10)
        policy.expireAfter = .seconds(60)
        policy.queueLimit = limit
        return policy
    }

    func sendID<T>(_ step: DeliveryQueue<T>.Step) -> (Int, T)? {
        if case .send(let id, let item) = step { (id, item) } else { nil }
    }

    @Test func deliversInOrderAndCounts() async throws {
        var queue = DeliveryQueue<String>(policy: policy())
        queue.enqueue("a", now: start)
        queue.enqueue("b", now: start)
        let (first, a) = try #require(sendID(queue.next(now: start)))
        #expect(a == "a")
        queue.delivered(first)
        let (second, b) = try #require(sendID(queue.next(now: start)))
        #expect(b == "b")
        queue.delivered(second)
        guard case .idle = queue.next(now: start) else { Issue.record("expected idle"); return }
        #expect(queue.counters == .init(queued: 2, acknowledged: 2, attempts: 2, undelivered: 0, pending: 0))
    }

    @Test func aFailedHeadIsRetriedAfterADoublingBackoffCappedAtTheMaximum() async throws {
        var queue = DeliveryQueue<String>(policy: policy())
        queue.enqueue("a", now: start)
        var now = start
        var waits: [Duration] = []
        for _ in 0..<5 {
            let (id, _) = try #require(sendID(queue.next(now: now)))
            queue.failed(id, now: now, fraction: 1)
            guard case .wait(let until) = queue.next(now: now) else { Issue.record("expected a wait"); return }
            waits.append(until - now)
            now = until
        }
        #expect(waits == [.seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
        // Still the same item, and it goes once acknowledged.
        let (id, item) = try #require(sendID(queue.next(now: now)))
        #expect(item == "a")
        queue.delivered(id)
        #expect(queue.counters.acknowledged == 1 && queue.counters.attempts == 6 && queue.counters.pending == 0)
    }

    @Test func whatIsNotAcknowledgedInTimeExpiresAndIsCountedUndelivered() async throws {
        var queue = DeliveryQueue<String>(policy: policy())
        queue.enqueue("a", now: start)
        queue.enqueue("b", now: start + .seconds(30))
        let (id, _) = try #require(sendID(queue.next(now: start)))
        queue.failed(id, now: start + .seconds(59), fraction: 1)
        // At 60 s "a" expires; "b" (queued at 30 s) is next, without waiting for a's backoff.
        let (_, next) = try #require(sendID(queue.next(now: start + .seconds(60))))
        #expect(next == "b")
        #expect(queue.counters.undelivered == 1 && queue.counters.pending == 1)
        guard case .idle = queue.next(now: start + .seconds(90)) else { Issue.record("b should have expired"); return }
        #expect(queue.counters.undelivered == 2)
    }

    @Test func aFullQueueDropsTheOldestAndCountsIt() async throws {
        var queue = DeliveryQueue<Int>(policy: policy(limit: 3))
        for item in 1...5 { queue.enqueue(item, now: start) }
        #expect(queue.counters.undelivered == 2 && queue.counters.pending == 3)
        let (_, head) = try #require(sendID(queue.next(now: start)))
        #expect(head == 3)
        // What was given up is handed out once, with why (the sender removes its files and logs it).
        let dropped = queue.takeDropped()
        #expect(dropped.map { $0.item } == [1, 2] && dropped.allSatisfy { $0.reason == .queueFull })
        #expect(queue.takeDropped().isEmpty)
        _ = queue.next(now: start + .seconds(60))
        #expect(queue.takeDropped().map { $0.reason } == [.expired, .expired, .expired])
    }

    @Test func anAcknowledgementForAnItemDroppedMeanwhileChangesNothingElse() async throws {
        var queue = DeliveryQueue<Int>(policy: policy(limit: 1))
        queue.enqueue(1, now: start)
        let (id, _) = try #require(sendID(queue.next(now: start)))
        queue.enqueue(2, now: start)  // pushes 1 out while it is in flight
        queue.delivered(id)
        let (_, head) = try #require(sendID(queue.next(now: start)))
        #expect(head == 2)
        #expect(queue.counters.pending == 1 && queue.counters.undelivered == 1)
    }
}
