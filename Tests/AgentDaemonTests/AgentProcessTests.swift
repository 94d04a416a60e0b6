import Foundation
import ReadinessModel
import SansangAPI
import Spool
import Testing
import TestSupport
@testable import AgentDaemon

struct TestSetupFailure: Error, CustomStringConvertible {
    let description: String
}

/// The built `sansang-agent`, next to the test bundle.
func agentBinary() throws -> String {
    guard let directory = Bundle.main.executableURL?.deletingLastPathComponent() else {
        throw TestSetupFailure(description: "the test bundle has no path")
    }
    let path = directory.appendingPathComponent("sansang-agent").path
    guard FileManager.default.isExecutableFile(atPath: path) else { throw TestSetupFailure(description: "\(path) missing: build first") }
    return path
}

/// A state directory with a cached plan, a token and an agent.yaml whose collector is a closed loopback port.
struct AgentFixture {
    let root: URL
    var config: URL { root.appendingPathComponent("agent.yaml") }
    var state: URL { root.appendingPathComponent("state") }
    var spool: URL { state.appendingPathComponent("spool") }

    init(root: URL, reportInterval: Double = 0.02) throws {
        self.root = root
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try Data("test-token\n".utf8).write(to: root.appendingPathComponent("agent.token"))
        chmod(root.appendingPathComponent("agent.token").path, 0o600)
        let port = try freeLoopbackPort(udp: false)
        try """
            site: "20242"
            collector:
              url: http://127.0.0.1:\(port)
              token_file: \(root.path)/agent.token
              timeout_s: 2
            uplink: lo
            state_directory: \(state.path)
            send:
              backoff_initial_s: 0.05
              backoff_max_s: 0.5
            report_interval_s: \(reportInterval)
            """.write(to: config, atomically: true, encoding: .utf8)
        let plan = AgentPlan(site: Site(code: "20242", name: "Phường Hải Châu", type: .phuong),
                             profile: Profile(name: "default", links: [LinkTarget(role: .lan, targetMbps: 1000)]),
                             reportIntervalSeconds: 60, version: "test-1")
        try CachedPlan(etag: "\"test-1\"", fetchedAt: Date(), plan: plan).save(state.appendingPathComponent("plan.json"))
    }

    func start(in daemons: DaemonScope, notifySocket: String? = nil) throws -> Daemon {
        var environment = ["SANSANG_LOG_LEVEL": "debug"]
        if let notifySocket { environment["NOTIFY_SOCKET"] = notifySocket }
        return try daemons.start([try agentBinary(), "run", "--config", config.path],
                                 log: root.appendingPathComponent("agent.log"), environment: environment)
    }

    var depth: Int { (try? Spool.status(directory: spool).depth) ?? 0 }
}

/// A datagram socket bound in the file system, standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    let fd: Int32

    init(directory: URL) throws {
        path = directory.appendingPathComponent("notify.sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestSetupFailure(description: "cannot bind \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The datagrams received so far (each waits at most 100 ms).
    func receive() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return messages }
            messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
    }

    deinit { close(fd) }
}

@Suite(.serialized) struct AgentProcessTests {
    @Test func notifiesReadyThenStoppingAndLeavesTheSpoolIntactOnSIGTERM() async throws {
        try await withTemporaryDirectory { root in
            let fixture = try AgentFixture(root: root)
            let notify = try NotifySocket(directory: root)
            try await withDaemons { daemons in
                let agent = try fixture.start(in: daemons, notifySocket: notify.path)
                var received: [String] = []
                try await waitUntil(timeout: 20, "READY=1") {
                    received += notify.receive()
                    return received.contains { $0.split(separator: "\n").contains("READY=1") }
                }
                try await waitUntil(timeout: 20, "reports in the spool") { fixture.depth >= 3 }
                do {
                    try await waitUntil(timeout: 20, "the sender's error (the collector's port is closed)") {
                        try Spool.status(directory: fixture.spool).lastError != nil
                    }
                } catch {
                    Issue.record(error)
                }
                kill(agent.pid, SIGTERM)
                try await waitUntil(timeout: 20, "exit after SIGTERM") { !agent.isRunning }
                received += notify.receive()
                #expect(agent.exitCode == 0)
                #expect(received.contains("STOPPING=1"), "\(received)")
                #expect(!received.contains("STOPPING=1") || received.firstIndex(where: { $0.hasPrefix("READY=1") })! < received.firstIndex(of: "STOPPING=1")!)
            }

            let before = try Spool.status(directory: fixture.spool)
            let spool = try Spool(directory: fixture.spool)
            let after = await spool.status()
            #expect(after.depth == before.depth)
            #expect(after.corruptRecords == 0)
            let items = try await spool.peekBatch(max: 10_000)
            #expect(items.map(\.key.seq) == Array(0..<UInt64(items.count)))
            #expect(items.allSatisfy { $0.report.site == "20242" && $0.report.link(.lan)?.interface == "lo" })
        }
    }

