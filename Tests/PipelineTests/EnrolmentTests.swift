import CertificateTools
import Foundation
import GRDB
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing
import TestSupport

/// Enrolment and TLS end to end with the real programs on loopback: `tls init`, a collector serving HTTPS with
/// its certificate, `enroll issue`, `sansang-agent enroll` (every refusal, then success), the enrolled agent's
/// first report stored; the certificate replaced on SIGHUP while a connection stays open.
@Suite(.serialized) struct EnrolmentTests {
    /// An office's configuration and state directories under `directory`; only the state one is made (a refused
    /// enrolment must leave no configuration directory).
    static func officeDirectories(in directory: URL) throws -> (etc: URL, state: URL) {
        let state = directory.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        return (directory.appendingPathComponent("etc"), state)
    }

    /// `sansang-agent enroll` into those directories, LLDP off, with `arguments` (collector, site, code, …).
    static func enroll(etc: URL, state: URL, _ arguments: [String]) async throws -> ProgramRun {
        try await runProgram("sansang-agent", ["enroll", "--config-dir", etc.path, "--state-dir", state.path, "--lldp-wait", "0"] + arguments)
    }

    @Test func anAgentEnrolsOverVerifiedHTTPSAndItsFirstReportIsStored() async throws {
        try await withTemporaryDirectory { directory in
            try await withTLSCollector(directory: directory) { lab in
                try await lab.start()
                let issued = try await lab.issue(site: "20242")
                #expect(issued.fingerprint == lab.fingerprint, "enroll issue prints the served certificate's fingerprint")
                #expect(issued.code.range(of: #"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$"#,
                                          options: .regularExpression) != nil, "code \(issued.code)")
                let (etc, state) = try Self.officeDirectories(in: directory)
                func enroll(_ arguments: [String]) async throws -> ProgramRun { try await Self.enroll(etc: etc, state: state, arguments) }
                func nothingWritten() -> Bool { !FileManager.default.fileExists(atPath: etc.path) }

                // Refusals: each says why, in Vietnamese (English with --lang en), exits 1 and writes nothing.
                let wrongCode = try await enroll(["--collector", lab.url, "--site", "20242", "--code", "2345-6789-ABCD",
                                            "--fingerprint", lab.fingerprint])
                #expect(wrongCode.status == 1)
                #expect(wrongCode.stderr.contains("Mã đăng ký không đúng"), "\(wrongCode.stderr)")
                let wrongSite = try await enroll(["--collector", lab.url, "--site", "20257", "--code", issued.code,
                                            "--fingerprint", lab.fingerprint])
                #expect(wrongSite.status == 1)
                #expect(wrongSite.stderr.contains("không dành cho trạm 20257"), "\(wrongSite.stderr)")
                let otherFingerprint = "sha256:" + Array(repeating: "AB", count: 32).joined(separator: ":")
                let mismatch = try await enroll(["--collector", lab.url, "--site", "20242", "--code", issued.code,
                                           "--fingerprint", otherFingerprint, "--lang", "en"])
                #expect(mismatch.status == 1)
                #expect(mismatch.stderr.contains("DOES NOT MATCH") && mismatch.stderr.contains(lab.fingerprint), "\(mismatch.stderr)")
                let untrusted = try await enroll(["--collector", lab.url, "--site", "20242", "--code", issued.code])
                #expect(untrusted.status == 1)
                #expect(untrusted.stderr.contains("Không xác minh được chứng chỉ"), "\(untrusted.stderr)")
                let plain = try await enroll(["--collector", "http://198.18.0.1:8470", "--site", "20242", "--code", issued.code])
                #expect(plain.status == 1)
                #expect(plain.stderr.contains("https://"), "\(plain.stderr)")
                #expect(nothingWritten(), "a refused enrolment writes nothing")

                // The code typed in lower case with spaces still works, once.
                let typed = issued.code.lowercased().replacingOccurrences(of: "-", with: " ")
                let enrolled = try await enroll(["--collector", lab.url, "--site", "20242", "--code", typed, "--fingerprint", lab.fingerprint])
                #expect(enrolled.status == 0, "\(enrolled.stdout)\(enrolled.stderr)")
                #expect(enrolled.stdout.contains("Đã đăng ký trạm 20242"))
                #expect(enrolled.stdout.contains("✓ collector \(lab.url)"), "\(enrolled.stdout)")
                #expect(enrolled.stdout.contains("systemctl enable --now sansang-agent"))
                let token = etc.appendingPathComponent("token").path
                let mode = try #require(try FileManager.default.attributesOfItem(atPath: token)[.posixPermissions] as? Int)
                #expect(mode == 0o600)
                #expect(try String(contentsOfFile: etc.appendingPathComponent("collector-ca.pem").path, encoding: .utf8)
                        == String(contentsOf: lab.tls.appendingPathComponent("ca.pem"), encoding: .utf8))
                let config = etc.appendingPathComponent("agent.yaml")
                let yaml = try String(contentsOf: config, encoding: .utf8)
                #expect(yaml.contains("pinned_ca_file: \(etc.path)/collector-ca.pem"))

