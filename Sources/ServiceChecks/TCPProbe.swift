import Foundation

/// `tcp`: resolve, then connect to the first address. Refused, timeout and unreachable are told apart.
public struct TCPProbe: ServiceProbe {
    public init() {}

    public func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
        var m = Measurement(target)
        let addresses: [ResolvedAddress]
        switch await resolve(target.check.host, port: target.port) {
        case .success(let found): addresses = found
        case .failure(let error): return await m.failResolving(error, name: target.check.host, deadline: deadline)
        }
        m.phase("resolve")
        m.facts["address"] = addresses[0].text
        m.facts["port"] = String(target.port)
        let connected = await tcpConnect(addresses[0], deadline: deadline)
        m.phase("connect")
        if case .failure(let failure) = connected {
            m.facts["error"] = failure.message
            return m.finish(reason: failure.reason)
        }
        return m.finish(reason: nil)
    }
}