    @Test func survivesTwentySIGKILLsAtRandomMoments() async throws {
        try await withTemporaryDirectory { root in
            let fixture = try AgentFixture(root: root, reportInterval: 0.01)
            var boots = 0
            try await withDaemons { daemons in
                for round in 0..<20 {
                    let agent = try fixture.start(in: daemons)
                    let before = fixture.depth
                    // Kill once it is writing: at a random moment after its first new report.
                    try await waitUntil(timeout: 20, "round \(round): a new report") { fixture.depth > before || !agent.isRunning }
                    #expect(agent.isRunning, "round \(round)")
                    try await Task.sleep(for: .microseconds(Int.random(in: 0...150_000)))
                    kill(agent.pid, SIGKILL)
                    try await waitUntil(timeout: 20, "round \(round): death") { !agent.isRunning }
                    #expect(agent.exitCode == 128 + SIGKILL)
                    boots += 1
                }
            }
            let spool = try Spool(directory: fixture.spool)
            let status = await spool.status()
            let items = try await spool.peekBatch(max: 1_000_000)
            #expect(items.count == status.depth)
            #expect(status.depth >= 20, "every round wrote at least one report before its kill")
            let byBoot = Dictionary(grouping: items, by: \.key.bootId)
            #expect(byBoot.count <= boots)
            for (boot, reports) in byBoot {
                let seqs = reports.map(\.key.seq)
                #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count, "boot \(boot): \(seqs)")
                #expect(seqs.first == 0, "boot \(boot) starts at seq 0")
            }
            // Boots drain in start order: every boot's reports are contiguous in the batch.
            var seen: [String] = []
            for item in items where seen.last != item.key.bootId {
                #expect(!seen.contains(item.key.bootId))
                seen.append(item.key.bootId)
            }
            // Torn writes are counted, never fatal; what a kill leaves behind are interrupted temporary files.
            #expect(status.corruptRecords == 0)
            print("kill -9 × \(boots): \(status.depth) reports, \(status.interruptedWrites) interrupted writes, \(status.corruptRecords) corrupt")
        }
    }

    @Test func configurationErrorsExitTwoWithFileLineColumnAndField() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sansang-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("agent.yaml")
        try "site: '20242'\ncollector:\n  url: http://127.0.0.1:1\nspool:\n  max_bytez: 1\n".write(to: file, atomically: true, encoding: .utf8)
        let run = try await runProgram("sansang-agent", ["run", "--config", file.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(file.path):5:3: spool.max_bytez: unknown key \"max_bytez\" (did you mean \"max_bytes\"?)"), "\(run.stderr)")
        let missing = try await runProgram("sansang-agent", ["run", "--config", directory.appendingPathComponent("none.yaml").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("none.yaml:1:1: cannot read"), "\(missing.stderr)")
    }

    @Test func spoolStatusPrintsVietnameseEnglishAndJSON() async throws {
        try await withTemporaryDirectory { root in
            let fixture = try AgentFixture(root: root)
            let spool = try Spool(directory: fixture.spool)
            let agent = AgentIdentity(version: "t", hostname: "h", bootId: "boot-1")
            for seq in 0..<3 {
                try await spool.append(Report(site: "20242", agent: agent, seq: UInt64(seq), generatedAt: Date()), bootStartedAt: Date())
            }
            try await spool.recordError("HTTP 503 unavailable: maintenance")
            let vi = try await runProgram("sansang-agent", ["spool", "status", "--config", fixture.config.path])
            #expect(vi.status == 0)
            #expect(vi.stdout.contains("Báo cáo chờ gửi") && vi.stdout.contains("HTTP 503"), "\(vi.stdout)\(vi.stderr)")
            let en = try await runProgram("sansang-agent", ["spool", "status", "--config", fixture.config.path, "--lang", "en"])
            #expect(en.stdout.contains("Reports waiting"), "\(en.stdout)")
            let json = try await runProgram("sansang-agent", ["spool", "status", "--config", fixture.config.path, "--json"])
            let status = try ReportCoding.decoder().decode(SpoolStatus.self, from: Data(json.stdout.utf8))
            #expect(status.depth == 3)
            #expect(status.lastError?.message == "HTTP 503 unavailable: maintenance")
        }
    }
}

@Suite struct SystemdTests {
    @Test func notifierSendsOneDatagramToPathAndAbstractSockets() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sansang-sd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = try NotifySocket(directory: directory)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "4000000"])
        #expect(notifier.watchdogInterval == .seconds(2))
        #expect(notifier.notify("READY=1"))
        #expect(socket.receive() == ["READY=1"])
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "100", "WATCHDOG_PID": "1"]).watchdogInterval == nil)
    }

    /// systemd-analyze's exit status and everything it printed (stdout and stderr together).
    func systemdAnalyze(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let run = try await runCapturing(["systemd-analyze"] + arguments)
        return (run.status, run.stdout + run.stderr)
    }

    /// The unit with ExecStart pointing at the built binary (verify checks that the program exists).
    func unitCopy(in directory: URL) throws -> URL {
        let unit = try String(contentsOf: packageRoot.appendingPathComponent("systemd/sansang-agent.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/sansang-agent run --config /etc/sansang/agent.yaml"))
        let copy = directory.appendingPathComponent("sansang-agent.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/sansang-agent", with: try agentBinary())
            .write(to: copy, atomically: true, encoding: .utf8)
        return copy
    }

    @Test func unitVerifiesCleanAndExposureIsAtMostTwo() async throws {
        try await withTemporaryDirectory { directory in
            let unit = try unitCopy(in: directory)
            let verify = try await systemdAnalyze(["verify", unit.path])
            #expect(verify.status == 0 && verify.output.isEmpty, "\(verify.output)")
            let security = try await systemdAnalyze(["security", "--offline=true", unit.path])
            let line = try #require(security.output.split(separator: "\n").first { $0.contains("Overall exposure level") })
            let value = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
            #expect(value <= 2.0, "\(line)")
        }
    }
}
