import Foundation
import NIOCore
import NIOSSL

/// `tls`: connect, handshake with full verification (system store or `ca_file`, and the hostname), then the
/// days left on the leaf and the chain. A failed verification is explained: `cert_expired`,
/// `cert_not_yet_valid`, `hostname_mismatch`, `self_signed`, `untrusted`.
public struct TLSProbe: ServiceProbe {
    public init() {}

    public func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
        var m = Measurement(target)
        let serverName = target.options.serverName ?? target.check.host
        guard case .success(let addresses) = await resolve(target.check.host, port: target.port) else {
            m.phase("resolve")
            return m.finish(reason: "nxdomain")
        }
        m.phase("resolve")
        let reason = await TLSStep.run(&m, addresses[0], port: target.port, serverName: serverName,
                                       caFile: target.options.caFile, deadline: deadline, keepOpen: false).reason
        return m.finish(reason: reason)
    }
}

/// Connect + TLS with phase timings and certificate facts recorded into a measurement; shared with https.
enum TLSStep {
    static func run(_ m: inout Measurement, _ address: ResolvedAddress, port: Int, serverName: String?, caFile: String?,
                    deadline: ContinuousClock.Instant, keepOpen: Bool, tls: Bool = true) async -> (reason: String?, channel: Channel?) {
        m.facts["address"] = address.text
        let channel: Channel
        do throws(ProbeFailure) {
            channel = try await Connection.connect(address, port: port, deadline: deadline)
        } catch {
            m.phase("connect")
            m.facts["error"] = error.message
            return (error.reason, nil)
        }
        m.phase("connect")
        guard tls else { return (nil, channel) }
        do {
            let facts = try await Connection.handshake(channel, serverName: serverName, caFile: caFile, verification: .full)
            m.phase("tls")
            record(facts, into: &m)
            if !keepOpen { channel.close(promise: nil) }
            return (nil, keepOpen ? channel : nil)
        } catch {
            m.phase("tls")
            channel.close(promise: nil)
            if reached(deadline) { return ("tls_timeout", nil) }
            m.facts["error"] = "\(error)"
            let (reason, facts) = await Connection.diagnose(address, port: port, serverName: serverName, caFile: caFile, deadline: deadline)
            if let facts { record(facts, into: &m) }
            return (reason, nil)
        }
    }

    static func record(_ facts: TLSFacts, into m: inout Measurement) {
        let now = Date()
        if let version = facts.version { m.facts["tls_version"] = version }
        if let leaf = facts.chain.first {
            m.certificateDaysLeft = leaf.daysLeft(now: now)
            m.facts["leaf_subject"] = leaf.subject
            m.facts["leaf_issuer"] = leaf.issuer
            m.facts["leaf_not_after"] = ISO8601DateFormatter().string(from: leaf.notAfter)
        }
        if facts.chain.count > 1 {
            m.facts["chain"] = facts.chain.map(\.subject).joined(separator: " <- ")
            m.facts["chain_min_days_left"] = String(facts.chain.map { $0.daysLeft(now: now) }.min()!)
        }
    }
}
