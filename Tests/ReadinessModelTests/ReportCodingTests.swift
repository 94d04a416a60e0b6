import Foundation
import ReadinessModel
import Testing

@Suite struct ReportCodingTests {
    static func fixture() throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "report-v1", withExtension: "json", subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    @Test func roundTrip() async throws {
        let report = Fleet.goodReport {
            $0[.lan].speed[1] = .unknown(.lldp, error: "no LLDP frame in 60 s")
            $0.gap = GapRecord(count: 2, firstSeq: 40, lastSeq: 41, from: Fleet.ago(150), to: Fleet.ago(90))
        }
        for pretty in [false, true] {
            let data = try ReportCoding.encoder(pretty: pretty).encode(report)
            #expect(try ReportCoding.decodeReport(from: data) == report)
        }
    }

    @Test func encodingIsStable() async throws {
        let data = try ReportCoding.encoder().encode(Fleet.goodReport())
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix(#"{"agent":{"boot_id":"6f1c2a9e","hostname":"ubnd-haichau","version":"0.1.0"},"clock":"#))
        #expect(text.contains(#""generated_at":"2025-07-07T07:59:30Z""#))
        #expect(text.contains(#""mbps":{"download":198.7,"upload":195.4}"#))
        #expect(try ReportCoding.encoder().encode(ReportCoding.decodeReport(from: data)) == data)
    }

    @Test(arguments: [
        (#"{"format_version": 2, "site": "20242"}"#, 2 as Int?),
        (#"{"format_version": 0}"#, 0),
        (#"{"site": "20242"}"#, nil),
    ])
    func refusesUnknownOrMissingVersion(json: String, version: Int?) throws {
        let error = try #require(throws: UnsupportedReportFormat.self) {
            try ReportCoding.decodeReport(from: Data(json.utf8))
        }
        #expect(error.version == version)
    }

    @Test func refusesMissingRequiredField() async throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Self.fixture()) as? [String: Any])
        object["generated_at"] = nil
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: DecodingError.self) { try ReportCoding.decodeReport(from: data) }
    }

    @Test func ignoresUnknownFields() async throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Self.fixture()) as? [String: Any])
        object["battery"] = ["percent": 80]
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(try ReportCoding.decodeReport(from: data) == ReportCoding.decodeReport(from: Self.fixture()))
    }

    @Test func fixtureDecodes() async throws {
        let report = try ReportCoding.decodeReport(from: Self.fixture())
        #expect(report.formatVersion == 1)
        #expect(report.site == "20242")
        #expect(report.agent.bootId == "6f1c2a9e-4b7d-4e0a-9d61-2f5c8a1b3e70")
        #expect(report.seq == 1842)
        #expect(report.generatedAt == Fleet.ago(30))
        #expect(report.link(.lan)?.speed.map(\.speedMbps) == [10_000, nil, 1000])
        #expect(report.link(.lan)?.speed[1].error == "no LLDP frame on enp1s0 in 60 s")
        #expect(report.link(.wan)?.throughput?.mbps == [.upload: 196.4, .download: 198.9])
        #expect(report.service("dvc")?.phases["tls"] == 95.1)
        #expect(report.service("ping-tinh")?.lossPercent == 0)
        #expect(report.clock?.offsetMilliseconds == 12.4)
        #expect(report.gap?.count == 3)

        let verdict = try #require(Fleet.evaluate(report))
        #expect(verdict.state == .notReady)
        #expect(verdict.reasonLines == ["LINK_BELOW_TARGET:lan not_ready", "SPEED_MISMATCH:lan degraded"])
    }

    /// The example in docs/report-format.md is the fixture, so the documentation cannot drift from what decodes.
    @Test func documentedExampleIsTheFixture() async throws {
        let doc = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/report-format.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        let example = try #require(text.components(separatedBy: "## Example").dropFirst().first)
        let json = try #require(example.components(separatedBy: "```json\n").dropFirst().first?.components(separatedBy: "```").first)
        #expect(json == String(decoding: try Self.fixture(), as: UTF8.self))
        #expect(try ReportCoding.decodeReport(from: Data(json.utf8)) == ReportCoding.decodeReport(from: Self.fixture()))
    }
}
