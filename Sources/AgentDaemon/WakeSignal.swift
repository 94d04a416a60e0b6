/// A wake-up that is never lost: `signal()` before `wait()` makes the next wait return at once.
public actor WakeSignal {
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    public init() {}

    public func signal() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            pending = true
        }
    }

    /// Returns on the next signal (or a pending one), or when the task is cancelled.
    public func wait() async {
        if pending {
            pending = false
            return
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume() } else { waiter = continuation }
            }
        } onCancel: {
            Task { await self.cancelWaiter() }
        }
        pending = false
    }

    private func cancelWaiter() {
        waiter?.resume()
        waiter = nil
    }
}
