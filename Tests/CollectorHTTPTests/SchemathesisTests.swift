import CollectorTestSupport
import Foundation
import TestSupport
import Testing

/// Issue 14, item 25: schemathesis (PyPI) generates requests from openapi.yaml against a live collector on
/// loopback, with every check and a bounded number of examples per operation, once with a NOC token (read role),
/// once with an admin's (so that adding and ending silences is generated too, not only refused 403) and once with
/// a site's: every answer must match the document (status, headers, schema), none may be a 5xx.
@Suite struct SchemathesisTests {
    static let available = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .contains { FileManager.default.isExecutableFile(atPath: "\($0)/st") }

    @Test(.enabled(if: available, "schemathesis (pip install schemathesis) is not installed"), arguments: ["noc", "admin", "site"])
    func everyAnswerMatchesTheDocument(_ caller: String) async throws {
        try await APIFixture.run { fixture, client in
            let port = try #require(client.port)
            let token = try #require(["noc": fixture.nocToken, "admin": fixture.adminToken][caller] ?? fixture.siteTokens[ExampleSite.haiChau])
            let run = try await runCapturing([
                "st", "--config-file", packageRoot.appendingPathComponent("scripts/schemathesis.toml").path,
                "run", packageRoot.appendingPathComponent("Sources/CollectorHTTP/openapi.yaml").path,
                "--url", "http://127.0.0.1:\(port)", "--header", "Authorization: Bearer \(token)",
                "--checks", "all", "--max-examples", ProcessInfo.processInfo.environment["SCHEMATHESIS_EXAMPLES"] ?? "25",
                "--seed", "14", "--workers", "1", "--request-timeout", "20", "--no-color",
                "--generation-database", "none",
            ], directory: fixture.directory)
            #expect(run.status == 0, "\(run.stdout.suffix(6000))\n\(run.stderr.suffix(2000))")
        }
    }
}
