import Foundation
import SystemSupport

/// When the system resolver fails, which resolver it was and how it failed: the evidence the collector needs to
/// say `DNS_UNAVAILABLE` once (docs/readiness.md) instead of one `SERVICE_DOWN` per service.
///
/// getaddrinfo says only EAI_AGAIN whether the resolver's port is closed, it refuses, or nothing answers. So on
/// EAI_AGAIN the same question goes once, directly, to the first `nameserver` of resolv.conf, and its fate names
/// the failure: `dns_port_closed` (ICMP port unreachable: nothing listens on port 53), `dns_refused` (rcode
/// REFUSED), `servfail`, `dns_error` (a socket error: no route, …) or `dns_timeout` (no answer).
public enum ResolverDiagnosis {
    /// The file glibc reads; `ip netns exec` binds /etc/netns/NAME/resolv.conf over it.
    static let resolvConf = "/etc/resolv.conf"

    /// How long the direct question may take at most (less if the check's deadline is nearer).
    static let directQueryLimit: Duration = .seconds(2)

    /// The `nameserver` addresses of a resolv.conf text, in order.
    public static func nameservers(inResolvConf text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver", !words[1].hasPrefix("#") else { return nil }
            return String(words[1])
        }
    }

    /// "198.18.0.2:53", "[2001:db8::53]:53"; glibc's default with no nameserver line is the local host.
    public static func endpoint(_ nameserver: String?) -> (host: String, text: String) {
        let host = nameserver ?? "127.0.0.1"
        return (host, host.contains(":") ? "[\(host)]:53" : "\(host):53")
    }

    /// The first nameserver of resolv.conf, read on a dedicated thread (a file read blocks).
    static func systemResolver() async -> (host: String, text: String) {
        let text = await BlockingPool.shared.run { try? String(contentsOfFile: resolvConf, encoding: .utf8) }
        return endpoint(text.flatMap { nameservers(inResolvConf: $0).first })
    }

    /// The reason for an rcode of a resolver's answer, nil for an answer (NOERROR, NXDOMAIN) that says it works.
    static func reason(rcode: Int) -> String? {
        switch rcode {
        case 0, 3: nil
        case 2: "servfail"
        case 5: "dns_refused"
        default: "dns_rcode_\(rcode)"
        }
    }

    /// Asks `resolver` for `name` (type A) once, before `deadline`: the failure reason, or nil when it answers.
    static func ask(_ resolver: String, name: String, deadline: ContinuousClock.Instant,
                    facts: inout [String: String]) async -> String? {
        guard case .success(let addresses) = await resolve(resolver, port: 53, udp: true), let address = addresses.first else {
            return "dns_error"
        }
        let id = UInt16.random(in: 0...UInt16.max)
        let query = DNSMessage.query(id: id, name: name, type: 1)
        let until = min(deadline, .now + directQueryLimit)
        switch await udpExchange(address, query, deadline: until, accept: { reply in
            reply.count >= 12 && UInt16(reply[0]) << 8 | UInt16(reply[1]) == id
        }) {
        case .failure(let failure):
            facts["resolver_error"] = failure.message
            return failure.errno == ECONNREFUSED ? "dns_port_closed" : "dns_error"
        case .success(nil):
            return "dns_timeout"
        case .success(let reply?):
            guard let parsed = DNSMessage.parse(reply.reply) else { return "dns_malformed" }
            facts["resolver_rcode"] = DNSMessage.rcodeName(parsed.rcode)
            return reason(rcode: parsed.rcode)
        }
    }
}

extension Measurement {
    /// Ends a check whose host `name` the system resolver could not resolve: the resolve phase, the resolver asked,
    /// and on EAI_AGAIN the precise failure found by asking it directly (not counted in `total_ms`).
    mutating func failResolving(_ error: ResolveError, name: String, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
        phase("resolve")
        stopClock()
        let resolver = await ResolverDiagnosis.systemResolver()
        self.resolver = resolver.text
        switch error {
        case .noSuchName:
            return finish(reason: error.reason)
        case .other(let message):
            facts["error"] = message
            return finish(reason: error.reason)
        case .temporaryFailure:
            // The resolver may answer the direct question (a passing fault): the system resolver's verdict stands.
            let found = await ResolverDiagnosis.ask(resolver.host, name: name, deadline: deadline, facts: &facts)
            return finish(reason: found ?? error.reason)
        }
    }
}
