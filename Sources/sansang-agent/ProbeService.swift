import ArgumentParser
import CommandLineSupport
import Foundation
import Inventory
import Presentation
import ReadinessModel
import ServiceChecks

extension ServiceKind: ExpressibleByArgument {}

/// `sansang-agent probe service NAME|--kind K --target T`: one service check, for debugging.
struct ProbeService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Run one service check (dns, tcp, tls, http, https, icmp, ntp): result or reason, phases, facts.",
        discussion: """
            Exit codes: 0 the check passed, 1 it failed (the reason is printed), 2 usage or configuration error.

            Examples:
              sansang-agent probe service vneid --inventory inventory --site 20242
              sansang-agent probe service --kind https --target https://dichvucong.gov.vn/p/home/dvc-trang-chu.html --expect-body 'Dịch vụ công'
              sansang-agent probe service --kind tls --target sso.dancuquocgia.gov.vn:443 --ca-file /etc/sansang/gov-ca.pem --json
              sansang-agent probe service --kind dns --target vneid.gov.vn --dns-server 10.0.0.1
              sansang-agent probe service --kind icmp --target 10.0.0.1 --count 10
              sansang-agent probe service --kind ntp --target ntp.example.vn
            """)

    @Argument(help: "A service of the profile (needs --inventory and --site or --profile).")
    var name: String?

    @Option(help: "Inventory file or directory, to look NAME up in.")
    var inventory: String?
    @Option(help: "This office's site code: NAME is looked up in its profile.")
    var site: String?
    @Option(help: "Profile to look NAME up in.")
    var profile: String?

    @Option(help: "Kind of check, without NAME: dns, tcp, tls, http, https, icmp, ntp.")
    var kind: ServiceKind?
    @Option(help: "Target, without NAME: host, host:port, or a URL for http/https.")
    var target: String?

    @Option(name: .customLong("dns-server"), help: "dns: ask this server (host[:port]) instead of the system resolver.")
    var dnsServer: String?
    @Option(name: .customLong("dns-type"), help: "dns: A or AAAA.")
    var dnsType = "A"
    @Option(name: .customLong("expect-address"), help: "dns: an address the answer must contain.")
    var expectAddress: String?
    @Option(name: .customLong("ca-file"), help: "tls/https: PEM CA file to trust instead of the system store.")
    var caFile: String?
    @Option(name: .customLong("server-name"), help: "tls/https: name to send (SNI) and verify, if not the host.")
    var serverName: String?
    @Option(name: .customLong("expect-body"), help: "http/https: a substring the body must contain.")
    var expectBody: String?
    @Option(name: .customLong("max-redirects"), help: "http/https: redirects to follow.")
    var maxRedirects = 5
    @Option(help: "icmp: echo requests to send.")
    var count = 5
    @Option(help: "Seconds after which the check is reported as `timeout`.")
    var timeout = 10.0

    @Option(name: .customLong("repeat"), help: "Benchmarking: run the check N times, one after another, and print latency percentiles and CPU time.")
    var repetitions = 1

    @Flag(help: "Print the outcome as JSON.")
    var json = false
    @Option(help: "Language of the text output: vi or en.")
    var lang: Language = .vi

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1 (echo requests to send)") }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() async throws {
        // A configuration error, told before connecting: not the server's TLS failure.
        if let caFile, let problem = caFileProblem(caFile) { throw ConfigurationError("--ca-file: \(problem)") }
        let check: ServiceCheck
        if let name {
            guard kind == nil, target == nil else { throw ConfigurationError("give NAME or --kind/--target, not both") }
            check = try lookUp(name)
        } else {
            guard let kind, let target else { throw ConfigurationError("give NAME (with --inventory) or --kind K --target T") }
            check = try Self.check(kind: kind, target: target)
        }
        var options = ServiceTarget.Options()
        options.dnsServer = dnsServer
        options.dnsType = dnsType
        options.expectAddress = expectAddress
        options.caFile = caFile
        options.serverName = serverName
        options.expectBody = expectBody
        options.maxRedirects = maxRedirects
        options.count = count
        let serviceTarget = ServiceTarget(check: check, timeout: try seconds(timeout, flag: "--timeout"), options: options)
        if repetitions > 1 {
            try await benchmark(serviceTarget)
            return
        }
        let outcome = await ServiceRunner().run(serviceTarget)
        if json {
            print(String(decoding: try ReportCoding.encoder(pretty: true).encode(outcome), as: UTF8.self))
        } else {
            let t = lang.pick
            let r = outcome.result
            print("\(r.name) (\(r.kind.rawValue) \(check.host)\(check.port.map { ":\($0)" } ?? "")\(check.path ?? "")): "
                  + (r.ok ? t("đạt", "ok") : t("lỗi", "failed") + " — \(r.reason ?? "")")
                  + (r.totalMilliseconds.map { String(format: " (%.1f ms)", $0) } ?? ""))
            for (phase, ms) in r.phases.sorted(by: { $0.value < $1.value }) { print(String(format: "  %@: %.1f ms", phase, ms)) }
            if let days = r.certificateDaysLeft { print("  cert_days_left: \(days)") }
            if let loss = r.lossPercent { print("  loss_percent: \(loss)") }
            if let resolver = r.resolver { print("  resolver: \(resolver)") }
            for (key, value) in outcome.facts.sorted(by: { $0.key < $1.key }) { print("  \(key): \(value)") }
        }
        if !outcome.result.ok { throw ExitCode(1) }
    }

    /// `--repeat N`: one line of figures for bench/services.sh (CPU of this process only, over the N checks).
    private func benchmark(_ target: ServiceTarget) async throws {
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        let runner = ServiceRunner()
        _ = await runner.run(target)  // warm-up: event loop threads, TLS context
        var latencies: [Double] = []
        var failures: [String: Int] = [:]
        let cpuBefore = cpuSeconds()
        for _ in 0..<repetitions {
            let outcome = await runner.run(target)
            latencies.append(outcome.result.totalMilliseconds ?? 0)
            if let reason = outcome.result.reason { failures[reason, default: 0] += 1 }
        }
        let cpu = cpuSeconds() - cpuBefore
        latencies.sort()
        func percentile(_ p: Int) -> Double { latencies[min(latencies.count - 1, latencies.count * p / 100)] }
        print(String(format: "checks %d failed %d cpu_s %.3f checks_per_cpu_s %.1f p50_ms %.3f p99_ms %.3f",
                     repetitions, failures.values.reduce(0, +), cpu, Double(repetitions) / max(cpu, 1e-6), percentile(50), percentile(99))
              + (failures.isEmpty ? "" : " reasons " + failures.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")))
        if !failures.isEmpty { throw ExitCode(1) }
    }

    private func lookUp(_ name: String) throws -> ServiceCheck {
        guard let inventory else { throw ConfigurationError("NAME needs --inventory (and --site or --profile)") }
        let loaded: Inventory
        do {
            loaded = try InventoryLoader.load(paths: [inventory])
        } catch {
            throw ConfigurationError(error.errors.map(\.description).joined(separator: "\n"))
        }
        var profileName = profile
        var overrides: ProfileOverrides?
        if let site {
            guard let found = loaded.site(code: site) else { throw ConfigurationError("site \(site) is not in \(inventory)") }
            profileName = profileName ?? found.profile
            overrides = found.overrides
        }
        guard let profileName else { throw ConfigurationError("NAME needs --site or --profile") }
        guard var chosen = loaded.profile(named: profileName) else { throw ConfigurationError("profile \(profileName) is not in \(inventory)") }
        if let overrides { chosen = chosen.applying(overrides) }
        guard let check = chosen.services.first(where: { $0.name == name }) else {
            throw ConfigurationError("profile \(profileName) has no service \(name); it has: "
                                     + chosen.services.map(\.name).joined(separator: ", "))
        }
        return check
    }

    /// "host", "host:port", "host:port/path", "[v6]:port" or, for http/https, a URL.
    static func check(kind: ServiceKind, target: String) throws -> ServiceCheck {
        var rest = Substring(target)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        var path: String?
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        var host = String(rest), port: Int?
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) }
        } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.firstIndex(of: ":") {
            host = String(rest[..<colon])
            guard let value = Int(rest[rest.index(after: colon)...]), (1...65535).contains(value) else {
                throw ConfigurationError("--target \(target): the port is not a number from 1 to 65535")
            }
            port = value
        }
        guard !host.isEmpty else { throw ConfigurationError("--target \(target) has no host") }
        var kind = kind
        if kind == .http, target.hasPrefix("https://") { kind = .https }
        return ServiceCheck(name: "\(kind.rawValue):\(host)", kind: kind, host: host, port: port, path: path)
    }
}
