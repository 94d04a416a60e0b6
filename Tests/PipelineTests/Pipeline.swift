import Foundation
import GRDB
import TestSupport

/// A real collector (`sansang-collector serve` on loopback, SQLite in a temp directory) and real agents
/// (`sansang-agent run`, one per site, each on a veth pair of its own as its uplink), all started in the
/// `DaemonScope` it is made with (see `withPipeline`): stopped by PID, their logs attached when the test fails.
final class Pipeline: @unchecked Sendable {
    let directory: URL
    let port: UInt16
    let nocToken: String
    private(set) var collector: Daemon?
    private var collectorStarts = 0
    private(set) var agents: [String: Agent] = [:]

    var url: String { "http://127.0.0.1:\(port)" }
    let collectorConfig: String
    let database: String
    let daemons: DaemonScope

    /// Sites of the lab inventory: two at target, one whose LAN target (25 Gbit/s) no veth meets.
    static let inventory = """
        province: Thành phố Đà Nẵng
        profile: lab
        sites:
          - {code: "20242", name: Phường Hải Châu, type: phuong, former_district: Hải Châu}
          - {code: "20257", name: Phường Hòa Cường, type: phuong, former_district: Hải Châu}
          - {code: "20209", name: Phường Thanh Khê, type: phuong, former_district: Thanh Khê,
             overrides: {link_targets: {lan: 25G}}}
        profiles:
          - name: lab
            links:
              - {role: lan, target_mbps: 10G}
        """

    init(directory: URL, inventory inventoryText: String = Pipeline.inventory, extraCollectorConfig: String = "",
         daemons: DaemonScope) async throws {
        self.directory = directory
        self.daemons = daemons
        collectorConfig = directory.appendingPathComponent("collector.yaml").path
        database = directory.appendingPathComponent("collector.sqlite").path
        port = try freeLoopbackPort(udp: false)
        let inventory = directory.appendingPathComponent("inventory")
        try FileManager.default.createDirectory(at: inventory, withIntermediateDirectories: true)
        try inventoryText.write(to: inventory.appendingPathComponent("lab.yaml"), atomically: true, encoding: .utf8)
        try """
            listen: {host: 127.0.0.1, port: \(port)}
            database: {sqlite_path: \(database)}
            inventory: [\(inventory.path)]
            report_interval_s: 1
            evaluation_interval_s: 1
            """.appending("\n" + extraCollectorConfig).write(toFile: collectorConfig, atomically: true, encoding: .utf8)
        chmod(collectorConfig, 0o600)  // it may hold SNMP passphrases: only a private file is accepted
        try Self.check(await runProgram("sansang-collector", ["migrate", "--config", collectorConfig]))
        let config = collectorConfig
        nocToken = try await Self.issue(["--noc", "e2e", "--role", "read"], config: config)
    }

    static func check(_ run: ProgramRun) throws {
        guard run.status == 0 else { throw CommandFailure(argv: [], status: run.status, output: run.stdout + run.stderr) }
    }

