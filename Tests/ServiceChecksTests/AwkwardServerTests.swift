import Foundation
import ReadinessModel
import Testing
import TestSupport
@testable import ServiceChecks

/// A TCP server on 127.0.0.1 that accepts every connection and closes it at once, on a thread of its own.
/// With `readingFirst`, it first reads what the client sent (a ClientHello, a request), so that its close is a
/// FIN the client reads as end of stream; closing with that data unread makes the kernel answer with a RST.
final class ClosingServer: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    private let stopped = DispatchSemaphore(value: 0)

    init(readingFirst: Bool = false) throws {
        let listener = try SilentSocket(udp: false)
        fd = dup(listener.fd)
        port = listener.port
        let fd = fd, stopped = stopped
        let thread = Thread {
            defer { stopped.signal() }
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                if readingFirst {
                    var wait = timeval(tv_sec: 5, tv_usec: 0)
                    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
                    var buffer = [UInt8](repeating: 0, count: 65_536)
                    _ = recv(client, &buffer, buffer.count, 0)
                }
                close(client)
            }
        }
        thread.start()
    }

    /// Wakes the accept loop (shutdown makes accept fail) and waits for it to end before the descriptor is
    /// closed: its number, reused by another test's socket, must never be accepted on.
    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        _ = stopped.wait(timeout: .now() + 5)
        close(fd)
    }
}

@Suite struct AwkwardServerTests {
    /// Accepted then closed at once: the phase's own error at once, not the runner's backstop `timeout`,
    /// whether the close reaches the client as a reset (data left unread) or as end of stream (data read first).
    @Test(arguments: [ServiceKind.http, .https, .tls], [false, true])
    func serverThatClosesAtOnceIsConnectionClosedAtOnce(kind: ServiceKind, readingFirst: Bool) async throws {
        let server = try ClosingServer(readingFirst: readingFirst)
        let started = ContinuousClock.now
        // A runner whose backstop would answer first if the probe hung until its timeout.
        let outcome = await ServiceRunner(grace: .seconds(1)).run(target(kind, port: Int(server.port), path: "/", timeout: .seconds(8)))
        let elapsed = ContinuousClock.now - started
        withExtendedLifetime(server) {}
        #expect(outcome.result.reason == "connection_closed", "\(outcome)")
        #expect(elapsed < .seconds(4), "reported after \(elapsed), not at once")
        #expect(outcome.facts["closed_in"] == (kind == .http ? "first_byte" : "tls"), "\(outcome.facts)")
        #expect(outcome.result.phases[kind == .http ? "first_byte" : "tls"] != nil, "\(outcome.result.phases)")
        #expect(outcome.result.phases["connect"] != nil)
    }

    /// A backstop result keeps the phases the probe reached and the time really spent.
    @Test func backstopKeepsThePhasesReachedAndTheRealElapsedTime() async throws {
        struct StuckAfterConnect: ServiceProbe {
            func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
                var m = Measurement(target)
                try? await Task.sleep(for: .milliseconds(50))
                m.phase("resolve")
                try? await Task.sleep(for: .milliseconds(50))
                m.phase("connect")
                try? await Task.sleep(for: .seconds(30))  // stuck in tls, past its deadline
                return m.finish(reason: nil)
            }
        }
        // A timeout of 3 s: the probe reaches its phases within 100 ms even when other suites' setup (openssl,
        // nginx) keeps the machine's two cores busy.
        let outcome = await ServiceRunner(grace: .seconds(1)).run(target(.tls, timeout: .seconds(3)), probe: StuckAfterConnect())
        #expect(outcome.result.reason == "timeout")
        #expect(outcome.result.phases.keys.sorted() == ["connect", "resolve"], "\(outcome.result.phases)")
        #expect((outcome.result.phases["connect"] ?? 0) >= 45)
        // 3 s of timeout and 1 s of grace really went by.
        #expect((outcome.result.totalMilliseconds ?? 0) >= 3990, "\(String(describing: outcome.result.totalMilliseconds))")
        #expect(outcome.facts["stuck_after"] == "phases connect,resolve")
    }

    /// An HTTP read timeout: the wait is booked to the phase it was in (first_byte, before any response),
    /// and the detail says so instead of "End of file".
    @Test func httpReadTimeoutIsBookedToFirstByte() async throws {
        let silent = try SilentSocket(udp: false)
        // 8 s: under the full parallel run, tests that block the cooperative pool (synchronous process runs)
        // can hold this check for seconds before it connects.
        let outcome = await check(target(.http, port: Int(silent.port), path: "/", timeout: .seconds(8)))
        withExtendedLifetime(silent) {}
        #expect(outcome.result.reason == "http_timeout", "\(outcome)")
        #expect((outcome.result.phases["first_byte"] ?? 0) > 1000, "\(outcome.result.phases)")
        #expect(outcome.result.phases["transfer"] == nil)
        #expect(outcome.facts["error"] == "no response before the deadline", "\(outcome.facts)")
    }

    @Test func daysLeftRoundTowardMinusInfinity() {
        let now = Date(timeIntervalSince1970: 1_780_000_000)
        #expect(CertificateFacts.daysLeft(until: now + 3600, now: now) == 0)
        #expect(CertificateFacts.daysLeft(until: now - 3600, now: now) == -1)
        #expect(CertificateFacts.daysLeft(until: now - 86_400 - 1, now: now) == -2)
        #expect(CertificateFacts.daysLeft(until: now + 86_400 * 3 + 1, now: now) == 3)
    }
}

