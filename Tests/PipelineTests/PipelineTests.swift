import Foundation
import ReadinessModel
import SansangAPI
import Testing
import TestSupport

/// The reporting pipeline end to end, with real processes: agents → spool → HTTP → collector → SQLite →
/// verdicts → the NOC's `sansang` client.
@Suite(.serialized) struct PipelineTests {
    @Test func theRollUpShowsWhatTheAgentsMeasured() async throws {
        try await withTemporaryDirectory { directory in
            try await withPipeline(directory: directory) { pipeline in
                try await pipeline.startCollector()
                for site in ["20242", "20257", "20209"] { try await pipeline.addAgent(site: site, reportInterval: 0.5).start() }

                // Two offices at target, one below its 25 Gbit/s target: "2/3".
                try await waitUntil(timeout: 60, "verdicts for the three agents") {
                    let run = try await pipeline.noc(["status", "--json"])
                    let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
                    let overall = json?["overall"] as? [String: Any]
                    return overall?["ready"] as? Int == 2 && (overall?["by_state"] as? [String: Int])?["not_ready"] == 1
                }
                let status = try await pipeline.noc(["status", "--group-by", "former_district"])
                #expect(status.status == 1, "not every office is ready: exit 1")
                #expect(status.stdout.contains("Sẵn sàng: 2/3 trụ sở"))
                #expect(status.stdout.contains("Hải Châu"))

                let notReady = try await pipeline.noc(["sites", "--verdict", "not_ready", "--csv"])
                #expect(notReady.status == 0)
                #expect(notReady.stdout.contains("20209,Phường Thanh Khê,Thanh Khê,chưa sẵn sàng,LINK_BELOW_TARGET:lan"))
                #expect(!notReady.stdout.contains("20242"))

                // The site page shows the NIC evidence the agent measured on its uplink.
                let site = try await pipeline.noc(["site", "20242", "--json"])
                #expect(site.status == 0, "a ready site exits 0: \(site.stderr)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(site.stdout.utf8)) as? [String: Any])
                let detail = try #require(json["detail"] as? [String: Any])
                let report = try #require(detail["latest_report"] as? [String: Any])
                let lan = try #require((report["links"] as? [[String: Any]])?.first { $0["role"] as? String == "lan" })
                #expect(lan["interface"] as? String == pipeline.agents["20242"]?.uplink.name)
                let nic = try #require((lan["speed"] as? [[String: Any]])?.first { $0["source"] as? String == "nic" })
                #expect(nic["speed_mbps"] as? Int == 10_000)
                #expect((detail["verdict"] as? [String: Any])?["state"] as? String == "ready")

                // Silence becomes unknown: stop one agent and wait for STALE (3 report intervals of 1 s).
                await pipeline.agents["20257"]?.stop()
                try await waitUntil(timeout: 30, "20257 going stale") {
                    let run = try await pipeline.noc(["sites", "--reason", "STALE", "--csv"])
                    return run.stdout.contains("20257")
                }
            }
        }
    }

