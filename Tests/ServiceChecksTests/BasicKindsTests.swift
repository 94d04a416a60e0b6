import Foundation
import ReadinessModel
import ServiceChecks
import Testing
import TestSupport

@Suite struct TCPCheckTests {
    @Test func openPortConnects() async throws {
        let listener = try SilentSocket(udp: false)
        let outcome = await check(target(.tcp, port: Int(listener.port)))
        // The socket must outlive the check: released early, its port would refuse instead.
        withExtendedLifetime(listener) {}
        #expect(outcome.result.ok, "\(outcome)")
        #expect(outcome.result.reason == nil)
        #expect(outcome.result.phases["connect"] != nil)
        #expect(outcome.result.phases["resolve"] != nil)
    }

    @Test func closedPortIsRefused() async throws {
        let port = try freeLoopbackPort(udp: false)
        let outcome = await check(target(.tcp, port: Int(port)))
        #expect(!outcome.result.ok)
        #expect(outcome.result.reason == "connect_refused")
    }

    @Test func unknownNameIsNXDOMAINNotConnectFailure() async throws {
        // .invalid never resolves (RFC 6761); no query leaves the host for it with a sane resolver.
        let outcome = await check(target(.tcp, "no-such-host.invalid", port: 443))
        #expect(outcome.result.reason == "nxdomain" || outcome.result.reason == "dns_timeout", "\(outcome)")
    }
}

/// An address in a test namespace behind a veth: replies blackholed in the namespace for timeout, an absent
/// neighbour for unreachable, and echo replies rate-limited for ICMP loss (the kernel here has no netem).
/// Only 198.18.0.0/15 is used.
@Suite(.serialized) struct NamespacePathTests {
    struct Lab: Sendable {
        let namespace: NetworkNamespace
        let link: HostVethLink
        let prefix: String
    }

    /// A namespace behind a veth from this host, for the duration of `body`; both deleted afterwards.
    func withLab(_ body: (Lab) async throws -> Void) async throws {
        try await withNetworkNamespace(prefix: "ssv") { namespace in
            let prefix = "198.18.\(Int.random(in: 100...250))"
            let link = try await HostVethLink(to: namespace, address: "\(prefix).2")
            try await withCleanup {
                try await run(["ip", "addr", "add", "\(prefix).1/24", "dev", link.hostInterface])
                _ = try await namespace.run(["ip", "link", "set", "lo", "up"])
                try await body(Lab(namespace: namespace, link: link, prefix: prefix))
            } cleanup: { await link.delete() }
        }
    }

    @Test(.needsRoot) func droppedSynAcksAreATimeoutNotARefusal() async throws {
        try await withLab { lab in
            _ = try await lab.namespace.run(["ip", "route", "add", "blackhole", "\(lab.prefix).1/32"])
            let started = ContinuousClock.now
            let outcome = await patientRunner.run(ServiceTarget(
                check: ServiceCheck(name: "dropped", kind: .tcp, host: "\(lab.prefix).2", port: 9), timeout: .seconds(2)))
            #expect(!outcome.result.ok)
            #expect(outcome.result.reason == "connect_timeout", "\(outcome)")
            #expect(ContinuousClock.now - started < .seconds(20), "not the kernel's 2-minute SYN retries")
        }
    }

    @Test(.needsRoot) func absentNeighbourIsUnreachable() async throws {
        try await withLab { lab in
            let outcome = await check(target(.tcp, "\(lab.prefix).77", port: 80, timeout: .seconds(8)))
            #expect(outcome.result.reason == "host_unreachable", "\(outcome)")
        }
    }

    @Test(.needsRoot) func lossyPathIsICMPLoss() async throws {
        try await withLab { lab in
            // Echo replies (type 0) rate-limited to one a second per peer: most of 20 requests 20 ms apart go unanswered.
            _ = try await lab.namespace.run(["sysctl", "-q", "-w", "net.ipv4.icmp_ratemask=6169", "net.ipv4.icmp_ratelimit=1000"])
            let outcome = await check(target(.icmp, "\(lab.prefix).2", timeout: .seconds(15)) {
                $0.count = 20
                $0.interval = .milliseconds(20)
                $0.replyWait = .milliseconds(300)
            })
            #expect(outcome.result.reason == "icmp_loss", "\(outcome)")
            #expect((outcome.result.lossPercent ?? 0) > 20)
        }
    }
}