                let used = try await enroll(["--collector", lab.url, "--site", "20242", "--code", issued.code, "--fingerprint", lab.fingerprint])
                #expect(used.status == 1)
                #expect(used.stderr.contains("đã được dùng"), "\(used.stderr)")
                let shortLived = try await lab.issue(site: "20242", ttl: "1s")
                try await Task.sleep(for: .milliseconds(1500))
                let expired = try await enroll(["--collector", lab.url, "--site", "20242", "--code", shortLived.code,
                                          "--fingerprint", lab.fingerprint])
                #expect(expired.status == 1)
                #expect(expired.stderr.contains("đã hết hạn"), "\(expired.stderr)")
                #expect(try String(contentsOf: config, encoding: .utf8) == yaml, "a refusal leaves the files as they were")

                // The enrolled agent, as written (uplink lo: no default route needed), reports over the pinned TLS;
                // its /metrics (turned on here) says so in the Prometheus format promtool accepts.
                let metricsPort = try freeLoopbackPort(udp: false)
                try yaml.replacingOccurrences(of: "uplink: auto", with: """
                    uplink: lo
                    lldp_wait_s: 0
                    report_interval_s: 0.5
                    metrics: {listen: "127.0.0.1:\(metricsPort)"}
                    """).write(to: config, atomically: true, encoding: .utf8)
                try await withDaemon([try builtProgram("sansang-agent"), "run", "--config", config.path],
                                     log: directory.appendingPathComponent("agent.log")) { agent in
                    try await waitUntil(timeout: 60, "the enrolled agent's first report in the collector's database") {
                        try lab.storedReports(site: "20242") > 0
                    }
                    var metrics = ""
                    try await waitUntil(timeout: 20, "an acknowledged report in the agent's /metrics") {
                        metrics = try await run(["curl", "-sf", "http://127.0.0.1:\(metricsPort)/metrics"])
                        return metrics.contains("sansang_agent_reports_acknowledged_total") && !metrics.contains("sansang_agent_reports_acknowledged_total 0\n")
                    }
                    #expect(metrics.contains("sansang_agent_build_info{version="))
                    #expect(metrics.contains("sansang_agent_probe_duration_seconds{probe=\"link_evidence\",kind=\"lan\"}"))
                    #expect(metrics.contains("sansang_agent_spool_reports "))
                    #expect(metrics.contains("sansang_agent_throughput_budget_used_bytes "))
                    let scrape = directory.appendingPathComponent("metrics.txt")
                    try metrics.write(to: scrape, atomically: true, encoding: .utf8)
                    let lint = try await runCapturing(["sh", "-c", "promtool check metrics < \(scrape.path)"])
                    #expect(lint.status == 0, "promtool: \(lint.stdout)\(lint.stderr)")

                    // Pinned means only that CA: once the collector serves a certificate of another CA, a fresh agent
                    // (no pooled connection from before) refuses it and stores nothing more.
                    await agent.stop()
                    let other = directory.appendingPathComponent("tls-other")
                    try await Pipeline.check(runProgram("sansang-collector", ["tls", "init", "--dir", other.path, "--name", "127.0.0.1"]))
                    for name in ["server.pem", "server.key"] {
                        try FileManager.default.removeItem(at: lab.tls.appendingPathComponent(name))
                        try FileManager.default.copyItem(at: other.appendingPathComponent(name), to: lab.tls.appendingPathComponent(name))
                    }
                    kill(try #require(lab.collector).pid, SIGHUP)
                    try await waitUntil(timeout: 10, "the reload in the collector's log") {
                        lab.collector?.log.contains("TLS certificate reloaded") == true
                    }
                    let before = try lab.storedReports(site: "20242")
                    try await withDaemon([try builtProgram("sansang-agent"), "run", "--config", config.path],
                                         log: directory.appendingPathComponent("agent-2.log")) { pinned in
                        try await waitUntil(timeout: 30, "the pinned agent failing to send") { pinned.log.contains("send failed") }
                        try await Task.sleep(for: .seconds(2))
                        #expect(try lab.storedReports(site: "20242") == before, "nothing reaches a collector the pinned CA did not vouch for")
                        #expect(pinned.log.contains("CERTIFICATE_VERIFY_FAILED"), "refused for its certificate")
                        #expect(pinned.isRunning, "the agent keeps its reports and retries")
                    }
                }
            }
        }
    }

    /// On a server where the package was installed, agent.yaml exists but holds only commented defaults: enrolment
    /// fills it in (the settings first, the package's comments kept below), keeps its mode, and the check passes.
    @Test func enrolmentFillsInThePackagesCommentedAgentYAML() async throws {
        try await withTemporaryDirectory { directory in
            try await withTLSCollector(directory: directory) { lab in
                try await lab.start()
                let issued = try await lab.issue(site: "20242")
                let (etc, state) = try Self.officeDirectories(in: directory)
                try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
                let config = etc.appendingPathComponent("agent.yaml")
                let packaged = try String(contentsOf: packageRoot.appendingPathComponent("packaging/etc/agent.yaml"), encoding: .utf8)
                try packaged.write(to: config, atomically: true, encoding: .utf8)
                chmod(config.path, 0o640)
                let enrolled = try await Self.enroll(etc: etc, state: state, ["--collector", lab.url, "--site", "20242", "--code", issued.code,
                                                                             "--fingerprint", lab.fingerprint, "--lang", "en"])
                #expect(enrolled.status == 0, "\(enrolled.stdout)\(enrolled.stderr)")
                #expect(enrolled.stdout.contains("✓ the collector \(lab.url) answers"), "the check reads the filled-in file: \(enrolled.stdout)")
                let written = try String(contentsOf: config, encoding: .utf8)
                #expect(written.hasPrefix("# Written by sansang-agent enroll"), "\(written)")
                #expect(written.contains("site: \"20242\"\ncollector:\n  url: \(lab.url)\n"), "\(written)")
                #expect(written.hasSuffix(packaged), "the package's comments stay below the settings")
                let mode = try #require(try FileManager.default.attributesOfItem(atPath: config.path)[.posixPermissions] as? Int)
                #expect(mode == 0o640, "the package's mode is kept")
            }
        }
    }

    /// The key pin learnt at enrolment, with real certificates: the collector's own CA may sign a new key (accepted,
    /// logged); without a pinned CA (a CA the agent merely trusts, as a public one) only a pinned key is accepted.
    @Test func theEnrolledAgentPinsTheCollectorsPublicKey() async throws {
        try await withTemporaryDirectory { directory in
            try await withTLSCollector(directory: directory) { lab in
                try await lab.start()
                let issued = try await lab.issue(site: "20242")
                let (etc, state) = try Self.officeDirectories(in: directory)
                let enrolled = try await Self.enroll(etc: etc, state: state, ["--collector", lab.url, "--site", "20242", "--code", issued.code,
                                                                             "--fingerprint", lab.fingerprint])
                #expect(enrolled.status == 0, "\(enrolled.stdout)\(enrolled.stderr)")
                let oldKey = try CollectorTLS.publicKeyFingerprint(
                    pem: String(contentsOf: lab.tls.appendingPathComponent("server.pem"), encoding: .utf8))
                #expect(enrolled.stdout.contains("khóa công khai của collector đã ghim: \(oldKey)"), "\(enrolled.stdout)")
                let config = etc.appendingPathComponent("agent.yaml")
                let written = try String(contentsOf: config, encoding: .utf8)
                #expect(written.contains("pinned_public_keys: [\"\(oldKey)\"]"), "\(written)")
                let running = written.replacingOccurrences(of: "uplink: auto", with: "uplink: lo\nlldp_wait_s: 0\nreport_interval_s: 0.5")
                try running.write(to: config, atomically: true, encoding: .utf8)

                // A new key for the collector, in a certificate signed by its CA (openssl, from the CA's key), served after SIGHUP.
                let next = directory.appendingPathComponent("next")
                try FileManager.default.createDirectory(at: next, withIntermediateDirectories: true)
                let ext = next.appendingPathComponent("ext.cnf")
                try "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
                    .write(to: ext, atomically: true, encoding: .utf8)
                try await Pipeline.check(runCapturing(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                                       "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", next.appendingPathComponent("server.key").path,
                                                       "-out", next.appendingPathComponent("server.csr").path]))
                try await Pipeline.check(runCapturing(["openssl", "x509", "-req", "-days", "2", "-in", next.appendingPathComponent("server.csr").path,
                                                       "-CA", lab.tls.appendingPathComponent("ca.pem").path,
                                                       "-CAkey", lab.tls.appendingPathComponent("ca.key").path, "-CAcreateserial",
                                                       "-extfile", ext.path, "-out", next.appendingPathComponent("server.pem").path]))
                let newKey = try CollectorTLS.publicKeyFingerprint(
                    pem: String(contentsOf: next.appendingPathComponent("server.pem"), encoding: .utf8))
                #expect(newKey != oldKey)
                for name in ["server.pem", "server.key"] {
                    try FileManager.default.removeItem(at: lab.tls.appendingPathComponent(name))
                    try FileManager.default.copyItem(at: next.appendingPathComponent(name), to: lab.tls.appendingPathComponent(name))
                }
                kill(try #require(lab.collector).pid, SIGHUP)
                try await waitUntil(timeout: 10, "the reload in the collector's log") {
                    lab.collector?.log.contains("TLS certificate reloaded") == true
                }

                // With the CA pinned: the rotation signed by it is accepted, and said once in the log.
                try await withDaemon([try builtProgram("sansang-agent"), "run", "--config", config.path],
                                     log: directory.appendingPathComponent("agent-rotated.log")) { rotated in
                    try await waitUntil(timeout: 60, "a report over the rotated key in the collector's database") {
                        try lab.storedReports(site: "20242") > 0
                    }
                    #expect(rotated.log.contains("the collector presents a new public key") && rotated.log.contains(newKey))
                }

                // Without a pinned CA (the CA only trusted, as a public CA would be): the key must be a pinned one.
                let strict = running.replacingOccurrences(of: "pinned_ca_file:", with: "ca_file:")
                #expect(strict != running)
                try strict.write(to: config, atomically: true, encoding: .utf8)
                let before = try lab.storedReports(site: "20242")
                try await withDaemon([try builtProgram("sansang-agent"), "run", "--config", config.path],
                                     log: directory.appendingPathComponent("agent-strict.log")) { refused in
                    try await waitUntil(timeout: 30, "the pinned key's refusal in the agent's log") { refused.log.contains("is not the pinned one") }
                    try await Task.sleep(for: .seconds(2))
                    #expect(refused.log.contains(newKey), "the refusal names the presented key")
                    #expect(try lab.storedReports(site: "20242") == before, "nothing reaches a collector with a key not pinned")
                    #expect(refused.isRunning, "the agent keeps its reports and retries")
                }

                // The new key pinned beside the old one (as an administrator does before a planned rotation): accepted.
                try strict.replacingOccurrences(of: "[\"\(oldKey)\"]", with: "[\"\(oldKey)\", \"\(newKey)\"]")
                    .write(to: config, atomically: true, encoding: .utf8)
                try await withDaemon([try builtProgram("sansang-agent"), "run", "--config", config.path],
                                     log: directory.appendingPathComponent("agent-both.log")) { accepted in
                    try await waitUntil(timeout: 60, "a report over the newly pinned key") { try lab.storedReports(site: "20242") > before }
                    #expect(!accepted.log.contains("the collector presents a new public key"), "a pinned key is no rotation")
                }
            }
        }
    }

    @Test func sighupServesANewCertificateToNewConnectionsWhileAnOpenOneStays() async throws {
        try await withTemporaryDirectory { directory in
            try await withTLSCollector(directory: directory) { lab in
                try await lab.start()
                let old = try await TLSConnection.open(port: Int(lab.port))
                #expect(old.fingerprint == lab.fingerprint)
                #expect(try await old.get("/healthz").contains("\"ok\""))

                // A new pair (another CA), written over the served files, then SIGHUP.
                let next = directory.appendingPathComponent("tls-next")
                try await Pipeline.check(runProgram("sansang-collector", ["tls", "init", "--dir", next.path, "--name", "127.0.0.1"]))
                for name in ["server.pem", "server.key"] {
                    let target = lab.tls.appendingPathComponent(name)
                    try FileManager.default.removeItem(at: target)
                    try FileManager.default.copyItem(at: next.appendingPathComponent(name), to: target)
                }
                let nextFingerprint = try CollectorTLS.fingerprint(
                    pem: String(contentsOf: next.appendingPathComponent("server.pem"), encoding: .utf8))
                #expect(nextFingerprint != lab.fingerprint)
                kill(try #require(lab.collector).pid, SIGHUP)
                try await waitUntil(timeout: 10, "the reload in the collector's log") {
                    lab.collector?.log.contains("TLS certificate reloaded") == true
                }
                let fresh = try await TLSConnection.open(port: Int(lab.port))
                #expect(fresh.fingerprint == nextFingerprint, "a new connection gets the new certificate")
                #expect(try await fresh.get("/healthz").contains("\"ok\""))
                #expect(try await old.get("/healthz").contains("\"ok\""), "the connection opened before the reload still answers")
                #expect(old.fingerprint == lab.fingerprint)
                old.close()
                fresh.close()

                // A key that does not match its certificate is refused; the running pair stays.
                try FileManager.default.removeItem(at: lab.tls.appendingPathComponent("server.key"))
                try FileManager.default.copyItem(at: lab.tls.appendingPathComponent("ca.key"), to: lab.tls.appendingPathComponent("server.key"))
                kill(try #require(lab.collector).pid, SIGHUP)
                try await waitUntil(timeout: 10, "the refused reload in the collector's log") {
                    lab.collector?.log.contains("TLS certificate reload refused") == true
                }
                let after = try await TLSConnection.open(port: Int(lab.port))
                #expect(after.fingerprint == nextFingerprint)
                after.close()
            }
        }
    }

    @Test func secretsGivenAsFlagValuesAreRefusedWithTheFileFlagNamed() async throws {
        let token = try await runProgram("sansang", ["status", "--server", "http://127.0.0.1:9", "--token", "sst_000000000000_x"])
        #expect(token.status == 2)
        #expect(token.stderr.contains("--token-file FILE"), "\(token.stderr)")
        let passphrase = try await runProgram("sansang-agent", ["check", "--switch", "udp:127.0.0.1:9", "--v3-user", "u",
                                                          "--auth-passphrase", "auth-secret-1", "--lldp-wait", "0"])
        #expect(passphrase.status == 2)
        #expect(passphrase.stderr.contains("--auth-passphrase-file FILE"), "\(passphrase.stderr)")
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("auth").path
            try "auth-secret-1\n".write(toFile: file, atomically: true, encoding: .utf8)
            chmod(file, 0o644)
            let readable = try await runProgram("sansang-agent", ["check", "--switch", "udp:127.0.0.1:9", "--v3-user", "u",
                                                            "--auth-passphrase-file", file, "--lldp-wait", "0"])
            #expect(readable.status == 2)
            #expect(readable.stderr.contains("every user can read it"), "\(readable.stderr)")
        }
    }
}

