import Foundation
import ReadinessModel
import TestSupport
import Testing

/// The version comes from one place (the VERSION file, through the VersionFile build plugin) and every program
/// shows it; the packages' sysusers files declare the same user identically (docs/packaging.md).
@Suite struct PackagingTests {
    static let programs = ["sansang-agent", "sansang-collector", "sansang"]

    func versionFile() throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent("VERSION"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func sansangVersionIsTheVersionFile() async throws {
        let version = try versionFile()
        #expect(!version.isEmpty)
        #expect(SansangVersion.current == version)
    }

    @Test(arguments: programs) func programPrintsTheVersion(_ name: String) async throws {
        let version = try versionFile()
        let run = try await runProgram(name, ["--version"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == version + "\n", "\(run.stdout)")
    }

    /// systemd-sysusers accepts the same user from two files only when both lines are identical; agent and
    /// collector on one host must not make it warn or pick a different home.
    @Test func agentAndCollectorDeclareTheSameUser() async throws {
        func userLines(_ file: String) throws -> [Substring] {
            try String(contentsOf: packageRoot.appendingPathComponent("systemd/\(file)"), encoding: .utf8)
                .split(separator: "\n").filter { $0.hasPrefix("u ") }
        }
        let agent = try userLines("sansang-agent.sysusers")
        let collector = try userLines("sansang-collector.sysusers")
        #expect(agent.count == 1 && agent.first?.hasPrefix("u sansang ") == true, "\(agent)")
        #expect(collector == agent)
    }
}