@Suite struct ICMPCheckTests {
    @Test func loopbackAnswersEveryEcho() async throws {
        let outcome = await check(target(.icmp) { $0.count = 3; $0.interval = .milliseconds(10) })
        #expect(outcome.result.ok, "\(outcome)")
        #expect(outcome.result.lossPercent == 0)
        #expect(outcome.facts["received"] == "3")
        #expect(outcome.facts["rtt_avg_ms"] != nil)
    }
}

@Suite struct RunnerTests {
    /// A check that hangs until its timeout does not delay the others, and is reported as `timeout`.
    @Test func hangingTargetDelaysNothingElse() async throws {
        let silent = try SilentSocket(udp: true)
        let port = try freeLoopbackPort(udp: false)
        let hanging = target(.dns, "portal.sansang.test", timeout: .seconds(2)) { $0.dnsServer = "127.0.0.1:\(silent.port)" }
        var hangsLonger = hanging
        hangsLonger.check.name = "hangs"
        hangsLonger.timeout = .seconds(3)
        let outcomes = await ServiceRunner(maxInFlight: 4, grace: .seconds(30)).run([hangsLonger, target(.tcp, port: Int(port)), hanging])
        // The socket must outlive the check: released early, its port would refuse instead.
        withExtendedLifetime(silent) {}
        #expect(outcomes.map(\.result.reason) == ["dns_timeout", "connect_refused", "dns_timeout"])
        // All three started together (one after another, the refused check would start ≥ 3 s after the first);
        // wall-clock bounds are left out: under the full parallel test run the machine's 2 cores are saturated.
        let starts = outcomes.map(\.result.checkedAt.timeIntervalSinceReferenceDate)
        #expect(starts.max()! - starts.min()! < 2, "checks ran one after another: \(starts)")
        #expect(outcomes[0].result.totalMilliseconds! >= 2900)
    }

    /// The probe's own reason at its timeout, not the runner's backstop.
    @Test func probeReportsItsOwnTimeout() async throws {
        let silent = try SilentSocket(udp: true)
        let outcome = await check(target(.ntp, port: Int(silent.port), timeout: .milliseconds(300)))
        // The socket must outlive the check: released early, its port would refuse instead.
        withExtendedLifetime(silent) {}
        #expect(outcome.result.reason == "ntp_timeout")
    }

    /// A probe that ignores its deadline is abandoned `grace` after the timeout and reported `timeout`.
    @Test func runnerAbandonsAProbeStuckPastItsDeadline() async throws {
        struct Stuck: ServiceProbe {
            func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
                try? await Task.sleep(for: .seconds(30))  // ignores its deadline
                return ServiceOutcome(result: ServiceResult(name: "stuck", kind: .tcp, ok: true, checkedAt: Date()))
            }
        }
        let started = ContinuousClock.now
        let outcome = await ServiceRunner(grace: .milliseconds(500)).run(target(.tcp, timeout: .milliseconds(100)), probe: Stuck())
        #expect(outcome.result.reason == "timeout")
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(outcome.facts["timeout_ms"] == "100")
    }

    @Test func inFlightIsBounded() async throws {
        let silent = try SilentSocket(udp: true)
        let targets = (0..<4).map { _ in target(.ntp, port: Int(silent.port), timeout: .milliseconds(400)) }
        let started = ContinuousClock.now
        _ = await ServiceRunner(maxInFlight: 2).run(targets)
        // The socket must outlive the check: released early, its port would refuse instead.
        withExtendedLifetime(silent) {}
        #expect(ContinuousClock.now - started >= .milliseconds(790), "4 checks of 400 ms, 2 at a time")
    }
}

@Suite(.serialized) struct DNSCheckTests {
    /// dnsmasq on a loopback high port: a test zone with one A record, NXDOMAIN for the rest of it, and a
    /// forwarded zone whose upstream is dead (SERVFAIL).
    static func withDnsmasq(_ body: (UInt16) async throws -> Void) async throws {
        let dnsmasq = try resolveExecutable("dnsmasq")
        let port = try freeLoopbackPort(udp: true)
        let dead = try freeLoopbackPort(udp: true)
        try await withTemporaryDirectory { directory in
            try await withDaemon([
                dnsmasq, "--no-daemon", "--conf-file=/dev/null", "--port=\(port)", "--listen-address=127.0.0.1",
                "--bind-interfaces", "--no-resolv", "--no-hosts", "--local=/sansang.test/",
                "--host-record=portal.sansang.test,198.18.0.10", "--server=/broken.test/127.0.0.1#\(dead)",
                "--pid-file=\(directory.path)/dnsmasq.pid", "--user=root", "--log-queries",
            ], log: directory.appendingPathComponent("dnsmasq.log")) { daemon in
                try await waitUntil(timeout: 20, "dnsmasq on \(port)") { daemon.log.contains("started") || !daemon.isRunning }
                try await body(port)
            }
        }
    }

