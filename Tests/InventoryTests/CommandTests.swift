import YAMLConfig
import Foundation
import Testing
import TestSupport

/// Runs the built `sansang-collector`.
@Suite("sansang-collector inventory")
struct CommandTests {
    func run(_ arguments: [String]) async throws -> ProgramRun { try await runProgram("sansang-collector", arguments) }

    @Test func checkExampleInventory() async throws {
        let result = try await run(["inventory", "check", "inventory/"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("94 đơn vị hành chính cấp xã, 93 trụ sở"))
        #expect(result.stdout.contains("Theo huyện cũ"))
        let english = try await run(["inventory", "check", "inventory/", "--lang", "en", "--json"])
        #expect(english.status == 0)
        #expect(english.stdout.contains("\"offices\" : 93"))
    }

    @Test func checkBrokenInventoryExits2() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "province: P\nsites:\n  - {code: \"20242\", name: A, type: xa, profile: defualt}\n"
            .write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        let result = try await run(["inventory", "check", dir.path, "inventory/profiles.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("a.yaml:3:49: sites[0].profile: unknown profile \"defualt\" (did you mean \"default\"?)"))
        #expect(try await run(["inventory", "check"]).status == 2)
    }
}
