import Foundation
import ReadinessModel
import ServiceChecks
import Testing
import TestSupport

/// An office whose resolver is down: every check that needs a name says which resolver failed and how, and the
/// verdict is one `DNS_UNAVAILABLE` (docs/readiness.md). The checks run as the agent does, through the system
/// resolver (getaddrinfo), in a network namespace whose /etc/netns/NAME/resolv.conf names the resolver.
@Suite(.serialized) struct ResolverDiagnosisTests {
    /// The names the office checks, as in the lab's profile: two https services and a dns check of one name.
    static let profile = Profile(name: "lab", services: [
        ServiceCheck(name: "dvc", kind: .https, host: "dichvucong.gov.vn"),
        ServiceCheck(name: "vneid", kind: .tcp, host: "vneid.gov.vn", port: 443),
        ServiceCheck(name: "dns-tinh", kind: .dns, host: "dichvucong.gov.vn"),
    ])

    static func arguments(_ check: ServiceCheck) -> [String] {
        let target = switch check.kind {
        case .https: "https://\(check.host)/"
        case .tcp: "\(check.host):\(check.port ?? 443)"
        default: check.host
        }
        return ["probe", "service", "--kind", check.kind.rawValue, "--target", target, "--timeout", "5", "--json"]
    }

    /// A namespace with loopback up whose resolv.conf names `nameserver` (inside the namespace), for `body`.
    func withOffice(nameserver: String = "127.0.0.1", _ body: (NetworkNamespace) async throws -> Void) async throws {
        try await withNetworkNamespace(prefix: "ssr") { namespace in
            _ = try await namespace.run(["ip", "link", "set", "lo", "up"])
            let etc = URL(fileURLWithPath: "/etc/netns/\(namespace.name)")
            try await withCleanup {
                try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
                try "nameserver \(nameserver)\n".write(to: etc.appendingPathComponent("resolv.conf"), atomically: true, encoding: .utf8)
                try await body(namespace)
            } cleanup: { try? FileManager.default.removeItem(at: etc) }
        }
    }

    /// Runs every check of the profile in `namespace` with `sansang-agent probe service`, as a report's services.
    func checks(in namespace: NetworkNamespace) async throws -> [ServiceResult] {
        var results: [ServiceResult] = []
        for check in Self.profile.services {
            let run = try await runProgram("sansang-agent", Self.arguments(check), in: namespace)
            let outcome = try ReportCoding.decoder().decode(ServiceOutcome.self, from: Data(run.stdout.utf8))
            var result = outcome.result
            result.name = check.name
            results.append(result)
        }
        return results
    }

    func verdict(_ services: [ServiceResult]) throws -> SiteVerdict {
        let now = Date()
        let site = Site(code: "20242", name: "Phường Hải Châu", type: .phuong, province: "Đà Nẵng", formerDistrict: "Hải Châu",
                        profile: "lab")
        let report = Report(site: "20242", agent: AgentIdentity(version: "test", hostname: "lab", bootId: "b"), seq: 1,
                            generatedAt: now, services: services)
        return try #require(ReadinessEvaluator().evaluate(site: site, profile: Self.profile, latest: report, now: now))
    }

    /// An office namespace whose resolver is dnsmasq on 127.0.0.1:53 with `options`, started for `body`.
    func withResolver(_ options: [String], _ body: (NetworkNamespace, Daemon) async throws -> Void) async throws {
        let dnsmasq = try resolveExecutable("dnsmasq")
        try await withOffice { namespace in
            try await withTemporaryDirectory { directory in
                try await withDaemon(namespace.command([
                    dnsmasq, "--no-daemon", "--conf-file=/dev/null", "--listen-address=127.0.0.1", "--bind-interfaces",
                    "--no-resolv", "--no-hosts", "--user=root", "--pid-file=\(directory.path)/dnsmasq.pid",
                ] + options), log: directory.appendingPathComponent("dnsmasq.log")) { daemon in
                    try await waitUntil(timeout: 20, "dnsmasq started") { daemon.log.contains("started") || !daemon.isRunning }
                    try await body(namespace, daemon)
                }
            }
        }
    }

    /// Nothing listens on the resolver's port 53 (the lab's `dns: down`, dnsmasq stopped): ICMP port unreachable,
    /// which getaddrinfo reports only as EAI_AGAIN; asked directly, the resolver's port is seen closed.
    @Test(.needsRoot) func stoppedResolverIsOneDNSUnavailable() async throws {
        try await withResolver(["--address=/gov.vn/198.18.0.10"]) { namespace, dnsmasq in
            // With the resolver up, names resolve: whatever fails after that is not the resolver.
            let up = try await checks(in: namespace)
            #expect(up.allSatisfy { $0.reason.map { !["dns_timeout", "dns_port_closed"].contains($0) } ?? true }, "\(up)")
            #expect(up.first { $0.name == "dns-tinh" }?.ok == true, "\(up)")
            #expect(try !verdict(up).reasons.contains { $0.code == .dnsUnavailable })
            await dnsmasq.stop()

            let down = try await checks(in: namespace)
            for result in down {
                #expect(result.reason == "dns_port_closed", "\(result)")
                #expect(result.resolver == "127.0.0.1:53", "\(result)")
                #expect(result.phases.keys.sorted() == ["resolve"], "\(result)")
            }
            let verdict = try verdict(down)
            #expect(verdict.reasons.map(\.description) == ["DNS_UNAVAILABLE"])
            #expect(verdict.reasons.first?.evidence.hasPrefix("no name could be resolved: resolver 127.0.0.1:53, error dns_port_closed;") == true,
                    "\(verdict.reasons)")
        }
    }

    /// A resolver that answers REFUSED to every question (no upstream, no local names): getaddrinfo again says
    /// only EAI_AGAIN.
    @Test(.needsRoot) func refusingResolverIsOneDNSUnavailable() async throws {
        try await withResolver([]) { namespace, _ in
            let results = try await checks(in: namespace)
            for result in results {
                #expect(result.reason == "dns_refused", "\(result)")
                #expect(result.resolver == "127.0.0.1:53", "\(result)")
            }
            #expect(try verdict(results).reasons.map(\.description) == ["DNS_UNAVAILABLE"])
        }
    }

    /// A resolver the office has no route to (its line to the province is cut at the router): the direct question
    /// fails with EHOSTUNREACH, `dns_error`, and the office still gets one DNS_UNAVAILABLE.
    @Test(.needsRoot) func unreachableResolverIsOneDNSUnavailable() async throws {
        try await withOffice(nameserver: "198.18.77.53") { namespace in
            _ = try await namespace.run(["ip", "route", "add", "unreachable", "198.18.77.53/32"])
            let results = try await checks(in: namespace)
            for result in results {
                #expect(result.reason == "dns_error", "\(result)")
                #expect(result.resolver == "198.18.77.53:53", "\(result)")
            }
            #expect(try verdict(results).reasons.map(\.description) == ["DNS_UNAVAILABLE"])
        }
    }

    @Test func nameserverLines() {
        let conf = """
            # written by hand
            search danang.gov.vn
            nameserver 198.18.0.2
            nameserver\t2001:db8::53
            nameserver
            options timeout:1
            """
        #expect(ResolverDiagnosis.nameservers(inResolvConf: conf) == ["198.18.0.2", "2001:db8::53"])
        #expect(ResolverDiagnosis.endpoint("2001:db8::53").text == "[2001:db8::53]:53")
        #expect(ResolverDiagnosis.endpoint(nil).text == "127.0.0.1:53")
    }
}
