/// Exponential backoff with jitter, capped (pure). After the n-th failure (n from 0) the ceiling is
/// min(maximum, initial × 2ⁿ); the wait is the ceiling times a factor drawn from `jitter` (0…1 is "full jitter").
/// The one backoff of the project: the agent's sender, SNMP notification delivery, the mail outbox, alert
/// delivery and the throughput probe's busy-server retries.
public struct Backoff: Sendable, Hashable {
    public let initial: Duration
    public let maximum: Duration
    /// The range the jitter factor is drawn from; `fraction` 0 picks its lower bound, 1 its upper bound.
    public let jitter: ClosedRange<Double>
    /// Failures counted by `next()` since the last `reset()`.
    public private(set) var attempt = 0

    public init(initial: Duration, maximum: Duration, jitter: ClosedRange<Double> = 0...1) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The ceiling after `failures` failures (0 for the first wait), before jitter.
    public func ceiling(afterFailures failures: Int) -> Duration {
        let factor = Double(1 << min(max(failures, 0), 62))
        return min(maximum, .seconds(initial.inSeconds * factor))
    }

    /// The wait after `failures` failures: the ceiling times the jitter factor at `fraction` (0…1, clamped).
    public func delay(afterFailures failures: Int, fraction: Double = Double.random(in: 0...1)) -> Duration {
        let clamped = min(max(fraction, 0), 1)
        let factor = jitter.lowerBound + (jitter.upperBound - jitter.lowerBound) * clamped
        return .seconds(ceiling(afterFailures: failures).inSeconds * factor)
    }

    /// The ceiling of the next wait, before jitter.
    public var ceiling: Duration { ceiling(afterFailures: attempt) }

    /// The next wait (`fraction` places it in the jitter range); counts the attempt.
    public mutating func next(fraction: Double = Double.random(in: 0...1)) -> Duration {
        let wait = delay(afterFailures: attempt, fraction: fraction)
        attempt += 1
        return wait
    }

    public mutating func reset() { attempt = 0 }
}
