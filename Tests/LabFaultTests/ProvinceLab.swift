import Foundation
import GRDB
import TestSupport
import Testing

/// A small province lab (`scripts/lab.sh` with a lab file, docs/lab.md) for the length of a test: its own namespace
/// prefix (so that it runs beside `make run` and other suites), its own state directory, no link into the host's
/// namespace (the API is reached inside the province namespace). `scripts/lab.sh down` removes what it made, by
/// the PIDs and names it recorded, whatever the body did.
struct ProvinceLab {
    let directory: URL
    let labFile: String
    let prefix: String
    let environment: [String: String]

    var province: String { "\(prefix)-prov" }
    var database: String { directory.appendingPathComponent("collector.sqlite").path }
    var mailbox: URL { directory.appendingPathComponent("mailbox") }

    /// Builds the lab of `labFile` (relative to the package root) with the alert rules and routes in `alertsDirectory`,
    /// runs `body`, and removes the lab.
    static func with<T>(
        labFile: String, alertsDirectory: URL, in directory: URL,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ProvinceLab) async throws -> T
    ) async throws -> T {
        let bin = URL(fileURLWithPath: try builtProgram("sansang-agent")).deletingLastPathComponent().path
        // Unique per run: namespace names and /etc/netns/<name> files are host-wide.
        let prefix = "lf\(String(getpid() % 100_000, radix: 36))\(String(Int.random(in: 0..<1296), radix: 36))"
        let labDirectory = directory.appendingPathComponent("lab")
        let lab = ProvinceLab(directory: labDirectory, labFile: labFile, prefix: prefix, environment: [
            "BIN": bin, "LAB_DIR": labDirectory.path, "LAB_PREFIX": prefix, "LAB_NOC": "0", "LAB_WAIT": "0",
            "LAB_ALERTS_DIR": alertsDirectory.path, "LAB_FILE": labFile, "SANSANG_LANG": "en",
        ])
        return try await withCleanup {
            let up = try await lab.script(["up", labFile])
            guard up.status == 0 else {
                throw CommandFailure(argv: ["scripts/lab.sh", "up", labFile], status: up.status, output: up.stdout + up.stderr)
            }
            return try await body(lab)
        } cleanup: {
            _ = try? await lab.script(["down"])
        }
    }

    /// `scripts/lab.sh ARGS` with this lab's environment.
    @discardableResult
    func script(_ arguments: [String]) async throws -> ProgramRun {
        try await runCapturing(["bash", packageRoot.appendingPathComponent("scripts/lab.sh").path] + arguments,
                               environment: environment, directory: packageRoot)
    }

    /// SIGKILL of a recorded process (`agent-20242`, `collector`, `dnsmasq`), as a crash.
    func kill(_ name: String) async throws { try await expectSuccess(["kill", name]) }

    /// The recorded process started again with its recorded command line.
    func restart(_ name: String) async throws { try await expectSuccess(["restart", name]) }

    private func expectSuccess(_ arguments: [String]) async throws {
        let result = try await script(arguments)
        guard result.status == 0 else {
            throw CommandFailure(argv: ["scripts/lab.sh"] + arguments, status: result.status, output: result.stdout + result.stderr)
        }
    }

    /// A command inside the province namespace.
    @discardableResult
    func inProvince(_ argv: [String]) async throws -> String { try await run(["ip", "netns", "exec", province] + argv) }

    /// The lab against its file: nil when every site is as declared, else what differs.
    func differences() async throws -> String? {
        let check = try await script(["check", labFile])
        return check.status == 0 ? nil : check.stdout + check.stderr
    }

    /// Waits until every site is as the lab file declares; returns the seconds it took.
    @discardableResult
    func waitForDeclaredState(within seconds: Double, _ what: String) async throws -> Double {
        let start = ContinuousClock.now
        var last = ""
        do {
            try await waitUntil(timeout: seconds, what) {
                guard let differences = try await differences() else { return true }
                last = differences
                try await Task.sleep(for: .seconds(1))
                return false
            }
        } catch {
            throw LabFailure(message: "\(error); still differing:\n\(last)")
        }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Waits until the collector answers its readiness probe.
    func waitForCollector(within seconds: Double) async throws {
        try await waitUntil(timeout: seconds, "the collector answering /readyz") {
            try await inProvince(["curl", "-sf", "-o", "/dev/null", "http://198.18.0.1:8470/readyz"])
            return true
        }
    }

    /// The office directory of a site (agent.log, agent-state/spool/).
    func office(_ code: String) -> URL { directory.appendingPathComponent("offices/\(code)") }

    /// Codes of the offices whose agent runs, from the plan.
    func runningOffices() throws -> [String] {
        let plan = try String(contentsOf: directory.appendingPathComponent("plan/plan.tsv"), encoding: .utf8)
        var codes: [String] = []
        for line in plan.split(separator: "\n") {
            let fields: [String] = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if fields.count > 9, fields[0] == "office", fields[9] == "run" { codes.append(fields[2]) }
        }
        return codes
    }

    // MARK: What the collector stored

    struct StoredGap: Hashable {
        var site: String
        var bootId: String
        var count: Int
        var firstSeq: Int
        var lastSeq: Int
    }

    /// Every stored (site, boot id, seq), and every gap with the boot its seqs belong to.
    func stored() throws -> (reports: [String: [String: [Int]]], gaps: [StoredGap]) {
        let queue = try DatabaseQueue(path: database)
        return try queue.read { db in
            var reports: [String: [String: [Int]]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT site, boot_id, seq FROM report") {
                reports[row["site"], default: [:]][row["boot_id"], default: []].append(row["seq"])
            }
            let gaps = try Row.fetchAll(db, sql: "SELECT site, boot_id, lost_boot_id, count, first_seq, last_seq FROM gap").map { row in
                StoredGap(site: row["site"], bootId: (row["lost_boot_id"] as String?) ?? row["boot_id"], count: row["count"],
                          firstSeq: row["first_seq"], lastSeq: row["last_seq"])
            }
            return (reports, gaps)
        }
    }

    /// The gaps an agent logged (`report carries a gap count=… first_seq=… last_seq=…`) in its log.
    func loggedGaps(_ code: String) throws -> [(count: Int, firstSeq: Int, lastSeq: Int)] {
        let log = (try? String(contentsOf: office(code).appendingPathComponent("agent.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { $0.contains("report carries a gap") }.compactMap { line in
            let fields = Dictionary(line.split(separator: " ").compactMap { word -> (String, Int)? in
                let parts = word.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let value = Int(parts[1]) else { return nil }
                return (String(parts[0]), value)
            }, uniquingKeysWith: { a, _ in a })
            guard let count = fields["count"], let first = fields["first_seq"], let last = fields["last_seq"] else { return nil }
            return (count, first, last)
        }
    }

    /// Reports still in an office's spool (written, not yet acknowledged).
    func spooled(_ code: String) -> Int {
        let spool = office(code).appendingPathComponent("agent-state/spool")
        return ((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).filter { $0.hasSuffix(".rec") }.count
    }

    // MARK: The mailbox

    /// The subject of every mail the SMTP sink kept, in arrival order.
    /// What a late alert mail needs to be explained, as test attachments (kept by `make test` under
    /// `.build/test-attachments`): the collector's log, the notification log with its queued/due/sent times, `site`'s
    /// verdict transitions, and the mailbox's files with their times.
    func attachAlertTimeline(site: String, named name: String) {
        if let log = try? Data(contentsOf: directory.appendingPathComponent("collector.log")) {
            Attachment.record(Array(log), named: "\(name)-collector.log")
        }
        var lines: [String] = []
        if let queue = try? DatabaseQueue(path: database) {
            _ = try? queue.read { db in
                for row in try Row.fetchAll(db, sql: """
                    SELECT id, group_key, created_at, due_at, retry_at, sent_at, attempts, last_error, CAST(json AS TEXT) AS json
                    FROM alert_notification ORDER BY id
                    """) {
                    lines.append("notification \(row["id"] as Int64) \(row["group_key"] as String) created \(row["created_at"] as Double) "
                        + "due \(row["due_at"] as Double) retry \(row["retry_at"] as Double) sent \((row["sent_at"] as Double?).map { "\($0)" } ?? "-") "
                        + "attempts \(row["attempts"] as Int) error \((row["last_error"] as String?) ?? "-") \(row["json"] as String)")
                }
                for row in try Row.fetchAll(db, sql: "SELECT id, at, from_state, to_state, reasons FROM transition WHERE site = ? ORDER BY id",
                                            arguments: [site]) {
                    lines.append("transition \(row["id"] as Int64) at \(row["at"] as Double) \((row["from_state"] as String?) ?? "-") → "
                        + "\(row["to_state"] as String) \(row["reasons"] as String)")
                }
            }
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: mailbox.path)) ?? []
        for file in files.sorted() {
            let modified = (try? FileManager.default.attributesOfItem(atPath: mailbox.appendingPathComponent(file).path)[.modificationDate])
                as? Date
            lines.append("mail \(file) \(modified.map { "\($0.timeIntervalSince1970)" } ?? "-")")
        }
        Attachment.record(Array(lines.joined(separator: "\n").utf8), named: "\(name)-alert-timeline.txt")
    }

    func mailSubjects() async throws -> [String] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: mailbox.path)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
        var subjects: [String] = []
        for file in files {
            let json = try await run(["/usr/bin/python3", packageRoot.appendingPathComponent("scripts/mail-inspect.py").path,
                                      mailbox.appendingPathComponent(file).path])
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            subjects.append(object?["subject"] as? String ?? "")
        }
        return subjects
    }
}

struct LabFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
