import Foundation
import ReadinessModel
import SystemSupport

/// Runs service checks concurrently: each with its own timeout, at most `maxInFlight` at once.
/// A check that hangs is reported as `timeout` when its time is up and never delays another check:
/// the runner stops waiting for it (whatever it was blocked on finishes by its own deadline, in the background).
public struct ServiceRunner: Sendable {
    public var maxInFlight: Int

    /// How long after a check's timeout the runner stops waiting for it (a probe stuck past its deadline).
    public var grace: Duration

    public init(maxInFlight: Int = 16, grace: Duration = .seconds(2)) {
        self.maxInFlight = max(1, maxInFlight)
        self.grace = grace
    }

    public static func probe(for kind: ServiceKind) -> any ServiceProbe {
        switch kind {
        case .tcp: TCPProbe()
        case .dns: DNSProbe()
        case .tls: TLSProbe()
        case .http, .https: HTTPProbe()
        case .icmp: ICMPProbe()
        case .ntp: NTPProbe()
        }
    }

    /// Every target's outcome, in the order given.
    public func run(_ targets: [ServiceTarget]) async -> [ServiceOutcome] {
        await withTaskGroup(of: (Int, ServiceOutcome).self) { group in
            var outcomes = [ServiceOutcome?](repeating: nil, count: targets.count)
            var next = 0
            func start() {
                let index = next, target = targets[index]
                next += 1
                group.addTask { (index, await self.run(target)) }
            }
            while next < min(maxInFlight, targets.count) { start() }
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
                if next < targets.count { start() }
            }
            return outcomes.map { $0! }
        }
    }

    /// One target, bounded by its timeout.
    public func run(_ target: ServiceTarget) async -> ServiceOutcome {
        await run(target, probe: Self.probe(for: target.check.kind))
    }

    /// One target with a given probe (tests use probes that misbehave).
    public func run(_ target: ServiceTarget, probe: any ServiceProbe) async -> ServiceOutcome {
        // The probe gives up at its timeout with its own reason (dns_timeout, connect_timeout, …); the runner stops
        // waiting for it `grace` later and reports `timeout` — the backstop for a probe stuck past its deadline.
        let probeDeadline = ContinuousClock.now + target.timeout
        let deadline = probeDeadline + grace
        let started = Date()
        let startedInstant = ContinuousClock.now
        let trace = PhaseTrace()
        if let outcome = await withDeadline(until: deadline, {
            await PhaseTrace.$current.withValue(trace) { await probe.run(target, deadline: probeDeadline) }
        }) {
            return outcome
        }
        // What the probe reached, and the time really spent (not a fresh, empty measurement).
        let reached = trace.reached
        var facts = reached.facts
        facts["timeout_ms"] = String(Int(target.timeout.inMilliseconds))
        facts["stuck_after"] = reached.phases.isEmpty ? "start" : "phases " + reached.phases.keys.sorted().joined(separator: ",")
        let result = ServiceResult(
            name: target.check.name, kind: target.check.kind, ok: false, reason: "timeout",
            totalMilliseconds: (ContinuousClock.now - startedInstant).inMilliseconds, phases: reached.phases,
            checkedAt: started)
        return ServiceOutcome(result: result, facts: facts)
    }
}