/// The errno of a failed ICMP send, through `sansang-agent probe service --kind icmp` run in a namespace
/// whose routing table refuses in each way. Only 198.18.0.0/15 is used; nothing leaves the namespace.
@Suite(.serialized) struct ICMPSendErrorTests {
    @Test(.enabled(if: geteuid() == 0, "creates a network namespace: needs root (CI runs as root)"))
    func sendErrorsAreMappedFromErrno() async throws {
        let namespace = try await NetworkNamespace(prefix: "ssi")
        try await namespace.run(["ip", "route", "add", "unreachable", "198.18.61.0/24"])
        try await namespace.run(["ip", "route", "add", "prohibit", "198.18.62.0/24"])
        try await namespace.run(["ip", "route", "add", "blackhole", "198.18.63.0/24"])
        let cases = [
            ("198.18.61.1", "host_unreachable"),
            ("198.18.62.1", "icmp_prohibited"),
            ("198.18.63.1", "icmp_blackholed"),
            ("198.18.64.1", "network_unreachable"),  // no route at all
        ]
        for (address, reason) in cases {
            let run = try await runProgram("sansang-agent", ["probe", "service", "--kind", "icmp", "--target", address, "--count", "1",
                                                       "--timeout", "3", "--json"], in: namespace)
            #expect(run.status == 1, "\(address): \(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("\"reason\" : \"\(reason)\""), "\(address): \(run.stdout)")
        }
    }
}

/// The probe command's own mistakes are usage or configuration errors (exit 2), found before connecting.
@Suite struct ProbeCommandErrorTests {
    @Test func missingOrUnreadableCAFileIsAConfigurationErrorBeforeConnecting() async throws {
        let listener = try SilentSocket(udp: false)
        try await withTemporaryDirectory { directory in
            let notPEM = directory.appendingPathComponent("not-a-ca.pem")
            try Data("hello\n".utf8).write(to: notPEM)
            for (file, says) in [(directory.appendingPathComponent("missing.pem").path, "does not exist"), (notPEM.path, "no PEM certificate")] {
                let run = try await runProgram("sansang-agent", ["probe", "service", "--kind", "tls", "--target", "127.0.0.1:\(listener.port)",
                                                           "--ca-file", file])
                #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
                #expect(run.stderr.contains("--ca-file") && run.stderr.contains(file) && run.stderr.contains(says), "\(run.stderr)")
            }
        }
        // Nothing connected: the listener's queue is empty.
        _ = fcntl(listener.fd, F_SETFL, O_NONBLOCK)
        let accepted = accept(listener.fd, nil, nil)
        #expect(accepted < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "a connection was made")
        if accepted >= 0 { close(accepted) }
        // In the daemon (no command line to refuse it), the check says so without connecting either.
        let outcome = await check(target(.tls, port: Int(listener.port)) { $0.caFile = "/nonexistent/ca.pem" })
        #expect(outcome.result.reason == "ca_file_unreadable", "\(outcome)")
        #expect(outcome.result.phases["connect"] == nil)
    }

    @Test func zeroCountAndZeroTimeoutAreUsageErrors() async throws {
        for (arguments, says) in [(["--count", "0"], "--count"), (["--timeout", "0"], "--timeout")] {
            let run = try await runProgram("sansang-agent", ["probe", "service", "--kind", "icmp", "--target", "127.0.0.1"] + arguments)
            #expect(run.status == 2, "\(arguments): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains(says), "\(run.stderr)")
        }
    }
}

/// A real chain made by openssl — root → intermediate → leaf — served by nginx on loopback: one intermediate
/// expiring in 5 days (the leaf has 90), one expired yesterday.
@Suite(.serialized) struct CertificateChainTests {
    final class ChainLab: TLSLabDirectory, @unchecked Sendable {
        var ports: [String: Int] = [:]
        var caFile: String { path("root.pem") }

