import Foundation

/// One thread that runs blocking library calls, one at a time, in submission order, so that they never
/// occupy the Swift cooperative pool. The thread ends after `finish()` once its queue is drained.
final class BlockingWorker: @unchecked Sendable {
    // `jobs` and `finished` are guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var finished = false

    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    /// Queues `job`; false when the worker is finishing and will not run it.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.withLock {
            guard !finished else { return false }
            jobs.append(job)
            condition.signal()
            return true
        }
    }

    /// Runs `body` on the worker thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(SNMPError) -> T) async throws(SNMPError) -> T {
        let result: Result<T, SNMPError> = await withCheckedContinuation { continuation in
            let queued = submit { continuation.resume(returning: Result { () throws(SNMPError) in try body() }) }
            if !queued {
                continuation.resume(returning: .failure(SNMPError(.sessionClosed, "the SNMP session is closed")))
            }
        }
        return try result.get()
    }

    /// Lets queued jobs run, then ends the thread.
    func finish() {
        condition.withLock {
            finished = true
            condition.signal()
        }
    }

    private func loop() {
        while true {
            let job: (@Sendable () -> Void)? = condition.withLock {
                while jobs.isEmpty && !finished { condition.wait() }
                return jobs.isEmpty ? nil : jobs.removeFirst()
            }
            guard let job else { return }
            job()
        }
    }
}
