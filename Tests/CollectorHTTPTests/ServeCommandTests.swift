import CollectorTestSupport
import Foundation
import ReadinessModel
import SansangAPI
import TestSupport
import Testing

/// The built `sansang-collector` executable, next to the test bundle.
func collectorBinary() throws -> String {
    struct NoBundlePath: Error {}
    guard let directory = Bundle.main.executableURL?.deletingLastPathComponent() else { throw NoBundlePath() }
    return directory.appendingPathComponent("sansang-collector").path
}

@Suite(.serialized) struct ServeCommandTests {
    func writeConfig(in dir: URL, port: UInt16) throws -> String {
        let config = dir.appendingPathComponent("collector.yaml")
        try """
            listen: {host: 127.0.0.1, port: \(port)}
            database: {sqlite_path: collector.sqlite}
            inventory: [\(packageRoot.appendingPathComponent("inventory").path)]
            evaluation_interval_s: 1
            """.write(to: config, atomically: true, encoding: .utf8)
        return config.path
    }

    @Test func serveIngestsOverRealHTTPAndStopsOnSIGTERM() async throws {
        try await withTemporaryDirectory { dir in
            let port = try freeLoopbackPort(udp: false)
            let config = try writeConfig(in: dir, port: port)
            let migrate = try await runProgram("sansang-collector", ["migrate", "--config", config])
            #expect(migrate.status == 0, "\(migrate.stderr)")
            let issued = try await runProgram("sansang-collector", ["token", "issue", ExampleSite.haiChau, "--config", config])
            #expect(issued.status == 0, "\(issued.stderr)")
            let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.hasPrefix("sst_"))
            let noc = try await runProgram("sansang-collector", ["token", "issue", "--noc", "bao", "--role", "admin", "--config", config])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let list = try await runProgram("sansang-collector", ["token", "list", "--json", "--config", config])
            #expect(list.stdout.contains("\"name\" : \"bao\""))
            #expect(!list.stdout.contains(token), "token list never shows a token")

            try await withDaemon([try collectorBinary(), "serve", "--config", config], log: dir.appendingPathComponent("serve.log")) { server in
                try await waitUntil(timeout: 20, "listening") { server.log.contains("listening on http://127.0.0.1:\(port)") }

                // A gzip batch with curl, the way an agent sends it.
                let report = readyReport(try exampleInventory(), site: ExampleSite.haiChau, seq: 1, at: Date())
                let body = dir.appendingPathComponent("batch.json")
                try ReportCodingBatch.write([report], to: body)
                try await run(["gzip", "-k", body.path])
                let url = "http://127.0.0.1:\(port)"
                let ack = try await run(["curl", "-sS", "-w", " %{http_code}", "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json",
                                   "-H", "Content-Encoding: gzip", "--data-binary", "@\(body.path).gz", "\(url)/api/v1/reports"])
                #expect(ack.hasSuffix(" 202"), "\(ack)")
                #expect(ack.contains("\"stored\":[{\"boot_id\":\"boot-1\",\"seq\":1}]"), "\(ack)")
                let site = try await run(["curl", "-sS", "-H", "Authorization: Bearer \(noc)", "\(url)/api/v1/sites/\(ExampleSite.haiChau)"])
                #expect(site.contains("\"state\":\"ready\""), "\(site)")
                #expect(try await run(["curl", "-sS", "\(url)/readyz"]).contains("ready"))
                // The request log names the caller.
                try await waitUntil(timeout: 20, "request log") { server.log.contains("caller=site 20242") && server.log.contains("caller=noc bao (admin)") }

                kill(server.pid, SIGTERM)
                try await waitUntil(timeout: 20, "graceful exit on SIGTERM") { !server.isRunning }
            }
        }
    }

    @Test func sighupReloadsTheInventoryAndKeepsItWhenTheNewOneIsInvalid() async throws {
        try await withTemporaryDirectory { dir in
            let inventory = dir.appendingPathComponent("inventory")
            try FileManager.default.createDirectory(at: inventory, withIntermediateDirectories: true)
            for file in ["danang.yaml", "profiles.yaml"] {
                try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("inventory/\(file)"),
                                                 to: inventory.appendingPathComponent(file))
            }
            let port = try freeLoopbackPort(udp: false)
            let config = dir.appendingPathComponent("collector.yaml")
            try "listen: {port: \(port)}\ndatabase: {sqlite_path: c.sqlite}\ninventory: [inventory]\n"
                .write(to: config, atomically: true, encoding: .utf8)
            let token = try await runProgram("sansang-collector", ["token", "issue", ExampleSite.traLeng, "--config", config.path])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try await withDaemon([try collectorBinary(), "serve", "--config", config.path], log: dir.appendingPathComponent("serve.log")) { server in
                try await waitUntil(timeout: 20, "listening and watching SIGHUP") {
                    server.log.contains("listening on") && server.log.contains("SIGHUP reloads the inventory")
                }
                func plan() async throws -> String {
                    try await run(["curl", "-sS", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(port)/api/v1/plan"])
                }
                await #expect(try plan().contains(#""role":"wan","target_mbps":100"#))

                // Trà Leng's is the first wan override of danang.yaml.
                let sites = inventory.appendingPathComponent("danang.yaml")
                let text = try String(contentsOf: sites, encoding: .utf8)
                let range = try #require(text.range(of: "link_targets: {wan: 100 Mbit/s}"))
                try text.replacingCharacters(in: range, with: "link_targets: {wan: 150 Mbit/s}").write(to: sites, atomically: true, encoding: .utf8)
                kill(server.pid, SIGHUP)
                try await waitUntil(timeout: 20, "reload") { server.log.contains("inventory reloaded") }
                await #expect(try plan().contains(#""role":"wan","target_mbps":150"#))

                try "sites: [".write(to: sites, atomically: true, encoding: .utf8)
                kill(server.pid, SIGHUP)
                try await waitUntil(timeout: 20, "refused reload") { server.log.contains("inventory reload refused") }
                #expect(server.isRunning)
                await #expect(try plan().contains(#""role":"wan","target_mbps":150"#))
            }
        }
    }

    @Test func servesHTTPSWhenTheConfigNamesACertificateAndKey() async throws {
        try await withTemporaryDirectory { dir in
            let cert = dir.appendingPathComponent("collector.crt").path
            let key = dir.appendingPathComponent("collector.key").path
            try await run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert])
            let port = try freeLoopbackPort(udp: false)
            let config = dir.appendingPathComponent("collector.yaml")
            try """
                listen: {port: \(port)}
                tls: {cert_file: collector.crt, key_file: collector.key}
                database: {sqlite_path: c.sqlite}
                inventory: [\(packageRoot.appendingPathComponent("inventory").path)]
                """.write(to: config, atomically: true, encoding: .utf8)
            try await withDaemon([try collectorBinary(), "serve", "--config", config.path], log: dir.appendingPathComponent("serve.log")) { server in
                try await waitUntil(timeout: 20, "listening") { server.log.contains("listening on https://127.0.0.1:\(port)") }
                let health = try await run(["curl", "-sS", "--cacert", cert, "https://127.0.0.1:\(port)/healthz"])
                #expect(health.contains("\"status\":\"ok\""))
            }
        }
    }

    /// Durable before the acknowledgement: the collector is killed with SIGKILL while reports stream in;
    /// after a restart every report that got a 202 is there exactly once (re-sent, it is a duplicate).
    @Test func everyAcknowledgedReportSurvivesSIGKILLMidIngest() async throws {
        try await withTemporaryDirectory { dir in
            let port = try freeLoopbackPort(udp: false)
            let config = try writeConfig(in: dir, port: port)
            let token = try await runProgram("sansang-collector", ["token", "issue", ExampleSite.haiChau, "--config", config])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let inventory = try exampleInventory()
            let count = 300
            let start = Date()
            for seq in 1...count {
                let report = readyReport(inventory, site: ExampleSite.haiChau, seq: UInt64(seq), at: start)
                try ReportCodingBatch.write([report], to: dir.appendingPathComponent("batch-\(seq).json"))
            }
            let url = "http://127.0.0.1:\(port)/api/v1/reports"
            // One curl per report; each line of acks.txt: "<seq> <status>" (000 when the server was gone).
            let sender = """
                for i in $(seq 1 \(count)); do
                  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer \(token)' \
                    -H 'Content-Type: application/json' --data-binary @batch-$i.json \(url))
                  echo "$i $code" >> acks.txt
                done
                """
            try sender.write(to: dir.appendingPathComponent("send.sh"), atomically: true, encoding: .utf8)
            try await withDaemons { daemons in
                let server = try daemons.start([try collectorBinary(), "serve", "--config", config], log: dir.appendingPathComponent("serve.log"))
                try await waitUntil(timeout: 20, "listening") { server.log.contains("listening on") }
                let client = try daemons.start(["sh", "-c", "cd '\(dir.path)' && sh send.sh"], log: dir.appendingPathComponent("send.log"))
                let acks = dir.appendingPathComponent("acks.txt")
                func lines() -> [(seq: Int, status: String)] {
                    ((try? String(contentsOf: acks, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
                        let parts = line.split(separator: " ")
                        return parts.count == 2 ? (Int(parts[0]) ?? 0, String(parts[1])) : nil
                    }
                }
                try await waitUntil(timeout: 30, "some acknowledgements") { lines().filter { $0.status == "202" }.count >= 40 }
                kill(server.pid, SIGKILL)
                try await waitUntil(timeout: 20, "killed") { !server.isRunning }
                try await waitUntil(timeout: 60, "the sender to finish") { !client.isRunning }
                let acknowledged = lines().filter { $0.status == "202" }.map(\.seq)
                #expect(acknowledged.count >= 40)
                #expect(acknowledged.count < count, "the kill came before the end")

                let restarted = try daemons.start([try collectorBinary(), "serve", "--config", config], log: dir.appendingPathComponent("serve2.log"))
                try await waitUntil(timeout: 20, "listening again") { restarted.log.contains("listening on") }
                for seq in acknowledged {
                    let answer = try await run(["curl", "-sS", "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json",
                                          "--data-binary", "@\(dir.path)/batch-\(seq).json", url])
                    #expect(answer == #"{"conflicts":[],"duplicates":[{"boot_id":"boot-1","seq":\#(seq)}],"stored":[]}"#, "seq \(seq)")
                }
            }
        }
    }

    @Test func configErrorsNameFileLineColumnAndFieldAndExit2() async throws {
        try await withTemporaryDirectory { dir in
            let config = dir.appendingPathComponent("collector.yaml")
            try "listen:\n  port: http\n".write(to: config, atomically: true, encoding: .utf8)
            for command in [["serve"], ["migrate"], ["token", "list"]] {
                let result = try await runProgram("sansang-collector", command + ["--config", config.path])
                #expect(result.status == 2, "\(command)")
                #expect(result.stderr.contains("\(config.path):2:9: listen.port:"), "\(result.stderr)")
            }
            let missing = try await runProgram("sansang-collector", ["serve", "--config", dir.appendingPathComponent("none.yaml").path])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("none.yaml:1:1"))
        }
    }

    /// Issue 14, item 4: a database file that is not SQLite (or is corrupt) stops the start with a sentence saying
    /// what to do, exit 2; `token issue --noc ""` is a usage error (item 24).
    @Test func aCorruptDatabaseAndAnEmptyNOCNameAreClearErrors() async throws {
        try await withTemporaryDirectory { dir in
            let database = dir.appendingPathComponent("collector.sqlite")
            try Data(repeating: 0x5a, count: 8192).write(to: database)
            let config = dir.appendingPathComponent("collector.yaml")
            try "database: {sqlite_path: collector.sqlite}\ninventory: [\(packageRoot.appendingPathComponent("inventory").path)]\n"
                .write(to: config, atomically: true, encoding: .utf8)
            for command in [["serve"], ["migrate"]] {
                let result = try await runProgram("sansang-collector", command + ["--config", config.path])
                #expect(result.status == 2, "\(command): \(result.stderr)")
                #expect(result.stderr.contains("\(database.path): cannot open the database: the file is not an SQLite database or is corrupt"),
                        "\(result.stderr)")
                #expect(result.stderr.contains("restore the last backup"), "\(result.stderr)")
            }
            try FileManager.default.removeItem(at: database)
            let empty = try await runProgram("sansang-collector", ["token", "issue", "--noc", "", "--config", config.path])
            #expect(empty.status == 2, "\(empty.stderr)")
            #expect(empty.stderr.contains("a NOC user needs a name"), "\(empty.stderr)")
        }
    }
}

/// The request body of `POST /api/v1/reports`, written to a file for curl.
enum ReportCodingBatch {
    static func write(_ reports: [ReadinessModel.Report], to url: URL) throws {
        try ReadinessModel.ReportCoding.encoder().encode(SansangAPI.ReportBatch(reports: reports)).write(to: url)
    }
}
