import Foundation
import ReadinessModel
import Testing
import TestSupport

/// Office and province namespaces joined by a veth (198.18.77.0/24) whose office end is shaped with `tc tbf`; the
/// agent's probe runs in the office namespace against `iperf3 -s` in the province one.
@Suite(.serialized) struct ShapedLinkTests {
    static let target = LinkTarget(role: .wan, targetMbps: 200, minimumFraction: 0.9, directions: [.upload])

    @Test(arguments: [(200, "256kb", true), (50, "64kb", false)])
    func theMeasuredRateIsTheShapedRateAndTheVerdictFollows(mbit: Int, burst: String, meetsTarget: Bool) async throws {
        try await withTemporaryDirectory { directory in
            let office = try await NetworkNamespace(prefix: "sst-tpo")
            let province = try await NetworkNamespace(prefix: "sst-tpp")
            let link = try await VethLink(office, "198.18.77.1", province, "198.18.77.2")
            try await office.run(["tc", "qdisc", "add", "dev", link.leftInterface, "root", "tbf", "rate", "\(mbit)mbit",
                            "burst", burst, "latency", "50ms"])
            try await withIperfServer(directory: directory, namespace: province, bind: "198.18.77.2") { server in
                let run = try await runProgram("sansang-agent", ["probe", "throughput", "--server", "198.18.77.2:\(server.port)",
                                                           "--duration", "3", "--omit", "1", "--parallel", "4", "--json"],
                                         in: office)
                #expect(run.status == 0, "\(run.stderr)")
                let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
                let mbps = (object?["measurement"] as? [String: Any])?["mbps"] as? [String: Any]
                let upload = try #require((mbps?["upload"] as? NSNumber)?.doubleValue)
                // tbf counts whole frames and the probe counts TCP payload: 1,448 bytes (1,500 MTU less IP, TCP and
                // timestamp headers) of each 1,514-byte frame. The expected rate is the shaped rate's payload share,
                // ±5 % (centred on the line rate itself, a run at 47.4 of 50 Mbit/s — 1 % under the payload share — failed).
                let payloadRate = Double(mbit) * 1448 / 1514
                #expect(upload > payloadRate * 0.95 && upload < payloadRate * 1.05,
                        "\(upload) Mbit/s through \(mbit) Mbit/s (\(payloadRate) Mbit/s of TCP payload)")
                // The evaluator's verdict on a wan link with a 200 Mbit/s target (≥ 90 %), given this measurement.
                let now = Date()
                let profile = Profile(name: "lab", links: [Self.target])
                let site = Site(code: "99999", name: "Lab", type: .phuong, profile: "lab")
                let report = Report(
                    site: "99999", agent: AgentIdentity(version: "0", hostname: "lab", bootId: "b"), seq: 1, generatedAt: now,
                    links: [LinkReport(role: .wan, throughput: ThroughputMeasurement(server: "198.18.77.2", measuredAt: now,
                                                                                      mbps: [.upload: upload]))])
                let verdict = try #require(ReadinessEvaluator().evaluate(site: site, profile: profile, latest: report, now: now))
                #expect((verdict.state == .ready) == meetsTarget, "\(verdict)")
                #expect(verdict.reasons.contains { $0.code == .throughputLow } == !meetsTarget, "\(verdict.reasons)")
            }
        }
    }
}