    /// Agents report many times a second while the collector is stopped, restarted, and killed with SIGKILL,
    /// and while the agent itself is killed with SIGKILL again and again. Afterwards every report the agent
    /// spooled is stored exactly once.
    @Test func nothingLostNothingDoubled() async throws {
        try await withTemporaryDirectory { directory in
            try await withPipeline(directory: directory) { pipeline in
                try await pipeline.startCollector()
                let agent = try await pipeline.addAgent(site: "20242", reportInterval: 0.05)
                try agent.start()
                try await Task.sleep(for: .seconds(2))

                // The collector away for a while: the agent spools.
                await pipeline.stopCollector()
                try await waitUntil(timeout: 20, "reports piling up in the spool") { (await agent.spoolDepth()) >= 20 }
                try await pipeline.startCollector()
                try await Task.sleep(for: .seconds(2))

                // The collector killed in the middle of ingesting (the agent sends every 50 ms).
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 200...700)))
                    await pipeline.stopCollector(signal: SIGKILL)
                    try await pipeline.startCollector()
                }

                // The agent killed at random moments, each time once its current boot has reported.
                for round in 0..<10 {
                    try await waitUntil(timeout: 30, "round \(round): a report from the agent's boot \(agent.starts)") {
                        Set(try pipeline.storedReports(site: "20242").map(\.bootId)).count == agent.starts
                    }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...300)))
                    await agent.kill9()
                    try agent.start()
                }
                // The last boot reports, then stops cleanly. A report spooled but not yet acknowledged when it
                // stops stays in the spool for the next start: it is the tail of the last boot, not a hole.
                try await waitUntil(timeout: 30, "a report from the last boot") {
                    Set(try pipeline.storedReports(site: "20242").map(\.bootId)).count == agent.starts
                }
                try await Task.sleep(for: .seconds(1))
                await agent.stop()
                let spool = try await agent.spool()

                let stored = try pipeline.storedReports(site: "20242")
                let keys = stored.map { "\($0.bootId)/\($0.seq)" }
                #expect(Set(keys).count == keys.count, "no report stored twice")
                let byBoot = Dictionary(grouping: stored, by: \.bootId)
                #expect(byBoot.count == agent.starts, "every start of the agent reported (\(agent.starts) starts)")
                // Within a boot, every spooled report arrived: the seqs are 0, 1, 2, … with no hole. Torn records
                // (a kill in the middle of a write) would be holes, counted by the spool and sent as gap records.
                let corrupt = spool["corrupt_records"] as? Int ?? 0
                var holes = 0
                for (_, reports) in byBoot {
                    let seqs = reports.map(\.seq).sorted()
                    holes += (seqs.last ?? -1) + 1 - seqs.count
                    #expect(seqs.first == 0)
                }
                #expect(holes == corrupt, "every missing seq is a counted torn record")
                #expect(stored.count > 100, "the agent made many reports: \(stored.count)")
                #expect(spool["dropped_reports"] as? Int ?? 0 == 0)
            }
        }
    }

    /// The NOC CLI shows times on the offices' clock the collector is configured with (`office_time_zone:`), which it
    /// learns from the answer: 08:00 UTC is 17:00 in Tokyo (15:00 on the default Vietnam clock).
    @Test func theCLIShowsTimesOnTheCollectorsOfficeClock() async throws {
        try await withPipeline(extraCollectorConfig: "office_time_zone: Asia/Tokyo") { pipeline in
            try await pipeline.startCollector()
            let admin = try await Pipeline.issue(["--noc", "trực ban", "--role", "admin"], config: pipeline.collectorConfig)
            let adminFile = try Pipeline.tokenFile(admin, at: pipeline.directory.appendingPathComponent("admin.token").path)
            let added = try await runProgram("sansang", ["silence", "add", "--site", "20242", "--start", "2030-01-15T08:00:00Z",
                                                         "--duration", "2h", "--comment", "Thay switch",
                                                         "--server", pipeline.url, "--token-file", adminFile])
            #expect(added.status == 0, "\(added.stderr)")
            let listed = try await pipeline.noc(["silence", "list", "--csv"])
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("2030-01-15 17:00") && listed.stdout.contains("2030-01-15 19:00"), "\(listed.stdout)")
            let json = try await pipeline.noc(["silence", "list", "--json"])
            #expect(json.stdout.contains(#""office_time_zone" : "Asia/Tokyo""#), "\(json.stdout)")

            // The site list and a site's page: the last report's time on the same clock, to the minute.
            try await pipeline.addAgent(site: "20242", reportInterval: 0.5).start()
            var lastReport: Date?
            try await waitUntil(timeout: 30, "a report from 20242") {
                let sites = try await pipeline.noc(["sites", "--json"])
                let body = try ReportCoding.decoder().decode(SiteListBody.self, from: Data(sites.stdout.utf8))
                #expect(body.officeTimeZone == "Asia/Tokyo")
                lastReport = body.items.first { $0.code == "20242" }?.lastReportAt
                return lastReport != nil
            }
            let tokyo = DateFormatter()
            tokyo.locale = Locale(identifier: "en_US_POSIX")
            tokyo.timeZone = TimeZone(identifier: "Asia/Tokyo")
            tokyo.dateFormat = "yyyy-MM-dd HH:mm"
            let table = try await pipeline.noc(["sites", "--csv"])
            let row = table.stdout.split(whereSeparator: \.isNewline).first { $0.hasPrefix("20242,") }.map(String.init) ?? ""
            // The list is read again for the table: the report may have moved on by a minute at most.
            let expected = [lastReport!, lastReport!.addingTimeInterval(60)].map(tokyo.string(from:))
            #expect(expected.contains { row.hasSuffix("," + $0) }, "\(row) should end with one of \(expected)")
            let page = try await pipeline.noc(["site", "20242", "--lang", "en"])
            #expect(expected.contains { page.stdout.contains("last report: " + $0) }, "\(page.stdout)")
        }
    }
}
