import Foundation

/// Dedicated threads for blocking calls (getaddrinfo, poll, raw sockets, libcurl, net-snmp, fsync), so that they
/// never occupy a thread of Swift's cooperative pool or a NIO event loop. The pool starts a thread only when every
/// thread it has is busy, up to `maximumThreads`; past that, jobs wait their turn in submission order. A pool of
/// one thread runs its jobs one at a time, in order: the owner of a C handle that is not thread-safe.
///
/// `BlockingPool.shared` serves short calls from anywhere; a handle owner makes its own one-thread pool and
/// calls `finish()` when the handle is closed (the thread ends once the queue is drained).
public final class BlockingPool: @unchecked Sendable {
    /// For blocking calls of any module. Threads are started as needed and then kept: at most 64, enough for the
    /// service checks (16 in flight per run, each blocked in one call at a time, some until their timeout) beside a
    /// throughput test and an SMTP transfer, and for the test suites running many of them in parallel. A call
    /// queued behind 64 busy threads waits, and a probe's time budget runs meanwhile: keep the bound above the
    /// concurrency of the callers.
    public static let shared = BlockingPool(name: "sansang-blocking", maximumThreads: 64)

    public let name: String
    public let maximumThreads: Int
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var threads = 0
    private var idle = 0
    private var finished = false

    public init(name: String, maximumThreads: Int = 1) {
        self.name = name
        self.maximumThreads = max(1, maximumThreads)
    }

    /// Queues `job`; false when the pool is finishing and will not run it.
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let decision: (queued: Bool, start: Bool) = condition.withLock {
            guard !finished else { return (false, false) }
            jobs.append(job)
            // A thread that is already waiting takes the job; otherwise start one, up to the maximum.
            if idle >= jobs.count || threads >= maximumThreads {
                condition.signal()
                return (true, false)
            }
            threads += 1
            return (true, true)
        }
        if decision.start {
            let thread = Thread { [self] in loop() }
            thread.name = name
            thread.start()
        }
        return decision.queued
    }

    /// Runs `body` on a thread of the pool and returns its value to the awaiting task; nil when the pool is
    /// finishing and did not run it.
    public func runIfOpen<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let queued = submit { continuation.resume(returning: body()) }
            if !queued { continuation.resume(returning: nil) }
        }
    }

    /// Runs `body` on a thread of the pool. The pool must not be finished (`shared` never is).
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        guard let value = await runIfOpen(body) else { preconditionFailure("\(name): run after finish()") }
        return value
    }

    /// Lets queued jobs run, then ends the threads.
    public func finish() {
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }

    /// The name of the pool whose thread is calling, nil elsewhere (e.g. on the cooperative pool).
    public static var currentName: String? { Thread.current.threadDictionary[threadKey] as? String }

    private static let threadKey = "sansang.BlockingPool"

    private func loop() {
        Thread.current.threadDictionary[Self.threadKey] = name
        while true {
            let job: (@Sendable () -> Void)? = condition.withLock {
                idle += 1
                while jobs.isEmpty && !finished { condition.wait() }
                idle -= 1
                if jobs.isEmpty { threads -= 1; return nil }
                return jobs.removeFirst()
            }
            guard let job else { return }
            job()
        }
    }
}