    @Test func recordNXDOMAINServfailAndTimeout() async throws {
        try await Self.withDnsmasq { port in
            let server = "127.0.0.1:\(port)"
            let found = await check(target(.dns, "portal.sansang.test") { $0.dnsServer = server; $0.expectAddress = "198.18.0.10" })
            #expect(found.result.ok, "\(found)")
            #expect(found.facts["answers"] == "198.18.0.10")
            #expect(found.facts["rcode"] == "NOERROR")

            let mismatch = await check(target(.dns, "portal.sansang.test") { $0.dnsServer = server; $0.expectAddress = "198.18.0.11" })
            #expect(mismatch.result.reason == "answer_mismatch")

            let missing = await check(target(.dns, "missing.sansang.test") { $0.dnsServer = server })
            #expect(missing.result.reason == "nxdomain", "\(missing)")

            // dnsmasq forwards broken.test to a dead upstream and never answers: the check times out.
            let broken = await check(target(.dns, "www.broken.test", timeout: .seconds(2)) { $0.dnsServer = server })
            #expect(broken.result.reason == "dns_timeout", "\(broken)")
        }
        let silent = try SilentSocket(udp: true)
        let timeout = await check(target(.dns, "portal.sansang.test", timeout: .seconds(1)) { $0.dnsServer = "127.0.0.1:\(silent.port)" })
        // The socket must outlive the check: released early, its port would refuse instead.
        withExtendedLifetime(silent) {}
        #expect(timeout.result.reason == "dns_timeout")
        let closed = try freeLoopbackPort(udp: true)
        // Nothing listens: the ICMP port unreachable is not a server's REFUSED (told apart in refusedRcodeIsNotAClosedPort).
        let portClosed = await check(target(.dns, "portal.sansang.test", timeout: .seconds(1)) { $0.dnsServer = "127.0.0.1:\(closed)" })
        #expect(portClosed.result.reason == "dns_port_closed", "\(portClosed)")
    }

    /// A server that listens and answers rcode REFUSED (dnsmasq with no upstream for a name outside its zones)
    /// is `dns_refused`; a closed port is `dns_port_closed`.
    @Test func refusedRcodeIsNotAClosedPort() async throws {
        try await Self.withDnsmasq { port in
            let refused = await check(target(.dns, "elsewhere.example", timeout: .seconds(3)) { $0.dnsServer = "127.0.0.1:\(port)" })
            #expect(refused.result.reason == "dns_refused", "\(refused)")
            #expect(refused.facts["rcode"] == "REFUSED")
        }
        let closed = try freeLoopbackPort(udp: true)
        let portClosed = await check(target(.dns, "elsewhere.example", timeout: .seconds(3)) { $0.dnsServer = "127.0.0.1:\(closed)" })
        #expect(portClosed.result.reason == "dns_port_closed", "\(portClosed)")
        #expect(portClosed.facts["rcode"] == nil)
    }

    /// dnsmasq does not answer SERVFAIL on demand, so a one-shot responder does (a real UDP exchange).
    @Test func servfailIsToldApart() async throws {
        let server = try SilentSocket(udp: true)
        let fd = server.fd
        let responder = Thread {
            var buffer = [UInt8](repeating: 0, count: 512)
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count >= 12 else { return }
            var reply = Array(buffer.prefix(count))
            reply[2] = 0x81  // QR, RD
            reply[3] = 0x82  // RA, rcode 2 (SERVFAIL)
            _ = withUnsafePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, length) }
            }
        }
        responder.start()
        let outcome = await check(target(.dns, "portal.sansang.test", timeout: .seconds(2)) { $0.dnsServer = "127.0.0.1:\(server.port)" })
        // The socket must outlive the check: released early, its port would refuse instead.
        withExtendedLifetime(server) {}
        #expect(outcome.result.reason == "servfail", "\(outcome)")
        #expect(outcome.facts["rcode"] == "SERVFAIL")
    }

    @Test func systemResolverReadsLocalhost() async throws {
        let outcome = await check(target(.dns, "localhost"))
        #expect(outcome.result.ok, "\(outcome)")
        #expect(outcome.facts["server"] == "system")
    }
}

