import Foundation
import Testing

/// Runs the built `sansang-collector`, which `swift test` builds next to the test bundle.
@Suite("sansang-collector inventory")
struct CommandTests {
    func collector() throws -> URL {
        let products = Bundle.main.executableURL?.deletingLastPathComponent()
        let candidates = [products?.appendingPathComponent("sansang-collector")]
            + ((try? FileManager.default.contentsOfDirectory(atPath: packageRoot.path)) ?? [])
                .filter { $0.hasPrefix(".build") }.sorted()
                .map { packageRoot.appendingPathComponent("\($0)/debug/sansang-collector") }
        return try #require(candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                            "build sansang-collector first")
    }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try collector()
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("inv-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errFile) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
        return (process.terminationStatus, stdout, stderr)
    }

    @Test func checkExampleInventory() throws {
        let result = try run(["inventory", "check", "inventory/"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("94 đơn vị hành chính cấp xã, 93 trụ sở"))
        #expect(result.stdout.contains("Theo huyện cũ"))
        let english = try run(["inventory", "check", "inventory/", "--lang", "en", "--json"])
        #expect(english.status == 0)
        #expect(english.stdout.contains("\"offices\" : 93"))
    }

    @Test func checkBrokenInventoryExits2() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "province: P\nsites:\n  - {code: \"20242\", name: A, type: xa, profile: defualt}\n"
            .write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        let result = try run(["inventory", "check", dir.path, "inventory/profiles.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("a.yaml:3:49: sites[0].profile: unknown profile \"defualt\" (did you mean \"default\"?)"))
        #expect(try run(["inventory", "check"]).status == 2)
    }
}