        init(daemons: DaemonScope) async throws {
            try super.init(prefix: "sansang-chain", daemons: daemons)
            try await makeChains()
            try await start()
        }

        func makeChains() async throws {
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            try await openssl(["req", "-x509"] + ec + ["-keyout", path("root.key"), "-out", path("root.pem"), "-days", "365",
                                               "-subj", "/CN=Sansang Test Root"])
            try TLSLabSupport.writeCAConfig(in: directory, name: "root", certificate: path("root.pem"), key: path("root.key"), serial: "2000")
            try "basicConstraints = critical, CA:true\nkeyUsage = critical, keyCertSign, cRLSign\n"
                .write(toFile: path("ca.ext"), atomically: true, encoding: .utf8)
            try "subjectAltName = DNS:\(HTTPSCheckTests.name)\n".write(toFile: path("leaf.ext"), atomically: true, encoding: .utf8)
            for (name, from, to) in [("expiring", -10.0, 5.0), ("expired", -30.0, -1.0)] {
                try await openssl(["req"] + ec + ["-keyout", path("\(name)-int.key"), "-out", path("\(name)-int.csr"),
                                           "-subj", "/CN=Sansang Intermediate \(name)"])
                try await openssl(["ca", "-batch", "-notext", "-config", path("root.cnf"), "-in", path("\(name)-int.csr"),
                             "-out", path("\(name)-int.pem"), "-startdate", HTTPSCheckTests.Lab.stamp(days: from),
                             "-enddate", HTTPSCheckTests.Lab.stamp(days: to), "-extfile", path("ca.ext")])
                try await openssl(["req"] + ec + ["-keyout", path("\(name)-leaf.key"), "-out", path("\(name)-leaf.csr"),
                                           "-subj", "/CN=\(HTTPSCheckTests.name)"])
                try await openssl(["x509", "-req", "-in", path("\(name)-leaf.csr"), "-CA", path("\(name)-int.pem"), "-CAkey", path("\(name)-int.key"),
                             "-CAcreateserial", "-days", "90", "-extfile", path("leaf.ext"), "-out", path("\(name)-leaf.pem")])
                let chain = try String(contentsOfFile: path("\(name)-leaf.pem"), encoding: .utf8)
                    + String(contentsOfFile: path("\(name)-int.pem"), encoding: .utf8)
                try chain.write(toFile: path("\(name)-chain.pem"), atomically: true, encoding: .utf8)
            }
        }

        func start() async throws {
            var servers = ""
            for name in ["expiring", "expired"] {
                let port = Int(try freeLoopbackPort(udp: false))
                ports[name] = port
                servers += """
                    server {
                        listen 127.0.0.1:\(port) ssl;
                        ssl_certificate \(path("\(name)-chain.pem"));
                        ssl_certificate_key \(path("\(name)-leaf.key"));
                        location = / { return 200 "sansang portal OK\\n"; }
                    }

                    """
            }
            nginx = try await TLSLabSupport.startNginx(in: directory, servers: servers, probePort: UInt16(ports["expiring"]!), daemons: daemons)
        }

        func target(_ kind: ServiceKind, _ name: String) -> ServiceTarget {
            ServiceChecksTests.target(kind, "127.0.0.1", port: ports[name], path: "/") { options in
                options.serverName = HTTPSCheckTests.name
                options.caFile = caFile
            }
        }
    }

    @Test func earliestExpiryInTheChainAndAnExpiredIntermediateNamed() async throws {
        try await withTLSLab(ChainLab.init) { lab in
            for kind in [ServiceKind.tls, .https] {
                let expiring = await check(lab.target(kind, "expiring"))
                #expect(expiring.result.ok, "\(kind): \(expiring)")
                // The leaf has 90 days; the intermediate 5, and it is the one named.
                #expect((3...4).contains(expiring.result.certificateDaysLeft ?? 99), "\(kind): \(expiring)")
                #expect(expiring.facts["cert_earliest_subject"] == "Sansang Intermediate expiring", "\(expiring.facts)")
                let verdict = evaluate(expiring.result, ServiceCheck(name: expiring.result.name, kind: kind, host: "127.0.0.1"))
                #expect(verdict.contains("CERT_EXPIRING:\(expiring.result.name)"), "\(verdict)")

                let expired = await check(lab.target(kind, "expired"))
                #expect(expired.result.reason == "cert_expired", "\(kind): \(expired)")
                #expect(expired.facts["expired_certificate"] == "Sansang Intermediate expired", "\(expired.facts)")
                #expect((expired.result.certificateDaysLeft ?? 0) < 0)
            }
        }
    }
}
