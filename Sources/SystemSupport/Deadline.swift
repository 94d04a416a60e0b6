import Synchronization

/// Runs `operation` and returns its value, or nil once `limit` has passed. On the deadline the operation is
/// cancelled and left to finish on its own (an SNMP request in flight ends by its own timeout): the caller
/// never waits for a slow source. A cancelled caller gets nil at once.
public func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async -> T) async -> T? {
    await withDeadline(until: .now + limit, operation)
}

/// The same, with the deadline as an instant of the continuous clock.
public func withDeadline<T: Sendable>(until deadline: ContinuousClock.Instant,
                                      _ operation: @escaping @Sendable () async -> T) async -> T? {
    let race = Race<T>()
    return await withTaskCancellationHandler {
        await withCheckedContinuation { continuation in
            race.start(continuation)
            let work = Task { race.finish(await operation()) }
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                race.finish(nil)
            }
            race.track(work, timer)
        }
    } onCancel: {
        race.finish(nil)
    }
}

/// The first of an operation and its timer to finish resumes the caller, once; the other is cancelled.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T?, Never>?
        var tasks: [Task<Void, Never>] = []
        var done = false
    }

    private let state = Mutex(State())

    /// A race already finished (its caller was cancelled first) resumes at once.
    func start(_ continuation: CheckedContinuation<T?, Never>) {
        let finished = state.withLock { state in
            if !state.done { state.continuation = continuation }
            return state.done
        }
        if finished { continuation.resume(returning: nil) }
    }

    func track(_ tasks: Task<Void, Never>...) {
        let finished = state.withLock { state in
            state.tasks = tasks
            return state.done
        }
        if finished { tasks.forEach { $0.cancel() } }
    }

    func finish(_ value: T?) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T?, Never>?, [Task<Void, Never>]) in
            guard !state.done else { return (nil, []) }
            state.done = true
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        tasks.forEach { $0.cancel() }
        continuation?.resume(returning: value)
    }
}