@Suite struct NTPCheckTests {
    @Test func chronydServesOffsetAndStratum() async throws {
        let chronyd = try resolveExecutable("chronyd")
        let port = try freeLoopbackPort(udp: true)
        try await withTemporaryDirectory { directory in
            let config = directory.appendingPathComponent("chrony.conf")
            try """
                port \(port)
                bindaddress 127.0.0.1
                allow 127.0.0.1
                local stratum 8
                cmdport 0
                pidfile \(directory.path)/chronyd.pid
                """.write(to: config, atomically: true, encoding: .utf8)
            // The daemon's log is attached to the test when the body throws (a failed #require).
            try await withDaemon([chronyd, "-d", "-x", "-u", "root", "-f", config.path],
                                 log: directory.appendingPathComponent("chronyd.log")) { _ in
                var outcome = await check(target(.ntp, port: Int(port), timeout: .seconds(1)))
                for _ in 0..<20 where !outcome.result.ok {
                    try await Task.sleep(for: .milliseconds(250))
                    outcome = await check(target(.ntp, port: Int(port), timeout: .seconds(1)))
                }
                try #require(outcome.result.ok, "\(outcome)")
                #expect(outcome.facts["stratum"] == "9" || outcome.facts["stratum"] == "8", "\(outcome)")
                #expect(abs(outcome.clock?.offsetMilliseconds ?? 1e9) < 100)
            }
        }
    }

    /// A server whose clock is 5 s ahead (a one-shot SNTP responder): the offset is measured, and the
    /// evaluator turns it into CLOCK_SKEW through Report.clock.
    @Test func skewedServerGivesClockSkew() async throws {
        let server = try SilentSocket(udp: true)
        let fd = server.fd
        let responder = Thread {
            var buffer = [UInt8](repeating: 0, count: 128)
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count >= 48 else { return }
            func stamp(_ date: Date) -> [UInt8] {
                let value = date.timeIntervalSince1970 + 2_208_988_800
                let seconds = UInt32(truncatingIfNeeded: UInt64(value))
                let fraction = UInt32(truncatingIfNeeded: UInt64((value - value.rounded(.down)) * 4_294_967_296))
                return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: seconds >> $0) } + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: fraction >> $0) }
            }
            let now = Date().addingTimeInterval(5)
            var reply = [UInt8](repeating: 0, count: 48)
            reply[0] = 0x24  // LI 0, version 4, mode 4 (server)
            reply[1] = 2     // stratum
            reply.replaceSubrange(24..<32, with: buffer[40..<48])
            reply.replaceSubrange(32..<40, with: stamp(now))
            reply.replaceSubrange(40..<48, with: stamp(now))
            _ = withUnsafePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, length) }
            }
        }
        responder.start()
        let outcome = await check(target(.ntp, port: Int(server.port), timeout: .seconds(2)))
        // The socket must outlive the check: released early, its port would refuse instead.
        withExtendedLifetime(server) {}
        #expect(outcome.result.ok, "\(outcome)")
        #expect(outcome.facts["stratum"] == "2")
        let offset = try #require(outcome.clock?.offsetMilliseconds)
        #expect(abs(offset - 5000) < 100, "\(offset)")

        let site = Site(code: "00000", name: "t", type: .xa)
        let profile = Profile(name: "t", services: [ServiceCheck(name: "t-ntp", kind: .ntp, host: "127.0.0.1")])
        let report = Report(site: site.code, agent: AgentIdentity(version: "t", hostname: "t", bootId: "t"), seq: 1,
                            generatedAt: Date(), services: [outcome.result], clock: outcome.clock)
        let verdict = ReadinessEvaluator().evaluate(site: site, profile: profile, latest: report, now: Date())
        #expect(verdict?.reasons.map(\.description) == ["CLOCK_SKEW"])
    }

    @Test func silentServerIsNTPTimeout() async throws {
        let silent = try SilentSocket(udp: true)
        let outcome = await check(target(.ntp, port: Int(silent.port), timeout: .seconds(1)))
        // The socket must outlive the check: released early, its port would refuse instead.
        withExtendedLifetime(silent) {}
        #expect(outcome.result.reason == "ntp_timeout")
    }
}