    /// A token in a file only its owner reads, for `sansang --token-file` (a token is never a command-line value).
    static func tokenFile(_ token: String, at path: String) throws -> String {
        try (token + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    static func issue(_ arguments: [String], config: String) async throws -> String {
        let run = try await runProgram("sansang-collector", ["token", "issue"] + arguments + ["--config", config])
        try check(run)
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func startCollector() async throws {
        collectorStarts += 1
        let log = directory.appendingPathComponent("collector-\(collectorStarts).log")
        collector = try daemons.start([try builtProgram("sansang-collector"), "serve", "--config", collectorConfig], log: log)
        try await waitUntil(timeout: 30, "the collector's /readyz") {
            (try? await run(["curl", "-sf", "-o", "/dev/null", "\(url)/readyz"])) != nil
        }
    }

    func stopCollector(signal: Int32 = SIGTERM) async {
        guard let collector else { return }
        if signal == SIGKILL { await collector.kill9() } else { await collector.stop() }
        self.collector = nil
    }

    /// An agent for `site`, its uplink a fresh veth pair (10 Gbit/s as far as the kernel says).
    func addAgent(site: String, reportInterval: Double, extraConfig: String = "") async throws -> Agent {
        let agent = try await Agent(site: site, pipeline: self, reportInterval: reportInterval, extraConfig: extraConfig)
        agents[site] = agent
        return agent
    }

    /// `sansang` (the NOC client) against this collector.
    func noc(_ arguments: [String]) async throws -> ProgramRun {
        try await runProgram("sansang", arguments + ["--server", url, "--token-file",
                                                     Pipeline.tokenFile(nocToken, at: directory.appendingPathComponent("noc.token").path)])
    }

    /// (boot id, seq) of every report stored for `site`, read straight from the collector's database.
    func storedReports(site: String) throws -> [(bootId: String, seq: Int)] {
        let queue = try DatabaseQueue(path: database)
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT boot_id, seq FROM report WHERE site = ? ORDER BY boot_id, seq", arguments: [site])
                .map { (bootId: $0["boot_id"], seq: $0["seq"]) }
        }
    }

    /// The `snmp_notifications` counters of every stored report of `site` that has them, in report order.
    func storedNotificationCounters(site: String) throws -> [[String: Int]] {
        let queue = try DatabaseQueue(path: database)
        let bodies = try queue.read { db in
            try Data.fetchAll(db, sql: "SELECT json FROM report WHERE site = ? ORDER BY generated_at", arguments: [site])
        }
        return bodies.compactMap { body in
            (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["snmp_notifications"] as? [String: Int]
        }
    }

    /// Stops every agent and the collector, waiting until each has exited, and deletes the agents' uplinks.
    func stop() async {
        for agent in agents.values {
            await agent.stop()
            await agent.uplink.delete()
        }
        await stopCollector()
    }
}

/// One `sansang-agent run` with its own state directory, token and uplink.
final class Agent: @unchecked Sendable {
    let site: String
    let config: String
    let uplink: LocalVethPair
    private let directory: URL
    private let daemons: DaemonScope
    private(set) var process: Daemon?
    private(set) var starts = 0

    let collectorURL: String
    let tokenFile: String
    let reportInterval: Double
    let extraConfig: String

    init(site: String, pipeline: Pipeline, reportInterval: Double, extraConfig: String = "") async throws {
        self.site = site
        daemons = pipeline.daemons
        directory = pipeline.directory.appendingPathComponent("agent-\(site)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        uplink = try await LocalVethPair()
        tokenFile = directory.appendingPathComponent("token").path
        try await Pipeline.issue([site], config: pipeline.collectorConfig).write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)  // the agent refuses a token file others can read
        config = directory.appendingPathComponent("agent.yaml").path
        collectorURL = pipeline.url
        self.reportInterval = reportInterval
        self.extraConfig = extraConfig
        try writeConfig(collectorURL: collectorURL)
    }

    /// (Re)writes agent.yaml, e.g. with a collector URL nothing answers on, as when HTTPS is blocked.
    func writeConfig(collectorURL: String) throws {
        try """
            site: "\(site)"
            collector: {url: "\(collectorURL)", token_file: \(tokenFile), timeout_s: 5}
            uplink: \(uplink.name)
            state_directory: \(directory.appendingPathComponent("state").path)
            send: {batch_size: 50, backoff_initial_s: 0.2, backoff_max_s: 1}
            lldp_wait_s: 0
            report_interval_s: \(reportInterval)
            """.appending("\n" + extraConfig).write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
    }

    func start() throws {
        starts += 1
        let log = directory.appendingPathComponent("agent-\(starts).log")
        process = try daemons.start([try builtProgram("sansang-agent"), "run", "--config", config], log: log)
    }

    func kill9() async {
        await process?.kill9()
        process = nil
    }

    func stop() async {
        await process?.stop()
        process = nil
    }

    var log: String { process?.log ?? "" }

    /// `sansang-agent spool status --json`.
    func spool() async throws -> [String: Any] {
        let run = try await runProgram("sansang-agent", ["spool", "status", "--config", config, "--json"])
        try Pipeline.check(run)
        return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] ?? [:]
    }

    func spoolDepth() async -> Int { ((try? await spool())?["depth"] as? Int) ?? -1 }
}

/// A pipeline in a fresh temporary directory for the duration of `body`, every process stopped afterwards.
func withPipeline<T>(
    inventory: String = Pipeline.inventory, extraCollectorConfig: String = "",
    _ body: (Pipeline) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        try await withPipeline(directory: directory, inventory: inventory, extraCollectorConfig: extraCollectorConfig, body)
    }
}

/// A pipeline in `directory` for the duration of `body`: every process stopped and every uplink deleted
/// afterwards, on every path; the logs of all its processes attached when the test fails.
func withPipeline<T>(
    directory: URL, inventory: String = Pipeline.inventory, extraCollectorConfig: String = "",
    _ body: (Pipeline) async throws -> T
) async throws -> T {
    try await withDaemons { daemons in
        let pipeline = try await Pipeline(directory: directory, inventory: inventory, extraCollectorConfig: extraCollectorConfig,
                                          daemons: daemons)
        return try await withCleanup { try await body(pipeline) } cleanup: { await pipeline.stop() }
    }
}
