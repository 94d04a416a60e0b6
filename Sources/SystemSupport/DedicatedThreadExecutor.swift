/// A serial executor on one dedicated thread: an actor that does blocking file I/O (fsync) makes this its
/// executor, so that its methods never run on Swift's cooperative pool, while keeping the actor's ordinary
/// (non-reentrant while synchronous) semantics:
///
///     private let executor = DedicatedThreadExecutor(name: "sansang-outbox")
///     public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
///
/// The thread ends once the executor (and every job queued on it) is released and its queue is drained.
public final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let thread: BlockingPool

    public init(name: String) {
        thread = BlockingPool(name: name, maximumThreads: 1)
    }

    deinit { thread.finish() }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // The job holds the executor: an actor released by its last job must not free the executor under it.
        thread.submit { [self] in job.runSynchronously(on: asUnownedSerialExecutor()) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}
