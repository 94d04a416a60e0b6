import Foundation
import NIOCore
import NIOSSL
import SystemSupport

/// `tls`: connect, handshake with full verification (system store or `ca_file`, and the hostname), then the
/// days left on the leaf and the chain. A failed verification is explained: `cert_expired`,
/// `cert_not_yet_valid`, `hostname_mismatch`, `self_signed`, `untrusted`.
public struct TLSProbe: ServiceProbe {
    public init() {}

    public func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
        var m = Measurement(target)
        let serverName = target.options.serverName ?? target.check.host
        let addresses: [ResolvedAddress]
        switch await resolve(target.check.host, port: target.port) {
        case .success(let found): addresses = found
        case .failure(let error): return await m.failResolving(error, name: target.check.host, deadline: deadline)
        }
        m.phase("resolve")
        let reason = await TLSStep.run(&m, addresses[0], port: target.port, serverName: serverName,
                                       caFile: target.options.caFile, deadline: deadline, keepOpen: false).reason
        if reason == nil {
            m.stopClock()
            await TLSStep.recordChain(&m, addresses[0], port: target.port, serverName: serverName, deadline: deadline)
        }
        return m.finish(reason: reason)
    }
}

/// Connect + TLS with phase timings and certificate facts recorded into a measurement; shared with https.
enum TLSStep {
    static func run(_ m: inout Measurement, _ address: ResolvedAddress, port: Int, serverName: String?, caFile: String?,
                    deadline: ContinuousClock.Instant, keepOpen: Bool, tls: Bool = true) async -> (reason: String?, channel: Channel?) {
        m.facts["address"] = address.text
        if tls, let caFile, let problem = caFileProblem(caFile) {
            // The agent's own configuration, not the server: found before connecting anywhere.
            m.facts["error"] = problem
            return ("ca_file_unreadable", nil)
        }
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
            if ProbeFailure.isClosed(error) {
                // Nothing to diagnose: the server hung up before its side of the handshake.
                m.facts["error"] = "the server closed the connection during the TLS handshake (\(error))"
                m.facts["closed_in"] = "tls"
                return ("connection_closed", nil)
            }
            m.facts["error"] = "\(error)"
            let (reason, facts) = await Connection.diagnose(address, port: port, serverName: serverName, caFile: caFile, deadline: deadline)
            if let facts { record(facts, into: &m) }
            return (reason, nil)
        }
    }

    /// After a verified handshake (which shows the leaf only): one more handshake that reads the chain the server
    /// presents, so that an intermediate expiring first is seen. Not timed (the clock is stopped before).
    static func recordChain(_ m: inout Measurement, _ address: ResolvedAddress, port: Int, serverName: String?,
                            deadline: ContinuousClock.Instant) async {
        guard let chain = await Connection.presentedChain(address, port: port, serverName: serverName, deadline: deadline),
              !chain.isEmpty else { return }
        record(TLSFacts(version: m.facts["tls_version"], chain: chain), into: &m)
    }

    /// The leaf's facts, the chain, and the certificate that expires first: `cert_days_left` is its days left,
    /// `cert_earliest_subject` names it (the leaf or an intermediate), and an expired one is `expired_certificate`.
    static func record(_ facts: TLSFacts, into m: inout Measurement) {
        let now = Date()
        if let version = facts.version { m.facts["tls_version"] = version }
        if let leaf = facts.chain.first {
            m.facts["leaf_subject"] = leaf.subject
            m.facts["leaf_issuer"] = leaf.issuer
            m.facts["leaf_not_after"] = leaf.notAfter.formatted(Date.ISO8601FormatStyle())
        }
        if let earliest = facts.chain.min(by: { $0.notAfter < $1.notAfter }) {
            m.certificateDaysLeft = earliest.daysLeft(now: now)
            m.facts["cert_earliest_subject"] = earliest.subject
            m.facts["cert_earliest_not_after"] = earliest.notAfter.formatted(Date.ISO8601FormatStyle())
            if earliest.notAfter < now { m.facts["expired_certificate"] = earliest.subject }
        }
        if facts.chain.count > 1 {
            m.facts["chain"] = facts.chain.map(\.subject).joined(separator: " <- ")
        }
    }
}

/// Why the CA file `path` cannot be used (missing, unreadable, no PEM certificate in it), or nil when it can.
public func caFileProblem(_ path: String) -> String? {
    guard FileManager.default.fileExists(atPath: path) else { return "CA file \(path) does not exist" }
    guard let data = FileManager.default.contents(atPath: path) else { return "CA file \(path) cannot be read" }
    guard let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(data)), !certificates.isEmpty else {
        return "CA file \(path) holds no PEM certificate"
    }
    return nil
}