/// A collector on 127.0.0.1 serving HTTPS with a `tls init` certificate, its inventory and database in `directory`;
/// its process owned by a `DaemonScope` (see `withTLSCollector`).
final class TLSCollector: @unchecked Sendable {
    let directory: URL
    let tls: URL
    let port: UInt16
    let config: String
    let database: String
    let fingerprint: String
    private(set) var collector: Daemon?
    private let daemons: DaemonScope

    var url: String { "https://127.0.0.1:\(port)" }

    init(directory: URL, daemons: DaemonScope) async throws {
        self.directory = directory
        self.daemons = daemons
        tls = directory.appendingPathComponent("tls")
        let initialised = try await runProgram("sansang-collector", ["tls", "init", "--dir", tls.path, "--name", "127.0.0.1",
                                                               "--name", "localhost"])
        try Pipeline.check(initialised)
        fingerprint = try CollectorTLS.fingerprint(pem: String(contentsOf: tls.appendingPathComponent("server.pem"), encoding: .utf8))
        #expect(initialised.stdout.contains(fingerprint))
        port = try freeLoopbackPort(udp: false)
        let inventory = directory.appendingPathComponent("inventory")
        try FileManager.default.createDirectory(at: inventory, withIntermediateDirectories: true)
        try Pipeline.inventory.write(to: inventory.appendingPathComponent("lab.yaml"), atomically: true, encoding: .utf8)
        config = directory.appendingPathComponent("collector.yaml").path
        database = directory.appendingPathComponent("collector.sqlite").path
        try """
            listen: {host: 127.0.0.1, port: \(port)}
            tls:
              cert_file: \(tls.path)/server.pem
              key_file: \(tls.path)/server.key
              ca_file: \(tls.path)/ca.pem
            database: {sqlite_path: \(database)}
            inventory: [\(inventory.path)]
            report_interval_s: 1
            evaluation_interval_s: 1
            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    func start() async throws {
        collector = try daemons.start([try builtProgram("sansang-collector"), "serve", "--config", config],
                                      log: directory.appendingPathComponent("collector.log"))
        let ca = tls.appendingPathComponent("ca.pem").path
        try await waitUntil(timeout: 30, "the collector's /readyz over HTTPS") {
            (try? await run(["curl", "-sf", "--cacert", ca, "-o", "/dev/null", "\(url)/readyz"])) != nil
        }
    }

    func issue(site: String, ttl: String = "24h") async throws -> (code: String, fingerprint: String?) {
        let run = try await runProgram("sansang-collector", ["enroll", "issue", site, "--ttl", ttl, "--config", config])
        try Pipeline.check(run)
        func value(_ key: String) -> String? {
            run.stdout.split(separator: "\n").first { $0.hasPrefix(key + ":") }
                .map { $0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces) }
        }
        return (value("code") ?? "", value("fingerprint"))
    }

    func storedReports(site: String) throws -> Int {
        try DatabaseQueue(path: database).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM report WHERE site = ?", arguments: [site]) ?? 0
        }
    }
}

/// A `TLSCollector` in `directory` for the duration of `body`; every process started in its scope (the collector,
/// the test's agents) stopped afterwards on every path, their logs attached when the test fails.
func withTLSCollector(directory: URL, _ body: (TLSCollector) async throws -> Void) async throws {
    try await withDaemons { daemons in
        try await body(try await TLSCollector(directory: directory, daemons: daemons))
    }
}

/// One TLS connection to the collector kept open across requests (HTTP/1.1 keep-alive); it records the
/// certificate the server presented and accepts it (the test compares fingerprints itself).
final class TLSConnection: Sendable {
    let channel: any Channel
    let fingerprint: String
    private let received: Received

    private init(channel: any Channel, fingerprint: String, received: Received) {
        self.channel = channel
        self.fingerprint = fingerprint
        self.received = received
    }

    /// What the server sent, as text, appended to by the channel's handler.
    final class Received: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let text = Mutex("")
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            text.withLock { $0 += String(buffer: buffer) }
        }
        func take() -> String { text.withLock { value in defer { value = "" }; return value } }
        func peek() -> String { text.withLock { $0 } }
    }

    static func open(port: Int) async throws -> TLSConnection {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: configuration)
        let group = MultiThreadedEventLoopGroup.singleton
        let presented = group.any().makePromise(of: String.self)
        let received = Received()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: nil, customVerificationCallback: { certificates, promise in
                        presented.succeed(CollectorTLS.fingerprint(der: (try? certificates.first?.toDERBytes()) ?? []))
                        promise.succeed(.certificateVerified)
                    })
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(received)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TLSConnection(channel: channel, fingerprint: try await presented.futureResult.get(), received: received)
    }

    /// One GET on this connection; the whole response (head and body) as text.
    func get(_ path: String) async throws -> String {
        _ = received.take()
        try await channel.writeAndFlush(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).get()
        try await waitUntil(timeout: 10, "the answer to GET \(path)") {
            let text = received.peek()
            guard let headEnd = text.range(of: "\r\n\r\n") else { return false }
            let head = text[..<headEnd.lowerBound].lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            return text.utf8.count - text[..<headEnd.upperBound].utf8.count >= length
        }
        guard channel.isActive else { throw CommandFailure(argv: ["GET", path], status: -1, output: "the connection closed") }
        return received.take()
    }

    func close() {
        channel.close(promise: nil)
    }
}
