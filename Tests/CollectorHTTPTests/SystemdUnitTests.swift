import Foundation
import TestSupport
import Testing

/// systemd/sansang-collector.service: hardened (exposure ≤ 2.0) and clean for `systemd-analyze verify`.
@Suite struct CollectorSystemdUnitTests {
    let unit = packageRoot.appendingPathComponent("systemd/sansang-collector.service")

    @Test func exposureIsAtMostTwo() throws {
        let output = try run(["systemd-analyze", "security", "--offline=true", unit.path])
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let level = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        #expect(level <= 2.0, "\(line)")
    }

    /// verify checks that ExecStart's binary exists; /usr/local/bin/sansang-collector is not installed on a
    /// build machine, so the unit is verified as a copy pointing at the binary this build made, and the
    /// installed unit's only complaint must be that missing binary.
    @Test func verifyIsClean() async throws {
        let binary = try collectorBinary()
        let text = try String(contentsOf: unit, encoding: .utf8)
        #expect(text.contains("ExecStart=/usr/local/bin/sansang-collector serve"))
        try await withTemporaryDirectory { dir in
            let copy = dir.appendingPathComponent("sansang-collector.service")
            try text.replacingOccurrences(of: "/usr/local/bin/sansang-collector", with: binary)
                .write(to: copy, atomically: true, encoding: .utf8)
            let output = try run(["sh", "-c", "systemd-analyze verify '\(copy.path)' 2>&1"])
            #expect(output.isEmpty, "\(output)")
            if !FileManager.default.isExecutableFile(atPath: "/usr/local/bin/sansang-collector") {
                let original = try run(["sh", "-c", "systemd-analyze verify '\(unit.path)' 2>&1; true"])
                let complaints = original.split(separator: "\n")
                #expect(complaints.count == 1, "\(original)")
                #expect(complaints.allSatisfy { $0.contains("/usr/local/bin/sansang-collector is not executable") }, "\(original)")
            }
        }
    }
}
