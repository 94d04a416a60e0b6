import Foundation
import ReadinessModel
import ServiceChecks
import Testing
import TestSupport

/// nginx on loopback high ports, one server per certificate the test makes with openssl: valid from a test CA,
/// expired, not yet valid, wrong hostname, self-signed, expiring in 3 days; and endpoints that are slow, loop,
/// fail with 500, or are too big. The checks connect to 127.0.0.1 and send/verify the name portal.sansang.test.
@Suite(.serialized) struct HTTPSCheckTests {
    static let name = "portal.sansang.test"

    enum Server: String, CaseIterable {
        case valid, expired, notYetValid, wrongName, selfSigned, expiring, plain
    }

    final class Lab: TLSLabDirectory, @unchecked Sendable {
        var ports: [Server: Int] = [:]
        var caFile: String { directory.appendingPathComponent("ca.pem").path }

        init(daemons: DaemonScope) async throws {
            try super.init(prefix: "sansang-https", daemons: daemons)
            try await makeCertificates()
            try await start()
        }

        static func stamp(days: Double) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMddHHmmss'Z'"
            return formatter.string(from: Date().addingTimeInterval(days * 86_400))
        }

        func makeCertificates() async throws {
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            try await openssl(["req", "-x509"] + ec + ["-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "30",
                                               "-subj", "/CN=Sansang Test CA"])
            try TLSLabSupport.writeCAConfig(in: directory, name: "ca", certificate: path("ca.pem"), key: path("ca.key"), serial: "1000")
            try await openssl(["req"] + ec + ["-keyout", path("leaf.key"), "-out", path("leaf.csr"), "-subj", "/CN=\(HTTPSCheckTests.name)"])
            func leaf(_ server: Server, from: Double, to: Double, san: String = HTTPSCheckTests.name) async throws {
                try "subjectAltName = DNS:\(san)\n".write(toFile: path("\(server).ext"), atomically: true, encoding: .utf8)
                try await openssl(["ca", "-batch", "-notext", "-config", path("ca.cnf"), "-in", path("leaf.csr"), "-out", path("\(server).pem"),
                             "-startdate", Self.stamp(days: from), "-enddate", Self.stamp(days: to), "-extfile", path("\(server).ext")])
            }
            try await leaf(.valid, from: -1, to: 90)
            try await leaf(.expired, from: -30, to: -1)
            try await leaf(.notYetValid, from: 10, to: 100)
            try await leaf(.wrongName, from: -1, to: 90, san: "other.sansang.test")
            try await leaf(.expiring, from: -1, to: 3)
            try await openssl(["req", "-x509"] + ec + ["-keyout", path("selfSigned.key"), "-out", path("selfSigned.pem"), "-days", "30",
                                               "-subj", "/CN=\(HTTPSCheckTests.name)", "-addext", "subjectAltName=DNS:\(HTTPSCheckTests.name)"])
            // 60,000 bytes at limit_rate 20k: nginx sends a second's worth at once, then the rest over two more seconds.
            try Data(repeating: UInt8(ascii: "x"), count: 60_000).write(to: directory.appendingPathComponent("big.bin"))
        }

        func start() async throws {
            var servers = ""
            for server in Server.allCases {
                let port = Int(try freeLoopbackPort(udp: false))
                ports[server] = port
                let tls = server == .plain ? "" : """
                    ssl_certificate \(path("\(server).pem"));
                    ssl_certificate_key \(path(server == .selfSigned ? "selfSigned.key" : "leaf.key"));
                    """
                servers += """
                    server {
                        listen 127.0.0.1:\(port)\(server == .plain ? "" : " ssl");
                        \(tls)
                        location = / { return 200 "sansang portal OK\\n"; }
                        location = /error { return 500 "boom\\n"; }
                        location = /loop { return 302 /loop2; }
                        location = /loop2 { return 302 /loop; }
                        location = /moved { return 301 /; }
                        location = /slow { root \(directory.path); try_files /big.bin =404; limit_rate 20k; }
                        location = /big { root \(directory.path); try_files /big.bin =404; }
                    }

                    """
            }
            nginx = try await TLSLabSupport.startNginx(in: directory, servers: servers, probePort: UInt16(ports[.plain]!), daemons: daemons)
        }

        func target(_ kind: ServiceKind, _ server: Server, path: String? = nil, trustTestCA: Bool = true,
                    _ configure: (inout ServiceTarget.Options) -> Void = { _ in }) -> ServiceTarget {
            ServiceChecksTests.target(kind, "127.0.0.1", port: ports[server], path: path) { options in
                options.serverName = HTTPSCheckTests.name
                if trustTestCA { options.caFile = caFile }
                configure(&options)
            }
        }
    }

    @Test func tlsReasons() async throws {
        try await withTLSLab(Lab.init) { lab in
            let valid = await check(lab.target(.tls, .valid))
            #expect(valid.result.ok, "\(valid)")
            #expect(valid.result.phases.keys.sorted() == ["connect", "resolve", "tls"])
            #expect((88...90).contains(valid.result.certificateDaysLeft ?? 0))
            #expect(["TLSv1.2", "TLSv1.3"].contains(valid.facts["tls_version"] ?? ""))
            #expect(valid.facts["leaf_issuer"] == "Sansang Test CA")

            let expectations: [(Server, Bool, String)] = [
                (.valid, false, "untrusted"),  // the system store does not know the test CA
                (.expired, true, "cert_expired"),
                (.notYetValid, true, "cert_not_yet_valid"),
                (.wrongName, true, "hostname_mismatch"),
                (.selfSigned, true, "self_signed"),
            ]
            for (server, trust, reason) in expectations {
                let outcome = await check(lab.target(.tls, server, trustTestCA: trust))
                #expect(!outcome.result.ok)
                #expect(outcome.result.reason == reason, "\(server): \(outcome)")
            }
            let expired = await check(lab.target(.tls, .expired))
            #expect((expired.result.certificateDaysLeft ?? 0) < 0)

            let expiring = await check(lab.target(.tls, .expiring))
            #expect(expiring.result.ok, "\(expiring)")
            #expect((1...3).contains(expiring.result.certificateDaysLeft ?? 99))
            let verdict = evaluate(expiring.result, ServiceCheck(name: "t-tls", kind: .tls, host: "127.0.0.1"))
            #expect(verdict.contains("CERT_EXPIRING:t-tls"), "\(verdict)")
        }
    }

    @Test func httpsReasons() async throws {
        try await withTLSLab(Lab.init) { lab in
            let ok = await check(lab.target(.https, .valid, path: "/") { $0.expectBody = "portal OK" })
            #expect(ok.result.ok, "\(ok)")
            #expect(ok.result.phases.keys.sorted() == ["connect", "first_byte", "resolve", "tls", "transfer"])
            #expect(ok.facts["status"] == "200")

            let cases: [(String, String, (inout ServiceTarget.Options) -> Void)] = [
                ("/", "body_mismatch", { $0.expectBody = "something else" }),
                ("/error", "http_status_500", { _ in }),
                ("/loop", "redirect_loop", { _ in }),
                ("/big", "body_too_large", { $0.maxBodyBytes = 1000 }),
                ("/moved", "too_many_redirects", { $0.maxRedirects = 0 }),
            ]
            for (path, reason, configure) in cases {
                let outcome = await check(lab.target(.https, .valid, path: path, configure))
                #expect(outcome.result.reason == reason, "\(path): \(outcome)")
            }
            let moved = await check(lab.target(.https, .valid, path: "/moved") { $0.expectBody = "portal OK" })
            #expect(moved.result.ok, "\(moved)")
            #expect(moved.facts["redirects"] == "1")

            let expired = await check(lab.target(.https, .expired, path: "/"))
            #expect(expired.result.reason == "cert_expired")

            let plain = await check(lab.target(.http, .plain, path: "/") { $0.expectBody = "portal OK" })
            #expect(plain.result.ok, "\(plain)")
            #expect(plain.result.phases["tls"] == nil)
        }
    }

    @Test func slowEndpointIsSlowNotDown() async throws {
        try await withTLSLab(Lab.init) { lab in
            let slow = await check(lab.target(.https, .valid, path: "/slow"))
            #expect(slow.result.ok, "\(slow)")
            #expect((slow.result.phases["transfer"] ?? 0) > 1000)
            var check = ServiceCheck(name: "t-https", kind: .https, host: "127.0.0.1")
            check.thresholds.slowMilliseconds = 1000
            #expect(evaluate(slow.result, check).contains("SERVICE_SLOW:t-https"))
        }
    }

    @Test func serverThatNeverAnswersIsHTTPTimeout() async throws {
        let silent = try SilentSocket(udp: false)
        let outcome = await check(target(.http, port: Int(silent.port), path: "/", timeout: .seconds(1)))
        // The socket must outlive the check: released early, its port would refuse instead.
        withExtendedLifetime(silent) {}
        #expect(outcome.result.reason == "http_timeout", "\(outcome)")
    }
}

/// The evaluator's reason codes for one service result.
func evaluate(_ result: ServiceResult, _ check: ServiceCheck) -> [String] {
    let site = Site(code: "00000", name: "t", type: .xa)
    let profile = Profile(name: "t", services: [check])
    let report = Report(site: site.code, agent: AgentIdentity(version: "t", hostname: "t", bootId: "t"), seq: 1,
                        generatedAt: Date(), services: [result])
    let verdict = ReadinessEvaluator().evaluate(site: site, profile: profile, latest: report, now: Date())
    return verdict?.reasons.map(\.description) ?? []
}
